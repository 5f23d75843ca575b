// Strategic merge patch (application/strategic-merge-patch+json), applied server-side as upstream's
// k8s.io/apimachinery/pkg/util/strategicpatch StrategicMergeMapPatch does, driven by the OpenAPI extensions
// x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key instead of Go struct tags.
import type { SchemaNode } from '@mk8s/apimachinery';
import {
  Json, JsonObject, PatchApplyError, PatchServerError, StrategicMergeUnsupportedError, badRequest, deepCopy,
  goFormat, goTypeName, isObject,
} from './errors';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

// The sentinel errors of k8s.io/apimachinery/pkg/util/mergepatch and the code the handler maps each to.
const errBadPatchFormatForPrimitiveList = () => badRequest('invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = () => badRequest('invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = () => badRequest('invalid patch format of setElementOrder list');
const errNoListOfLists = () => new PatchApplyError('lists of lists are not supported');
const errBadArgType = (expected: string, actual: unknown) =>
  new PatchServerError(`expected a ${expected}, but received a ${goTypeName(actual)}`);
const errNoMergeKey = (m: unknown, key: string) =>
  new PatchServerError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: unknown) =>
  new PatchServerError(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);

interface PatchMeta { schema: SchemaNode | undefined; strategy: string; retainKeys: boolean; mergeKey: string }

/** The patch metadata of field `key` of an object described by `node`. */
function lookupPatchMeta(node: SchemaNode | undefined, key: string): PatchMeta {
  const child = node?.properties?.[key] ?? node?.additionalProperties;
  const strategies = child?.patchStrategy ? child.patchStrategy.split(',').map(s => s.trim()).filter(Boolean) : [];
  let retainKeys = false, strategy = '';
  if (strategies.length === 1) {
    if (strategies[0] === 'retainKeys') retainKeys = true; else strategy = strategies[0];
  } else if (strategies.length === 2 && (strategies[0] === 'retainKeys' || strategies[1] === 'retainKeys')) {
    retainKeys = true;
    strategy = strategies[0] === 'retainKeys' ? strategies[1] : strategies[0];
  } else if (strategies.length > 0) {
    throw new PatchServerError(`unexpected patch strategy: [${strategies.join(' ')}]`);
  }
  return { schema: child, strategy, retainKeys, mergeKey: child?.patchMergeKey ?? '' };
}

/** Go's reflect type of a decoded value, which decides "same type, so recurse" in upstream. */
function goType(v: unknown): string {
  return goTypeName(v);
}

const isDirectiveKey = (k: string) =>
  k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER);

/** Drops maps that carry `$patch` and nested directive keys from a value taken over whole from the patch. */
function removeDirectives(v: Json): { keep: boolean; value: Json } {
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const x of v) { const r = removeDirectives(x); if (r.keep) out.push(r.value); }
    return { keep: true, value: out };
  }
  if (isObject(v)) {
    if (Object.prototype.hasOwnProperty.call(v, DIRECTIVE)) return { keep: false, value: null };
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (isDirectiveKey(k)) continue;
      const r = removeDirectives(x);
      if (r.keep) out[k] = r.value;
    }
    return { keep: true, value: out };
  }
  return { keep: true, value: v };
}

/** Nulls in a value that has nothing to delete from mean nothing (IgnoreUnmatchedNulls). */
function discardNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(discardNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = discardNulls(x);
    return out;
  }
  return v;
}

/** A patch value taken over as is: nulls discarded and directives removed; undefined means "drop the key". */
function takePatchValue(v: Json): Json | undefined {
  const r = removeDirectives(discardNulls(v));
  return r.keep ? r.value : undefined;
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw errBadPatchFormatForPrimitiveList();
    throw errBadPatchFormatForSetElementOrderList();
  }
  return key.slice(slash + 1);
}

