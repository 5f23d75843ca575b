// `get`: server-side Tables (NAME + the server's columns; wide shows priority columns), or objects as
// yaml/json/name/jsonpath; `-w` keeps printing as watch events arrive.
import { StatusError } from '@mk8s/apimachinery';
import { bool, str, type FlagSpec, type Parsed } from '../args';
import { asResource, nsFor, type Ctx } from '../context';
import { CliError, formatError } from '../errors';
import { groupVersion, typePrefix, type ResourceType } from '../discovery';
import { asList, columnWidths, formatObject, parseOutput, renderRows, tableCells, toYaml, type OutputFormat, type ServerTable, type TableOptions } from '../printers';
import { rawGet, rawWatch, query, TABLE_ACCEPT } from '../rest';
import { restPath } from '@mk8s/apimachinery';
import { resolveArgs, type Selection } from '../resources';

export const getFlags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string', help: 'yaml|json|wide|name|jsonpath=<template>' },
  { name: 'selector', short: 'l', type: 'string', help: 'Label selector' },
  { name: 'field-selector', type: 'string', help: 'Field selector' },
  { name: 'all-namespaces', short: 'A', type: 'bool', help: 'All namespaces' },
  { name: 'watch', short: 'w', type: 'bool', help: 'Watch for changes after listing' },
  { name: 'watch-only', type: 'bool', help: 'Watch for changes without listing first' },
  { name: 'show-labels', type: 'bool', help: 'Show labels as the last column' },
  { name: 'no-headers', type: 'bool', help: 'No header row' },
  { name: 'ignore-not-found', type: 'bool', help: 'Print nothing for objects that do not exist' },
];

interface GetOpts { fmt: OutputFormat; selector?: string; fieldSelector?: string; all: boolean; table: TableOptions; ignoreNotFound: boolean }

/** The object with apiVersion and kind set (list items come without them). */
const typed = (t: ResourceType, o: any) => ({ apiVersion: groupVersion(t), kind: t.kind, ...o });

function pathFor(ctx: Ctx, t: ResourceType, all: boolean, name?: string): string {
  return restPath({ ...asResource(t), namespace: nsFor(ctx, t, all), name });
}

export async function runGet(ctx: Ctx, p: Parsed): Promise<number> {
  const fmt = parseOutput(str(p, 'output'));
  const all = bool(p, 'all-namespaces');
  const o: GetOpts = {
    fmt, all, selector: str(p, 'selector'), fieldSelector: str(p, 'field-selector'), ignoreNotFound: bool(p, 'ignore-not-found'),
    table: { wide: fmt.kind === 'table' && fmt.wide, withNamespace: all, showLabels: bool(p, 'show-labels'), noHeaders: bool(p, 'no-headers') },
  };
  const sels = await resolveArgs(ctx, p.positional, 'get');
  const watch = bool(p, 'watch') || bool(p, 'watch-only');
  if (watch) {
    if (sels.length !== 1) throw new CliError('you may only specify a single resource type');
    if ((sels[0].names?.length ?? 0) > 1) throw new CliError('watch is only supported on individual resources and resource collections, but 2 or more resources were found');
    return watchGet(ctx, sels[0], o, bool(p, 'watch-only'));
  }
  if ((o.selector || o.fieldSelector) && sels.some(s => s.names)) throw new CliError('name cannot be provided when a selector is specified');
  return fmt.kind === 'table' ? tables(ctx, sels, o) : objects(ctx, sels, o);
}

async function tables(ctx: Ctx, sels: Selection[], o: GetOpts): Promise<number> {
  let failed = false, printed = 0;
  const multi = sels.length > 1;
  for (const s of sels) {
    const t = s.type;
    const table: ServerTable = { columnDefinitions: null, rows: [] };
    if (s.names) {
      for (const name of s.names) {
        try {
          const one = await rawGet<ServerTable>(ctx.config.server, pathFor(ctx, t, false, name), { accept: TABLE_ACCEPT });
          table.columnDefinitions ??= one.columnDefinitions;
          table.rows!.push(...(one.rows ?? []));
        } catch (e) {
          if (o.ignoreNotFound && e instanceof StatusError && e.code === 404) continue;
          ctx.err(`${formatError(e)}\n`); failed = true;
        }
      }
    } else {
      const list = await rawGet<ServerTable>(ctx.config.server,
        pathFor(ctx, t, o.all) + query({ labelSelector: o.selector, fieldSelector: o.fieldSelector }), { accept: TABLE_ACCEPT });
      table.columnDefinitions = list.columnDefinitions; table.rows = list.rows ?? [];
    }
    if (!table.rows!.length) continue;
    if (printed++) ctx.out('\n');
    ctx.out(renderRows(tableCells(table, { ...o.table, withNamespace: o.all && t.namespaced, namePrefix: multi ? typePrefix(t) : undefined })));
  }
  if (!printed && !failed && !o.ignoreNotFound && !sels.some(s => s.names)) {
    const scoped = sels.every(s => s.type.namespaced) && !o.all;
    ctx.err(scoped ? `No resources found in ${ctx.config.namespace} namespace.\n` : 'No resources found\n');
  }
  return failed ? 1 : 0;
}

