// Schema-aware walks over objects for server-side apply, after sigs.k8s.io/structured-merge-diff/typed:
// the field set an object sets, merging an applied configuration into a live object, comparing two objects and
// removing a set of fields. Lists are atomic unless the schema makes them a set or a map keyed by fields
// (x-kubernetes-list-type, or patch strategy merge); maps and structs are granular unless map-type atomic.
import type { SchemaNode } from '@mk8s/apimachinery';
import { Json, JsonObject, deepCopy, deepEqual, isObject } from './errors';
import { FieldSet, PE, Path, fieldPE, keyPE, pathToString, valuePE } from './fieldpath';

/** A value does not fit its schema (duplicate keys in an applied list, a map in a set, ...). */
export class SchemaMismatchError extends Error {}

type ListRelation = 'atomic' | 'set' | 'map';
type TypeInfo =
  | { kind: 'scalar' }
  | { kind: 'list'; relation: ListRelation; keys: string[]; elem: SchemaNode | undefined }
  | { kind: 'map'; atomic: boolean; fields: Record<string, SchemaNode>; elem: SchemaNode | undefined };

const SCALAR: TypeInfo = { kind: 'scalar' };
const DEDUCED_MAP: TypeInfo = { kind: 'map', atomic: false, fields: {}, elem: undefined };
const DEDUCED_LIST: TypeInfo = { kind: 'list', relation: 'atomic', keys: [], elem: undefined };

/** The type a schema node describes; a missing node (unknown or preserved fields) is deduced from the value. */
export function resolveType(node: SchemaNode | undefined, value?: unknown): TypeInfo {
  if (!node || (node.preserveUnknownFields && !node.properties && !node.items)) {
    if (isObject(value)) return DEDUCED_MAP;
    if (Array.isArray(value)) return DEDUCED_LIST;
    return SCALAR;
  }
  if (node.intOrString) return SCALAR;
  if (node.type === 'array' || node.items) {
    const strategies = (node.patchStrategy ?? '').split(',').map(s => s.trim());
    let relation: ListRelation = node.listType ?? (strategies.includes('merge') ? (node.patchMergeKey ? 'map' : 'set') : 'atomic');
    const keys = relation === 'map' ? (node.listMapKeys ?? (node.patchMergeKey ? [node.patchMergeKey] : [])) : [];
    if (relation === 'map' && keys.length === 0) relation = 'atomic';
    return { kind: 'list', relation, keys, elem: node.items };
  }
  if (node.type === 'object' || node.properties || node.additionalProperties) {
    if (!node.properties && !node.additionalProperties) return isObject(value) || value === undefined ? DEDUCED_MAP : SCALAR;
    return { kind: 'map', atomic: node.mapType === 'atomic', fields: node.properties ?? {}, elem: node.additionalProperties };
  }
  return SCALAR;
}

function childSchema(t: TypeInfo & { kind: 'map' }, key: string): SchemaNode | undefined {
  return Object.prototype.hasOwnProperty.call(t.fields, key) ? t.fields[key] : t.elem;
}
const isDeclaredField = (t: TypeInfo & { kind: 'map' }, key: string) => Object.prototype.hasOwnProperty.call(t.fields, key);

/** Whether a value fits the shape of its type; values that do not are handled as opaque leaves. */
function fits(t: TypeInfo, v: unknown): boolean {
  if (t.kind === 'list') return Array.isArray(v);
  if (t.kind === 'map') return isObject(v);
  return true;
}
const isLeaf = (t: TypeInfo, v: unknown) =>
  t.kind === 'scalar' || !fits(t, v) || (t.kind === 'list' && t.relation === 'atomic') || (t.kind === 'map' && t.atomic);

/**
 * Defaults of list-map key fields, used when an item omits the key (upstream reads them from the schema).
 * The compact schema carries no defaults, so the one that matters for built-in kinds is listed here:
 * container, service and endpoint ports default `protocol` to TCP.
 */
function keyDefault(elem: SchemaNode | undefined, key: string): Json | undefined {
  const declared = (elem?.properties?.[key] as { default?: Json } | undefined)?.default;
  if (declared !== undefined) return declared;
  if (key === 'protocol' && elem?.properties?.protocol) return 'TCP';
  return undefined;
}