/** Element kind shared by all items of the given lists ('map' or a scalar type); lists of lists are refused. */
function sliceElementType(...lists: Json[][]): string | undefined {
  let prev: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goType(v);
      if (prev === undefined) {
        prev = t;
        if (t === '[]interface {}') throw errNoListOfLists();
      } else if (prev !== t) {
        throw new PatchServerError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  return prev;
}

const isMapKind = (t: string | undefined) => t === 'map[string]interface {}';

/** Identity of an item for ordering: its merge-key value for maps, the item itself for scalars. */
function identity(item: Json, mergeKey: string, mapKind: boolean): unknown {
  if (!mapKind) return item;
  return isObject(item) ? item[mergeKey] : undefined;
}

function indexIn(list: Json[], item: Json, mergeKey: string, mapKind: boolean): number {
  const id = identity(item, mergeKey, mapKind);
  return list.findIndex(x => identity(x, mergeKey, mapKind) === id);
}

function findByMergeKey(list: Json[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (!isObject(x)) throw new PatchServerError(`value for key ${i} is not a map.`);
    if (Object.prototype.hasOwnProperty.call(x, mergeKey) && x[mergeKey] === value) return i;
  }
  return -1;
}

function validateMergeKeys(mergeKey: string, ...lists: Json[][]): void {
  for (const list of lists) for (const item of list) {
    if (!isObject(item)) throw errBadArgType('map[string]interface {}', item);
    if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
  }
}

/** Sorts `toSort` by position in `order` (stable); maps marked `$patch: delete` go last. */
function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, mapKind: boolean): Json[] {
  let items = toSort, deletes: Json[] = [];
  if (mapKind) {
    validateMergeKeys(mergeKey, toSort, order);
    items = toSort.filter(x => (x as JsonObject)[DIRECTIVE] !== 'delete');
    deletes = toSort.filter(x => (x as JsonObject)[DIRECTIVE] === 'delete');
  }
  const found: Array<[number, Json]> = [], missing: Json[] = [];
  for (const x of items) {
    const i = indexIn(order, x, mergeKey, mapKind);
    if (i >= 0) found.push([i, x]); else missing.push(x);
  }
  found.sort((a, b) => a[0] - b[0]);
  return [...found.map(p => p[1]), ...missing, ...deletes];
}

/**
 * Interleaves server-only items (left) into patch items (right), keeping each side's relative order; a
 * server-only item goes first only when both are in the live list and it came earlier there (mergeSortedSlice).
 */
function mergeSortedSlice(left: Json[], right: Json[], serverOrder: Json[], mergeKey: string, mapKind: boolean): Json[] {
  const out: Json[] = [];
  let i = 0, j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) { out.push(right[j++]); continue; }
    if (j >= right.length) { out.push(left[i++]); continue; }
    const li = indexIn(serverOrder, left[i], mergeKey, mapKind);
    const ri = indexIn(serverOrder, right[j], mergeKey, mapKind);
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]); else out.push(right[j++]);
  }
  return out;
}

function normalizeElementOrder(patchItems: Json[], serverOnly: Json[], patchOrder: Json[], serverOrder: Json[],
                               mergeKey: string, mapKind: boolean): Json[] {
  const p = normalizeSliceOrder(patchItems, patchOrder, mergeKey, mapKind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, mapKind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, mapKind);
}

