// Helpers shared by the non-core group strategies (apps, batch, autoscaling, policy, ...): upstream's small
// validation primitives (ValidateNonnegativeField, ValidateImmutableField, IntOrPercent checks), label-selector
// matching for "selector matches template" checks, and the printers' cell formatters (HumanDuration,
// layoutContainerCells). Kept in one place so every kind words its errors and cells the same way.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { labelSelectorMatches } from '../validation';

export type Json = any;

/** Semantic equality of two JSON values, treating a missing key like an undefined one (apiequality.Semantic). */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x: Json, i: number) => deepEqual(x, b[i]));
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
  return true;
}

export const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Ensures obj[key] is an object (creating it) and returns it; a non-object value is left for validation. */
export function ensureObject(obj: Record<string, any>, key: string): Record<string, any> {
  if (obj[key] === undefined || obj[key] === null) obj[key] = {};
  return isObject(obj[key]) ? obj[key] : {};
}

/** The object's `spec` as a record (an empty one when absent or malformed, so readers never crash). */
export const specOf = (o: KObject): Record<string, any> => (isObject(o.spec) ? o.spec : {});
export const statusOf = (o: KObject): Record<string, any> => (isObject(o.status) ? o.status : {});

// ---- validation primitives ----

/** ValidateNonnegativeField. */
export function nonNegative(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [field.invalid(path, value, 'must be an integer')];
  return value < 0 ? [field.invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** An optional integer field: wrong JSON types get a clear error instead of a crash further on. */
export function optionalInt(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  return typeof value === 'number' && Number.isInteger(value) ? [] : [field.invalid(path, value, 'must be an integer')];
}

/** ValidateImmutableField. */
export function immutable(newValue: unknown, oldValue: unknown, path: string): FieldError[] {
  return deepEqual(newValue, oldValue) ? [] : [field.invalid(path, newValue, 'field is immutable')];
}

const percentRe = /^[0-9]+%$/;

/** validation.IsValidPercent + ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    return percentRe.test(v) ? [] : [field.invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  if (typeof v === 'number' && Number.isInteger(v)) return nonNegative(v, path);
  return [field.invalid(path, v, "must be an integer or percentage (e.g '5%%')")];
}

/** getIntOrPercentValue: the number of an int, or of a valid percent string; 0 otherwise. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && percentRe.test(v)) return parseInt(v.slice(0, -1), 10);
  return 0;
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string' && percentRe.test(v) && parseInt(v.slice(0, -1), 10) > 100) {
    return [field.invalid(path, v, 'must not be greater than 100%')];
  }
  return [];
}

/** IntOrString.String(): as kubectl shows minAvailable / maxUnavailable. */
export const intOrStringText = (v: unknown): string => (typeof v === 'number' ? String(v) : String(v ?? ''));

// ---- label selectors (metav1.LabelSelector) ----

export interface SelectorExpr { key: string; operator: string; values?: string[] | null }
export interface LabelSelectorSpec { matchLabels?: Record<string, string> | null; matchExpressions?: SelectorExpr[] | null }

/** len(matchLabels)+len(matchExpressions) == 0: a selector that selects everything. */
export function selectorIsEmpty(sel: LabelSelectorSpec | null | undefined): boolean {
  if (!isObject(sel)) return true;
  return Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0;
}

const knownOperators = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Whether LabelSelectorAsSelector would accept it (unknown operators and bad shapes fail). */
export function selectorConvertible(sel: unknown): boolean {
  if (sel === undefined || sel === null) return true;
  if (!isObject(sel)) return false;
  if (sel.matchLabels != null && !isObject(sel.matchLabels)) return false;
  if (sel.matchExpressions != null && !Array.isArray(sel.matchExpressions)) return false;
  for (const e of sel.matchExpressions ?? []) {
    if (!isObject(e) || typeof e.key !== 'string' || !knownOperators.has(e.operator)) return false;
    if ((e.operator === 'In' || e.operator === 'NotIn') && !(Array.isArray(e.values) && e.values.length > 0)) return false;
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && Array.isArray(e.values) && e.values.length > 0) return false;
  }
  return true;
}

/** labels.Selector.Matches for a metav1.LabelSelector (an empty selector matches everything). */
export function selectorMatches(sel: LabelSelectorSpec | null | undefined, labels: Record<string, string> | null | undefined): boolean {
  return isObject(sel) && labelSelectorMatches(sel, isObject(labels) ? labels : undefined);
}

/** labels.Selector.String() of LabelSelectorAsSelector: requirements sorted by key, values sorted. */
export function selectorString(sel: LabelSelectorSpec | null | undefined): string {
  if (!isObject(sel)) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort();
    const text = e.operator === 'In' ? (vals.length === 1 ? `${e.key}=${vals[0]}` : `${e.key} in (${vals.join(',')})`)
      : e.operator === 'NotIn' ? (vals.length === 1 ? `${e.key}!=${vals[0]}` : `${e.key} notin (${vals.join(',')})`)
      : e.operator === 'Exists' ? e.key : `!${e.key}`;
    reqs.push({ key: e.key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map(r => r.text).join(',');
}

/** metav1.FormatLabelSelector: `<none>` for an empty selector, `<error>` for one that cannot be converted. */
export function formatLabelSelector(sel: unknown): string {
  if (!selectorConvertible(sel)) return '<error>';
  const s = selectorString(sel as LabelSelectorSpec);
  return s === '' ? '<none>' : s;
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(m: unknown): string {
  if (!isObject(m) || Object.keys(m).length === 0) return '<none>';
  return Object.keys(m).sort().map(k => `${k}=${m[k]}`).join(',');
}

// ---- printer cells ----

/** duration.HumanDuration from k8s.io/apimachinery/pkg/util/duration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) { const s = seconds % 60; return s === 0 ? `${minutes}m` : `${minutes}m${s}s`; }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) { const m = minutes % 60; return m === 0 ? `${hours}h` : `${hours}h${m}m`; }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) { const h = hours % 24; const d = Math.trunc(hours / 24); return h === 0 ? `${d}d` : `${d}d${h}h`; }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const y = Math.trunc(hours / 24 / 365); const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for a missing or unparsable timestamp. */
export function since(ts: unknown, now: Date): string {
  if (typeof ts !== 'string' || ts === '') return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** layoutContainerCells: container names and images joined by commas. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = isObject(podSpec) && Array.isArray(podSpec.containers) ? podSpec.containers : [];
  return [containers.map((c: any) => String(c?.name ?? '')).join(','), containers.map((c: any) => String(c?.image ?? '')).join(',')];
}

// ---- strategy building blocks ----

/** PrepareForCreate of kinds with status: status cleared, generation 1. */
export function resetStatusForCreate(obj: KObject, emptyStatus: Record<string, unknown> = {}): void {
  obj.status = clone(emptyStatus);
  obj.metadata.generation = 1;
}

/** PrepareForUpdate of the main resource: the stored status wins; spec changes bump generation. */
export function keepStatusBumpGeneration(obj: KObject, old: KObject, alsoWhen = false): void {
  if (old.status === undefined) delete obj.status; else obj.status = clone(old.status);
  const oldGen = old.metadata.generation ?? 0;
  obj.metadata.generation = !deepEqual(obj.spec, old.spec) || alsoWhen ? oldGen + 1 : oldGen;
}

/** PrepareForUpdate of /status: the stored spec wins (and labels, for kinds whose upstream resets them too). */
export function keepSpec(obj: KObject, old: KObject, keepLabels = false): void {
  if (old.spec === undefined) delete obj.spec; else obj.spec = clone(old.spec);
  if (keepLabels) {
    if (old.metadata.labels === undefined) delete obj.metadata.labels; else obj.metadata.labels = clone(old.metadata.labels);
  }
}
