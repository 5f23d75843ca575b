// `describe`: one generic describer for every kind: name, namespace, labels, annotations, then the rest of
// the object (spec, status, ...) as indented "Title Case: value" lines, then the object's Events.
import { bool, str, type FlagSpec, type Parsed } from '../args';
import { asResource, nsFor, type Ctx } from '../context';
import { formatError } from '../errors';
import { groupVersion, type ResourceType } from '../discovery';
import { resolveArgs } from '../resources';
import { renderRows } from '../printers';

export const describeFlags: FlagSpec[] = [
  { name: 'selector', short: 'l', type: 'string', help: 'Label selector' },
  { name: 'all-namespaces', short: 'A', type: 'bool', help: 'All namespaces' },
  { name: 'show-events', type: 'bool', help: 'Show events (default true)' },
];

/** `creationTimestamp` -> `Creation Timestamp`, `podIP` -> `Pod IP`, as kubectl's generic describer. */
export function titleCase(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(/[\s_-]+/);
  return words.filter(Boolean).map(w => w[0].toUpperCase() + w.slice(1)).join(' ');
}

const scalar = (v: unknown) => (v === null || v === undefined ? '<nil>' : typeof v === 'string' ? v : String(v));
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A map's entries at an indent: scalar values aligned in one column, maps and lists nested below their key. */
function describeMap(m: Record<string, unknown>, indent: number, out: string[], firstPrefix = ''): void {
  const entries = Object.entries(m).map(([k, v]) => [titleCase(k), v] as const);
  const width = Math.max(0, ...entries.filter(([, v]) => !isObj(v) && !Array.isArray(v)).map(([k]) => k.length + 1)) + 2;
  entries.forEach(([k, v], i) => {
    const pad = i === 0 && firstPrefix ? `${'  '.repeat(Math.max(0, indent - 1))}${firstPrefix}` : '  '.repeat(indent);
    if (isObj(v)) {
      out.push(`${pad}${k}:`);
      describeMap(v, indent + 1, out);
    } else if (Array.isArray(v)) {
      out.push(`${pad}${k}:`);
      for (const item of v) {
        if (isObj(item) && Object.keys(item).length) describeMap(item, indent + 2, out, '- ');
        else out.push(`${'  '.repeat(indent + 1)}${isObj(item) ? '{}' : scalar(item)}`);
      }
    } else out.push(`${pad}${`${k}:`.padEnd(width)}${scalar(v)}`);
  });
}

/** `Labels:  a=b` with further pairs aligned under the first, `<none>` when empty. */
function pairs(title: string, m: Record<string, string> | undefined, sep: string, width: number): string[] {
  const entries = Object.entries(m ?? {});
  const head = `${title}:`.padEnd(width);
  if (!entries.length) return [`${head}<none>`];
  return entries.map(([k, v], i) => `${i ? ' '.repeat(width) : head}${k}${sep}${v}`);
}

function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function describeObject(t: ResourceType, obj: any, events: any[] | undefined, now = Date.now()): string {
  const md = obj.metadata ?? {};
  const w = 14;
  const lines: string[] = [`${'Name:'.padEnd(w)}${md.name}`];
  if (t.namespaced) lines.push(`${'Namespace:'.padEnd(w)}${md.namespace ?? ''}`);
  lines.push(...pairs('Labels', md.labels, '=', w), ...pairs('Annotations', md.annotations, ': ', w));
  lines.push(`${'API Version:'.padEnd(w)}${obj.apiVersion ?? groupVersion(t)}`, `${'Kind:'.padEnd(w)}${obj.kind ?? t.kind}`);
  const meta: Record<string, unknown> = {};
  for (const k of ['creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'finalizers', 'generateName', 'generation', 'ownerReferences', 'resourceVersion', 'uid']) {
    if (md[k] !== undefined) meta[k] = md[k];
  }
  lines.push('Metadata:');
  describeMap(meta, 1, lines);
  const rest = Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata'));
  describeMap(rest, 0, lines);
  if (events !== undefined) {
    if (!events.length) lines.push('Events:       <none>');
    else {
      lines.push('Events:');
      const rows = [['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------']];
      const sorted = [...events].sort((a, b) => Date.parse(lastSeen(a) ?? '') - Date.parse(lastSeen(b) ?? ''));
      for (const e of sorted) {
        const count = e.count ?? e.series?.count ?? 1;
        const first = e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
        const ageText = count > 1 ? `${age(lastSeen(e), now)} (x${count} over ${age(first, now)})` : age(lastSeen(e), now);
        const from = e.source?.component ? [e.source.component, e.source.host].filter(Boolean).join(', ') : (e.reportingComponent ?? '');
        rows.push([e.type ?? '', e.reason ?? '', ageText, from, String(e.message ?? '').trim()]);
      }
      lines.push(...renderRows(rows).trimEnd().split('\n').map(l => `  ${l}`));
    }
  }
  return lines.join('\n') + '\n';
}

const lastSeen = (e: any): string | undefined => e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;

export async function eventsFor(ctx: Ctx, obj: any): Promise<any[]> {
  const md = obj.metadata ?? {};
  const fieldSelector = [`involvedObject.name=${md.name}`, md.namespace ? `involvedObject.namespace=${md.namespace}` : '', md.uid ? `involvedObject.uid=${md.uid}` : ''].filter(Boolean).join(',');
  const list = await ctx.client.list({ group: '', version: 'v1', resource: 'events' }, md.namespace, { fieldSelector });
  return list.items;
}

export async function runDescribe(ctx: Ctx, p: Parsed): Promise<number> {
  const sels = await resolveArgs(ctx, p.positional, 'describe');
  const showEvents = bool(p, 'show-events', true);
  const all = bool(p, 'all-namespaces');
  let failed = false, printed = 0;
  for (const s of sels) {
    const r = asResource(s.type);
    let objs: any[] = [];
    if (s.names) {
      for (const name of s.names) {
        try { objs.push(await ctx.client.get(r, nsFor(ctx, s.type), name)); } catch (e) { ctx.err(`${formatError(e)}\n`); failed = true; }
      }
    } else {
      objs = (await ctx.client.list(r, nsFor(ctx, s.type, all), { labelSelector: str(p, 'selector') })).items;
    }
    for (const obj of objs) {
      const events = showEvents ? await eventsFor(ctx, obj).catch(() => []) : undefined;
      if (printed++) ctx.out('\n\n');
      ctx.out(describeObject(s.type, obj, events));
    }
  }
  if (!printed && !failed) ctx.err(`No resources found in ${ctx.config.namespace} namespace.\n`);
  return failed ? 1 : 0;
}
