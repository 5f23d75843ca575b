// Output shapes: kubectl's tables (tabwriter with minimum width 6 and padding 3, last column unpadded),
// YAML (keys sorted, lists flush with their key, as Go's YAML marshaller writes them), JSON, names
// (`pod/x`, `deployment.apps/web`) and JSONPath.
import YAML from 'yaml';
import { CliError } from './errors';
import { jsonpath } from './jsonpath';
import type { ResourceType } from './discovery';
import { typePrefix } from './discovery';

export type OutputFormat = { kind: 'table'; wide: boolean } | { kind: 'yaml' } | { kind: 'json' } | { kind: 'name' } | { kind: 'jsonpath'; template: string };

export function parseOutput(o: string | undefined): OutputFormat {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'yaml' || o === 'json' || o === 'name') return { kind: o };
  const m = o.match(/^jsonpath(?:-as-json)?=(.*)$/s);
  if (m) {
    if (!m[1]) throw new CliError('template format specified but no template given');
    jsonpath(m[1], {}); // parse errors now, before any request
    return { kind: 'jsonpath', template: m[1] };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,name,wide,yaml`);
}

export function toYaml(obj: unknown): string {
  return YAML.stringify(obj, { sortMapEntries: true, indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

export function toJson(obj: unknown): string {
  return `${JSON.stringify(obj, null, 4)}\n`;
}

/** One object (or a List of them) in a non-table format. */
export function formatObject(fmt: OutputFormat, obj: any, type?: ResourceType): string {
  switch (fmt.kind) {
    case 'yaml': return toYaml(obj);
    case 'json': return toJson(obj);
    case 'jsonpath': return jsonpath(fmt.template, obj);
    case 'name': {
      const items: any[] = obj?.kind === 'List' ? obj.items : [obj];
      return items.map(o => `${type ? typePrefix(type) : String(o.kind).toLowerCase()}/${o.metadata?.name}\n`).join('');
    }
    default: throw new CliError('internal: table format has no object form');
  }
}

/** A List wrapping items of possibly several kinds, as kubectl prints `get` results in yaml/json. */
export function asList(items: any[]): any {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export interface TableColumn { name: string; priority?: number; type?: string }
export interface ServerTable { columnDefinitions?: TableColumn[] | null; rows?: Array<{ cells: unknown[]; object?: any }> }

export interface TableOptions {
  wide: boolean;
  /** A NAMESPACE column first (for -A). */
  withNamespace?: boolean;
  /** A LABELS column last (--show-labels). */
  showLabels?: boolean;
  /** Prefix the name cell with `kind.group/` (several types in one get). */
  namePrefix?: string;
  noHeaders?: boolean;
}

const cellText = (v: unknown): string => {
  if (v === null || v === undefined) return '<none>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

const labelsText = (l: Record<string, string> | undefined) =>
  l && Object.keys(l).length ? Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') : '<none>';

/** Rows of text cells (header first unless noHeaders) for a server Table. */
export function tableCells(t: ServerTable, opts: TableOptions, columns = t.columnDefinitions ?? []): string[][] {
  const shown = columns.map((c, i) => ({ c, i })).filter(x => opts.wide || !x.c.priority);
  const nameIdx = columns.findIndex(c => (c as { format?: string }).format === 'name' || c.name === 'Name');
  const out: string[][] = [];
  if (!opts.noHeaders) {
    out.push([...(opts.withNamespace ? ['NAMESPACE'] : []), ...shown.map(x => x.c.name.toUpperCase()), ...(opts.showLabels ? ['LABELS'] : [])]);
  }
  for (const row of t.rows ?? []) {
    const cells = shown.map(x => {
      const s = cellText(row.cells[x.i]);
      return x.i === nameIdx && opts.namePrefix ? `${opts.namePrefix}/${s}` : s;
    });
    out.push([...(opts.withNamespace ? [row.object?.metadata?.namespace ?? ''] : []), ...cells, ...(opts.showLabels ? [labelsText(row.object?.metadata?.labels)] : [])]);
  }
  return out;
}

/** Column widths as kubectl's tabwriter (minwidth 6, padding 3); never narrower than `min`. */
export function columnWidths(rows: string[][], min: number[] = []): number[] {
  const w = [...min];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i] ?? 0, 6, c.length + 3); });
  return w;
}

export function renderRows(rows: string[][], widths = columnWidths(rows)): string {
  return rows.map(r => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('').replace(/\s+$/, '') + '\n').join('');
}
