// RFC 7386 JSON Merge Patch with the quirks of the library upstream uses (evanphx/json-patch v4 MergePatch).
import { Json, JsonObject, badRequest, deepCopy, deepEqual, isObject } from './errors';

/** Removes null members of objects at any depth; null list elements stay (as upstream). */
function pruneNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(x => (x === null ? null : pruneNulls(x)));
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return v;
}

function mergeInto(doc: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...doc };
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) { delete out[k]; continue; }
    const cur = out[k];
    out[k] = isObject(cur) && isObject(pv) ? mergeInto(cur, pv) : pruneNulls(deepCopy(pv));
  }
  return out;
}

/**
 * Applies a merge patch: objects merge recursively, `null` deletes, anything else (lists included) replaces.
 * A null or scalar patch is a 400 `Invalid JSON Patch`; a list patch replaces the document.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === null || patch === undefined || (typeof patch !== 'object')) throw badRequest('Invalid JSON Patch');
  if (Array.isArray(patch)) return pruneNulls(deepCopy(patch as Json));
  if (!isObject(doc)) return pruneNulls(deepCopy(patch as Json));
  return mergeInto(deepCopy(doc), patch as JsonObject);
}

/** The merge patch that turns `original` into `modified` (keys removed become null, lists are sent whole). */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isObject(original) || !isObject(modified)) return deepCopy(modified as Json);
  const patch: JsonObject = {};
  for (const [k, mv] of Object.entries(modified)) {
    if (!Object.prototype.hasOwnProperty.call(original, k)) { patch[k] = deepCopy(mv); continue; }
    const ov = original[k];
    if (deepEqual(ov, mv)) continue;
    if (isObject(ov) && isObject(mv)) {
      const sub = createMergePatch(ov, mv) as JsonObject;
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else patch[k] = mv === null ? null : deepCopy(mv);
  }
  for (const k of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(modified, k)) patch[k] = null;
  return patch;
}