/** Splits `list` into items present in `by` and the rest. */
function partition(list: Json[], by: Json[], mergeKey: string, mapKind: boolean): [Json[], Json[]] {
  const inPatch: Json[] = [], serverOnly: Json[] = [];
  for (const v of list) {
    if (mapKind) {
      if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
      if (!Object.prototype.hasOwnProperty.call(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
      (findByMergeKey(by, mergeKey, v[mergeKey]) >= 0 ? inPatch : serverOnly).push(v);
    } else {
      (by.some(x => x === v) ? inPatch : serverOnly).push(v);
    }
  }
  return [inPatch, serverOnly];
}

function dedupeScalars(list: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of list) if (!out.some(x => x === v)) out.push(v);
  return out;
}

/**
 * Upstream deletes list items in place (`append(s[:k], s[k+1:]...)`) and appends into the freed tail, and the
 * $setElementOrder step later reads the list it started from through the same Go backing array. The order of
 * its result depends on that, so the backing array is simulated here: `backing` is what the caller's
 * original slice shows afterwards.
 */
class GoSlice {
  private readonly backing: Json[];
  private items: Json[];
  private aliased = true;
  constructor(initial: Json[]) { this.backing = [...initial]; this.items = this.backing.slice(); }
  get view(): Json[] { return this.items; }
  get original(): Json[] { return this.backing; }
  removeAt(k: number): void {
    this.items.splice(k, 1);
    if (this.aliased) for (let i = k; i < this.items.length; i++) this.backing[i] = this.items[i];
  }
  set(k: number, v: Json): void {
    this.items[k] = v;
    if (this.aliased) this.backing[k] = v;
  }
  push(v: Json): void {
    if (this.aliased && this.items.length < this.backing.length) this.backing[this.items.length] = v;
    else this.aliased = false; // capacity exhausted: Go reallocates and the original no longer sees changes
    this.items.push(v);
  }
}

interface SliceMerge { merged: Json[]; originalView: Json[] }

function mergeSlice(original: Json[], patch: Json[], meta: PatchMeta, isDeleteList: boolean): SliceMerge {
  if (original.length === 0 && patch.length === 0) return { merged: original, originalView: original };
  const elemType = sliceElementType(original, patch);
  const mapKind = isMapKind(elemType);
  const mergeKey = meta.mergeKey;
  let merged: Json[];
  let originalView = original;
  if (!mapKind) {
    if (isDeleteList) return { merged: original.filter(v => !patch.some(d => d === v)), originalView };
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (!mergeKey) throw new PatchServerError('cannot merge lists without merge key for type map');
    // Items carrying $patch act on the whole list (delete matching entries, or replace the list).
    const plain: Json[] = [];
    let replace = false;
    const live = new GoSlice(original);
    for (const v of patch) {
      const item = v as JsonObject;
      if (!Object.prototype.hasOwnProperty.call(item, DIRECTIVE)) { plain.push(v); continue; }
      const directive = item[DIRECTIVE];
      if (directive === 'delete') {
        if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
        for (let at = findByMergeKey(live.view, mergeKey, item[mergeKey]); at >= 0; at = findByMergeKey(live.view, mergeKey, item[mergeKey])) {
          live.removeAt(at);
        }
      } else if (directive === 'replace') {
        replace = true;
      } else if (directive === 'merge') {
        throw new PatchServerError('merging lists cannot yet be specified in the patch');
      } else {
        throw errBadPatchType(directive, item);
      }
    }
    let target = live;
    if (replace) { target = new GoSlice(plain.map(x => takePatchValue(x)).filter((x): x is Json => x !== undefined)); patch = []; }
    else patch = plain;
    original = [...target.view];
    for (const v of patch) {
      const item = v as JsonObject;
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const at = findByMergeKey(target.view, mergeKey, item[mergeKey]);
      if (at >= 0) target.set(at, mergeMap(target.view[at] as JsonObject, item, meta.schema?.items));
      else { const taken = takePatchValue(item); if (taken !== undefined) target.push(taken); }
    }
    merged = target.view;
    originalView = replace ? originalView : live.original;
  }
  const [inPatch, serverOnly] = partition(merged, patch, mergeKey, mapKind);
  return { merged: normalizeElementOrder(inPatch, serverOnly, patch, original, mergeKey, mapKind), originalView };
}

function mergeSliceHandler(original: Json, patch: Json, meta: PatchMeta, isDeleteList: boolean): SliceMerge {
  if (!Array.isArray(original)) throw errBadArgType('[]interface {}', original);
  if (!Array.isArray(patch)) throw errBadArgType('[]interface {}', patch);
  if (meta.strategy === 'merge') return mergeSlice(original, patch, meta, isDeleteList);
  return { merged: patch, originalView: original };
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set(list.map(v => v as unknown));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Checks the patch list's items appear in the $setElementOrder list in the same relative order. */
function validatePatchWithSetOrderList(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? patchList.filter(x => !(isObject(x) && x[DIRECTIVE] === 'delete')) : patchList;
  let pi = 0, oi = 0;
  while (pi < nonDelete.length && oi < order.length) {
    const item = nonDelete[pi];
    if (isObject(item) && Object.prototype.hasOwnProperty.call(item, DIRECTIVE)) { pi++; continue; }
    let equal: boolean;
    if (!mergeKey) equal = item === order[oi];
    else {
      const o = order[oi];
      if (!isObject(item)) throw errBadArgType('map[string]interface {}', item);
      if (!isObject(o)) throw errBadArgType('map[string]interface {}', o);
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      if (!Object.prototype.hasOwnProperty.call(o, mergeKey)) throw errNoMergeKey(o, mergeKey);
      equal = item[mergeKey] === o[mergeKey];
    }
    if (equal) pi++;
    oi++;
  }
  if (pi < nonDelete.length && oi >= order.length) {
    throw new PatchServerError(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`);
  }
}

/** Processes every `$setElementOrder/<list>` together with the patch's `<list>`, then drops both from the patch. */
function mergeSetElementOrder(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = Object.prototype.hasOwnProperty.call(original, field);
    const foundPatch = Object.prototype.hasOwnProperty.call(patch, field);
    const originalList = original[field], patchList = patch[field];
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType('[]interface {}', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('[]interface {}', patchList);
    const origItems = (originalList ?? []) as Json[], patchItems = (patchList ?? []) as Json[];
    const meta = lookupPatchMeta(schema, field);
    validatePatchWithSetOrderList(patchItems, order, meta.mergeKey);
    let merged: Json[];
    let serverOrder = origItems;
    if (foundOriginal && !foundPatch) merged = origItems;
    else if (!foundOriginal && foundPatch) merged = patchItems.map(x => takePatchValue(x)).filter((x): x is Json => x !== undefined);
    else if (foundOriginal && foundPatch) ({ merged, originalView: serverOrder } = mergeSliceHandler(origItems, patchItems, meta, false));
    else continue;
    const elemType = sliceElementType(origItems, patchItems);
    if (elemType === undefined) { original[field] = merged; delete patch[field]; continue; }
    const mapKind = !!meta.mergeKey;
    const [inOrder, serverOnly] = partition(merged, order, meta.mergeKey, mapKind);
    original[field] = normalizeElementOrder(inOrder, serverOnly, order, serverOrder, meta.mergeKey, mapKind);
    delete patch[field];
  }
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      const rest: JsonObject = { ...patch };
      delete rest[DIRECTIVE];
      return takePatchValue(rest) as JsonObject;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }
  const out: JsonObject = original ? { ...original } : {};
  const p: JsonObject = { ...patch };
  applyRetainKeys(out, p);
  mergeSetElementOrder(out, p, schema);

  const deleteLists: Array<[string, Json]> = [];
  for (const [rawKey, patchV] of Object.entries(p)) {
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) { deleteLists.push([extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST), patchV]); continue; }
    mergeField(out, rawKey, patchV, schema, false);
  }
  // Parallel deletion lists run after additions, so a key both added and deleted ends up deleted.
  for (const [key, patchV] of deleteLists) mergeField(out, key, patchV, schema, true);
  return out;
}

function mergeField(out: JsonObject, k: string, patchV: Json, schema: SchemaNode | undefined, isDeleteList: boolean): void {
  if (patchV === null) { delete out[k]; return; }
  if (!Object.prototype.hasOwnProperty.call(out, k) || goType(out[k]) !== goType(patchV)) {
    if (isDeleteList) return;
    const taken = takePatchValue(patchV);
    if (taken === undefined) delete out[k]; else out[k] = taken;
    return;
  }
  const cur = out[k];
  if (isObject(cur)) {
    const meta = lookupPatchMeta(schema, k);
    out[k] = meta.strategy === 'replace' ? (takePatchValue(patchV) as Json) : mergeMap(cur, patchV as JsonObject, meta.schema);
  } else if (Array.isArray(cur)) {
    out[k] = mergeSliceHandler(cur, patchV, lookupPatchMeta(schema, k), isDeleteList).merged;
  } else {
    const taken = takePatchValue(patchV);
    if (taken === undefined) delete out[k]; else out[k] = taken;
  }
}

/**
 * Applies a strategic merge patch to a copy of `doc` using the kind's schema for merge strategies and keys.
 * Without a schema (CRDs, unknown kinds) upstream refuses the content type: StrategicMergeUnsupportedError (415).
 * Errors: 400 for malformed directives, the generic 422 for lists of lists, 500 (empty reason) for the rest,
 * as upstream's handler (interpretStrategicMergePatchError) answers.
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (!schema) throw new StrategicMergeUnsupportedError();
  if (!isObject(patch)) throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  const original = isObject(doc) ? deepCopy(doc) : {};
  return mergeMap(original, deepCopy(patch), schema);
}