/** The path element naming one item of a set or list map. */
export function listItemPE(t: TypeInfo & { kind: 'list' }, item: unknown): PE {
  if (t.relation === 'map') {
    if (item === null) throw new SchemaMismatchError('associative list with keys may not have a null element');
    if (!isObject(item)) throw new SchemaMismatchError('associative list with keys may not have non-map elements');
    const fields: Array<[string, Json]> = [];
    for (const k of t.keys) {
      if (Object.prototype.hasOwnProperty.call(item, k)) fields.push([k, item[k]]);
      else { const d = keyDefault(t.elem, k); if (d !== undefined) fields.push([k, d]); }
    }
    if (fields.length === 0) {
      throw new SchemaMismatchError(`associative list with keys has an element that omits all key fields ${JSON.stringify(t.keys)} (and doesn't have default values for any key fields)`);
    }
    return keyPE(fields);
  }
  if (isObject(item)) throw new SchemaMismatchError("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new SchemaMismatchError('not supported: associative list with lists as elements');
  if (item === null) throw new SchemaMismatchError("associative list without keys has an element that's an explicit null");
  return valuePE(item as Json);
}

// ---- field set of a value ----

/** The set of fields a value sets: leaves, list items, map entries, and empty or null struct fields. */
export function toFieldSet(value: unknown, node: SchemaNode | undefined): FieldSet {
  const set = new FieldSet();
  walkFields(value, node, [], set);
  return set;
}

function walkFields(v: unknown, node: SchemaNode | undefined, path: Path, set: FieldSet): void {
  const t = resolveType(node, v);
  if (isLeaf(t, v) || v === null) { set.insert(path); return; }
  if (t.kind === 'list') {
    const items = v as unknown[];
    const pes = items.map(x => listItemPE(t, x));
    const seen = new Map<PE, number>();
    for (const pe of pes) seen.set(pe, (seen.get(pe) ?? 0) + 1);
    // Duplicated items are owned as a whole; their contents are not tracked.
    for (const [pe, n] of seen) if (n > 1) set.insert([...path, pe]);
    items.forEach((x, i) => {
      if (seen.get(pes[i])! > 1) return;
      walkFields(x, t.elem, [...path, pes[i]], set);
      set.insert([...path, pes[i]]);
    });
    return;
  }
  if (t.kind === 'map') {
    for (const [k, x] of Object.entries(v as JsonObject)) {
      const p = [...path, fieldPE(k)];
      walkFields(x, childSchema(t, k), p, set);
      if (x === null || (isObject(x) && Object.keys(x).length === 0) || !isDeclaredField(t, k)) set.insert(p);
    }
  }
}

/** Adds every declared struct field that has children as a member too (upstream EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: FieldSet, node: SchemaNode | undefined): FieldSet {
  const out = new FieldSet();
  const t = resolveType(node, undefined);
  for (const m of set.members) out.members.add(m);
  for (const [pe, child] of set.children) {
    let sub: SchemaNode | undefined;
    if (t.kind === 'map') {
      const name = pe.startsWith('f:') ? pe.slice(2) : undefined;
      sub = name !== undefined ? childSchema(t, name) : undefined;
      if (name !== undefined && isDeclaredField(t, name)) out.members.add(pe);
    } else if (t.kind === 'list') sub = t.elem;
    out.children.set(pe, ensureNamedFieldsAreMembers(child, sub));
  }
  return out;
}

// ---- merge ----

/**
 * Merges an applied configuration (rhs) into a live object (lhs): the configuration's leaves win, maps are
 * merged by key, sets and list maps by item identity in upstream's order (live items keep their place, new
 * items come where the configuration puts them).
 */
export function mergeValues(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): unknown {
  if (rhs === undefined) return deepCopy(lhs as Json);
  if (lhs === undefined || lhs === null || rhs === null) return deepCopy(rhs as Json);
  const t = resolveType(node, rhs);
  if (isLeaf(t, rhs) || !fits(t, lhs)) return deepCopy(rhs as Json);
  if (t.kind === 'map') {
    const l = lhs as JsonObject, r = rhs as JsonObject;
    if (Object.keys(l).length === 0 && Object.keys(r).length === 0) return {};
    const out: JsonObject = {};
    for (const k of Object.keys(l)) {
      const m = mergeValues(l[k], Object.prototype.hasOwnProperty.call(r, k) ? r[k] : undefined, childSchema(t, k));
      if (m !== undefined) out[k] = m as Json;
    }
    for (const k of Object.keys(r)) {
      if (Object.prototype.hasOwnProperty.call(l, k)) continue;
      out[k] = deepCopy(r[k]);
    }
    return out;
  }
  if (t.kind === 'list') return mergeLists(t, lhs as Json[], rhs as Json[]);
  return deepCopy(rhs as Json);
}

function mergeLists(t: TypeInfo & { kind: 'list' }, lhs: Json[], rhs: Json[]): Json[] {
  if (lhs.length === 0 && rhs.length === 0) return [];
  const rhsPEs = rhs.map(x => listItemPE(t, x));
  const observedR = new Map<PE, Json>();
  rhsPEs.forEach((pe, i) => {
    if (observedR.has(pe)) throw new SchemaMismatchError(`duplicate entries for key ${pathToString([pe])}`);
    observedR.set(pe, rhs[i]);
  });
  const lhsPEs = lhs.map(x => listItemPE(t, x));
  const observedL = new Map<PE, Json>();
  lhsPEs.forEach((pe, i) => observedL.set(pe, observedL.has(pe) ? null : lhs[i])); // duplicates merge as null
  const shared = rhsPEs.filter(pe => observedL.has(pe));
  let nextShared = shared.shift();
  const mergedR = new Set<PE>();
  const out: Json[] = [];
  const push = (v: unknown) => { if (v !== undefined) out.push(v as Json); };
  let li = 0, ri = 0;
  while (li < lhsPEs.length || ri < rhsPEs.length) {
    if (li < lhsPEs.length && ri < rhsPEs.length) {
      const pe = lhsPEs[li];
      if (pe === rhsPEs[ri]) {
        mergedR.add(pe);
        push(mergeValues(observedL.get(pe), observedR.get(pe), t.elem));
        li++; ri++;
        nextShared = shared.shift();
        continue;
      }
      // A live item the configuration moves further down waits for its place in the configuration's order.
      if (observedR.has(pe) && nextShared !== undefined && nextShared !== pe) { li++; continue; }
    }
    if (li < lhsPEs.length) {
      const pe = lhsPEs[li];
      if (!observedR.has(pe)) { push(deepCopy(lhs[li])); li++; continue; }
      if (mergedR.has(pe)) li++;
    }
    if (ri < rhsPEs.length) {
      const pe = rhsPEs[ri];
      mergedR.add(pe);
      push(mergeValues(observedL.get(pe), observedR.get(pe), t.elem));
      ri++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
  return out;
}

// ---- compare ----

export interface Comparison { added: FieldSet; removed: FieldSet; modified: FieldSet }

/** Which fields `rhs` adds, removes or changes relative to `lhs` (undefined = absent). */
export function compareValues(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  compareAt(lhs, rhs, node, [], c);
  return c;
}

const isEmptyContainer = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

function compareAt(l: unknown, r: unknown, node: SchemaNode | undefined, path: Path, c: Comparison): void {
  const t = resolveType(node, r !== undefined && r !== null ? r : l);
  const leaf = l === null || r === null || isLeaf(t, l === undefined ? r : l) || (r !== undefined && !fits(t, r)) ||
    (isEmptyContainer(l) && isEmptyContainer(r));
  if (leaf) {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
    return;
  }
  if (t.kind === 'map') {
    const lm = (l ?? {}) as JsonObject, rm = (r ?? {}) as JsonObject;
    const keys = new Set([...Object.keys(lm), ...Object.keys(rm)]);
    for (const k of keys) {
      const lv = Object.prototype.hasOwnProperty.call(lm, k) ? lm[k] : undefined;
      const rv = Object.prototype.hasOwnProperty.call(rm, k) ? rm[k] : undefined;
      compareAt(lv, rv, childSchema(t, k), [...path, fieldPE(k)], c);
    }
  } else if (t.kind === 'list') {
    compareLists(t, (l ?? []) as Json[], (r ?? []) as Json[], path, c);
  }
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

function compareLists(t: TypeInfo & { kind: 'list' }, l: Json[], r: Json[], path: Path, c: Comparison): void {
  const order: PE[] = [];
  const group = (items: Json[], into: Map<PE, Json[]>) => {
    for (const x of items) {
      const pe = listItemPE(t, x);
      if (!into.has(pe)) { into.set(pe, []); if (!order.includes(pe)) order.push(pe); }
      into.get(pe)!.push(x);
    }
  };
  const lv = new Map<PE, Json[]>(), rv = new Map<PE, Json[]>();
  group(l, lv); group(r, rv);
  for (const pe of order) {
    const ll = lv.get(pe) ?? [], rl = rv.get(pe) ?? [];
    const p = [...path, pe];
    if (ll.length <= 1 && rl.length <= 1) compareAt(ll[0], rl[0], t.elem, p, c);
    else if (ll.length >= 2 && rl.length >= 2) { if (!deepEqual(ll, rl)) c.modified.insert(p); }
    else if (ll.length >= 2) { if (rl.length) compareAt(undefined, rl[0], t.elem, p, c); c.removed.insert(p); }
    else { if (ll.length) compareAt(ll[0], undefined, t.elem, p, c); c.added.insert(p); }
  }
}

// ---- remove ----

/** A copy of `value` without the fields in `toRemove`; containers left empty by the removal disappear. */
export function removeItems(value: unknown, toRemove: FieldSet, node: SchemaNode | undefined): unknown {
  const t = resolveType(node, value);
  if (isLeaf(t, value) || value === null) return deepCopy(value as Json);
  if (t.kind === 'list') {
    const items = value as Json[];
    if (items.length === 0) return [];
    const out: Json[] = [];
    for (const item of items) {
      const pe = listItemPE(t, item);
      if (toRemove.has([pe])) continue;
      const sub = toRemove.withPrefix(pe);
      if (!sub.empty()) { const v = removeItems(item, sub, t.elem); if (v !== undefined) out.push(v as Json); }
      else out.push(deepCopy(item));
    }
    return out.length > 0 ? out : undefined;
  }
  const m = value as JsonObject;
  if (Object.keys(m).length === 0) return {};
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(m)) {
    const pe = fieldPE(k);
    if (toRemove.has([pe])) continue;
    const sub = toRemove.withPrefix(pe);
    if (!sub.empty()) {
      const r = removeItems(v, sub, (t as TypeInfo & { kind: 'map' }).kind === 'map' ? childSchema(t as TypeInfo & { kind: 'map' }, k) : undefined);
      if (r !== undefined) out[k] = r as Json;
    } else out[k] = deepCopy(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Refuses an applied configuration with two items of the same key in a set or list map, as upstream does. */
export function validateUnique(value: unknown, node: SchemaNode | undefined, path: Path = []): void {
  const t = resolveType(node, value);
  if (isLeaf(t, value) || value === null) return;
  if (t.kind === 'list') {
    const seen = new Set<PE>();
    for (const item of value as Json[]) {
      let pe: PE;
      try { pe = listItemPE(t, item); } catch (e) { throw new SchemaMismatchError(`${pathToString(path)}: ${(e as Error).message}`); }
      if (seen.has(pe)) throw new SchemaMismatchError(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
      seen.add(pe);
      validateUnique(item, t.elem, [...path, pe]);
    }
    return;
  }
  if (t.kind === 'map') for (const [k, x] of Object.entries(value as JsonObject)) validateUnique(x, childSchema(t, k), [...path, fieldPE(k)]);
}

/** Struct fields Go holds by value, so a new (zero) object already has them as empty objects. */
const VALUE_STRUCT_FIELDS = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy', 'jobTemplate']);

/**
 * The object a create starts from: upstream compares against the kind's zero value, in which by-value structs
 * (metadata, spec, status, a workload's pod template...) exist as empty objects. Nodes added inside them are
 * then not themselves "added", which is why managedFields show no `.` for them.
 */
export function zeroObject(node: SchemaNode | undefined): JsonObject {
  if (!node) return withValueStructs({}, node);
  let z = zeroObjects.get(node);
  if (!z) zeroObjects.set(node, (z = deepFreeze(withValueStructs({}, node))));
  return z;
}
/** One zero object per kind (every create compares against it); frozen, since all callers share it. */
const zeroObjects = new WeakMap<SchemaNode, JsonObject>();
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/** A copy of `obj` with the by-value structs it lacks added as empty objects, as a decoded Go object has them. */
export function withValueStructs(obj: JsonObject, node: SchemaNode | undefined, depth = 0): JsonObject {
  if (!node?.properties || depth > 4) return obj;
  const structs = valueStructsOf(node);
  if (!structs.length) return obj;
  const out: JsonObject = { ...obj };
  for (const [k, child] of structs) {
    const cur = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : {};
    if (isObject(cur)) out[k] = withValueStructs(cur, child, depth + 1);
  }
  return out;
}
/** The by-value struct fields of an object schema, found once per schema node (every write walks them). */
const valueStructs = new WeakMap<SchemaNode, [string, SchemaNode][]>();
function valueStructsOf(node: SchemaNode): [string, SchemaNode][] {
  let l = valueStructs.get(node);
  if (!l) {
    l = Object.entries(node.properties ?? {}).filter(([k, child]) => VALUE_STRUCT_FIELDS.has(k) && !!child.properties);
    valueStructs.set(node, l);
  }
  return l;
}