async function objects(ctx: Ctx, sels: Selection[], o: GetOpts): Promise<number> {
  let failed = false;
  const items: Array<{ t: ResourceType; obj: any }> = [];
  for (const s of sels) {
    const r = asResource(s.type);
    if (s.names) {
      for (const name of s.names) {
        try { items.push({ t: s.type, obj: typed(s.type, await ctx.client.get(r, nsFor(ctx, s.type), name)) }); } catch (e) {
          if (o.ignoreNotFound && e instanceof StatusError && e.code === 404) continue;
          ctx.err(`${formatError(e)}\n`); failed = true;
        }
      }
    } else {
      const list = await ctx.client.list(r, nsFor(ctx, s.type, o.all), { labelSelector: o.selector, fieldSelector: o.fieldSelector });
      items.push(...list.items.map(obj => ({ t: s.type, obj: typed(s.type, obj) })));
    }
  }
  const single = sels.length === 1 && sels[0].names?.length === 1;
  if (o.fmt.kind === 'name') ctx.out(items.map(i => formatObject(o.fmt, i.obj, i.t)).join(''));
  else if (single && items.length === 1) ctx.out(formatObject(o.fmt, items[0].obj, items[0].t));
  else if (!single) ctx.out(formatObject(o.fmt, asList(items.map(i => i.obj))));
  return failed ? 1 : 0;
}

/** Lists (unless watch-only), then prints each event as it arrives; re-watches from the last version seen. */
async function watchGet(ctx: Ctx, s: Selection, o: GetOpts, watchOnly: boolean): Promise<number> {
  const t = s.type;
  const name = s.names?.[0];
  const fieldSelector = [o.fieldSelector, name ? `metadata.name=${name}` : undefined].filter(Boolean).join(',') || undefined;
  const listPath = pathFor(ctx, t, o.all) + query({ labelSelector: o.selector, fieldSelector });
  const isTable = o.fmt.kind === 'table';
  const topts = { ...o.table, withNamespace: o.all && t.namespaced };
  let widths: number[] = [];
  let columns: ServerTable['columnDefinitions'] = null;
  let headerDone = false;
  const printTable = (table: ServerTable) => {
    columns = table.columnDefinitions ?? columns;
    const rows = tableCells({ ...table, columnDefinitions: columns }, { ...topts, noHeaders: topts.noHeaders || headerDone }, columns ?? []);
    headerDone = true;
    widths = columnWidths(rows, widths);
    ctx.out(renderRows(rows, widths));
  };
  let docs = 0;
  const printObject = (obj: any) => {
    const full = typed(t, obj);
    if (o.fmt.kind === 'yaml') ctx.out(`${docs++ ? '---\n' : ''}${toYaml(full)}`);
    else ctx.out(formatObject(o.fmt, full, t) + (o.fmt.kind === 'jsonpath' ? '\n' : ''));
  };
  const list = await rawGet(ctx.config.server, listPath, { accept: isTable ? TABLE_ACCEPT : 'application/json' });
  let rv: string = list.metadata?.resourceVersion ?? '';
  if (!watchOnly) {
    if (isTable) { if ((list.rows ?? []).length) printTable(list); else columns = list.columnDefinitions; }
    else for (const item of list.items ?? []) printObject(item);
  }
  for (;;) {
    const w = rawWatch(ctx.config.server, listPath + (listPath.includes('?') ? '&' : '?') + query({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true' }).slice(1),
      isTable ? TABLE_ACCEPT : 'application/json', ev => {
        if (ev.type === 'ERROR') throw StatusError.fromStatus(ev.object);
        rv = ev.object?.metadata?.resourceVersion ?? rv;
        if (ev.type === 'BOOKMARK') return;
        if (isTable) printTable(ev.object); else printObject(ev.object);
      });
    await w.done;
  }
}
