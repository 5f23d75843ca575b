// RFC 6902 JSON Patch, with the behaviour of the library upstream's apiserver uses (evanphx/json-patch v4):
// negative array indexes count from the end, `test` against a missing path passes only for null.
// A body that is not a list of operation objects is a 400; an operation that cannot be applied is the generic 422.
import { StatusError } from '@mk8s/apimachinery';
import { Json, JsonObject, PatchApplyError, badRequest, deepCopy, deepEqual, isObject } from './errors';

/** Upstream refuses larger patches (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Container = Json[] | JsonObject;

/** Splits a JSON pointer into unescaped reference tokens; '' is the whole document. */
export function parsePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw new PatchApplyError('operation missing path field');
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchApplyError(`JSON pointer must be empty or start with a "/": ${pointer}`);
  return pointer.slice(1).split('/').map(tok => {
    if (/~[^01]|~$/.test(tok)) throw new PatchApplyError(`invalid JSON pointer escape in ${JSON.stringify(pointer)}`);
    return tok.replace(/~1/g, '/').replace(/~0/g, '~');
  });
}

function arrayIndex(tok: string, length: number, forAdd: boolean, path: string): number {
  if (!/^-?\d+$/.test(tok)) throw new PatchApplyError(`value was not a proper array index: '${tok}' (${path})`);
  let idx = Number(tok);
  const size = forAdd ? length + 1 : length;
  if (idx >= size || idx < -size) throw new PatchApplyError(`Unable to access invalid index: ${idx} (${path})`);
  if (idx < 0) idx += size;
  return idx;
}

/** The container holding the last token of `tokens`, or an error naming the missing path. */
function parentOf(doc: Json, tokens: string[], op: string, path: string): Container {
  let cur: Json = doc;
  for (const tok of tokens.slice(0, -1)) {
    let next: Json | undefined;
    if (Array.isArray(cur)) next = cur[arrayIndex(tok, cur.length, false, path)];
    else if (isObject(cur)) next = Object.prototype.hasOwnProperty.call(cur, tok) ? cur[tok] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new PatchApplyError(`${op} operation does not apply: doc is missing path: "${path}"`);
    }
    cur = next;
  }
  if (typeof cur !== 'object' || cur === null) throw new PatchApplyError(`${op} operation does not apply: doc is missing path: "${path}"`);
  return cur;
}

function getAt(doc: Json, tokens: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const tok of tokens) {
    if (Array.isArray(cur)) {
      if (!/^-?\d+$/.test(tok)) return undefined;
      let i = Number(tok);
      if (i < 0) i += cur.length;
      cur = cur[i];
    } else if (isObject(cur)) cur = Object.prototype.hasOwnProperty.call(cur, tok) ? cur[tok] : undefined;
    else return undefined;
  }
  return cur;
}

interface State { doc: Json }

function add(st: State, tokens: string[], value: Json, path: string, op = 'add'): void {
  if (tokens.length === 0) { st.doc = value; return; }
  const parent = parentOf(st.doc, tokens, op, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    if (last === '-') parent.push(value);
    else parent.splice(arrayIndex(last, parent.length, true, path), 0, value);
  } else parent[last] = value;
}

function remove(st: State, tokens: string[], path: string, op = 'remove'): Json {
  if (tokens.length === 0) { const old = st.doc; st.doc = null; return old; }
  const parent = parentOf(st.doc, tokens, op, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const idx = arrayIndex(last, parent.length, false, path);
    return parent.splice(idx, 1)[0];
  }
  if (!Object.prototype.hasOwnProperty.call(parent, last)) {
    throw new PatchApplyError(`Unable to remove nonexistent key: ${last}: missing value`);
  }
  const old = parent[last];
  delete parent[last];
  return old;
}

function replace(st: State, tokens: string[], value: Json, path: string): void {
  if (tokens.length === 0) { st.doc = value; return; }
  const parent = parentOf(st.doc, tokens, 'replace', path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent[arrayIndex(last, parent.length, false, path)] = value;
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, last)) {
      throw new PatchApplyError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[last] = value;
  }
}

function valueOf(op: JsonObject, name: string): Json {
  if (!Object.prototype.hasOwnProperty.call(op, 'value')) throw new PatchApplyError(`${name} operation missing value`);
  return deepCopy(op.value);
}

function applyOne(st: State, op: JsonObject): void {
  const kind = op.op;
  switch (kind) {
    case 'add': add(st, parsePointer(op.path), valueOf(op, 'add'), op.path as string); return;
    case 'remove': remove(st, parsePointer(op.path), op.path as string); return;
    case 'replace': replace(st, parsePointer(op.path), valueOf(op, 'replace'), op.path as string); return;
    case 'move': {
      const from = parsePointer(op.from ?? undefined);
      const to = parsePointer(op.path);
      if (to.length > from.length && from.every((t, i) => t === to[i])) {
        throw new PatchApplyError(`move operation cannot move ${String(op.from)} into its own child ${String(op.path)}`);
      }
      const v = remove(st, from, op.from as string, 'move');
      add(st, to, v, op.path as string, 'move');
      return;
    }
    case 'copy': {
      const from = parsePointer(op.from ?? undefined);
      const v = getAt(st.doc, from);
      if (v === undefined) throw new PatchApplyError(`copy operation does not apply: doc is missing from path: ${String(op.from)}`);
      add(st, parsePointer(op.path), deepCopy(v), op.path as string, 'copy');
      return;
    }
    case 'test': {
      const tokens = parsePointer(op.path);
      const actual = getAt(st.doc, tokens);
      const expected = Object.prototype.hasOwnProperty.call(op, 'value') ? op.value : null;
      if (actual === undefined || actual === null) {
        if (expected === null) return;
        throw new PatchApplyError(`testing value ${String(op.path)} failed: test failed`);
      }
      if (!deepEqual(actual, expected)) throw new PatchApplyError(`testing value ${String(op.path)} failed: test failed`);
      return;
    }
    default:
      throw new PatchApplyError(`Unexpected kind: ${typeof kind === 'string' ? kind : 'unknown'}`);
  }
}

/** Checks the decoded body is a list of operation objects (upstream's DecodePatch; 400 otherwise). */
function decodeOperations(ops: unknown): JsonObject[] {
  if (!Array.isArray(ops)) {
    throw badRequest(`json: cannot unmarshal ${jsonKind(ops)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of ops) {
    if (!isObject(op)) throw badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(413, 'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  return ops as JsonObject[];
}

function jsonKind(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Applies an RFC 6902 patch to a copy of `doc`; the input is never changed. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  const list = decodeOperations(ops);
  const st: State = { doc: deepCopy(doc as Json) };
  for (const op of list) applyOne(st, op);
  return st.doc;
}
