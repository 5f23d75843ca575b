// Errors raised by the patch functions, shaped like the ones upstream's patch handler returns.
import { StatusError, errors } from '@mk8s/apimachinery';

/** A JSON value as decoded from a request body. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Upstream answers a patch that cannot be applied (json-patch apply failures, lists of lists in a strategic patch)
 * with a generic 422 whose body drops the real reason; we keep the reason on `detail` for logs and tests.
 */
export class PatchApplyError extends StatusError {
  constructor(public readonly detail: string) {
    super(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  }
}

/**
 * Patches that cannot be applied for reasons upstream leaves unmapped (it answers 500 with an empty reason, e.g.
 * `map: ... does not contain declared merge key: name`). A bad patch is the client's error, and our rule is never a
 * 500 for bad input: 400 BadRequest with upstream's message.
 */
export class PatchServerError extends StatusError {
  constructor(message: string) { super(400, 'BadRequest', message); }
}

export const badRequest = (msg: string) => errors.badRequest(msg);

/** Strategic merge patch is refused for kinds without a schema (CRDs) with the handler's 415. */
export class StrategicMergeUnsupportedError extends StatusError {
  constructor() {
    super(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: ' +
      'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  }
}

export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepCopy) as unknown as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
    return out as unknown as T;
  }
  return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every(k => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's `%v` rendering of a decoded JSON value, used where upstream puts one in an error message. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map(k => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  return String(v);
}

/** Go's reflect type name for a decoded JSON value (for `expected a X, but received a Y`). */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}
