// Server-side field validation (?fieldValidation=Strict|Warn|Ignore): the unknown and duplicate fields upstream's
// strict JSON decoder (sigs.k8s.io/json UnmarshalStrict over the Go types) reports, found here by walking the
// request body against the kind's OpenAPI schema.
// Paths are formatted as upstream: object keys joined by ".", list items as "[i]" (spec.containers[0].bar);
// findings are in document order, de-duplicated, at most 100.
import { StatusError, errors, field } from '../api/errors';
import type { SchemaNode } from './types';

export interface FieldFindings {
  /** Paths of fields the schema does not know, e.g. `spec.foo`, `spec.containers[0].bar`. */
  unknown: string[];
  /** Paths of fields given twice in the same object (needs the raw JSON text). */
  duplicate: string[];
  /** Upstream's error strings in document order: `unknown field "spec.foo"`, `duplicate field "x"`. */
  errors: string[];
}

/** Upstream stops collecting strict errors after this many. */
const MAX_FINDINGS = 100;
/** Always part of a kind (TypeMeta, ObjectMeta), even where a schema omits them. */
const TOP_LEVEL_KNOWN = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * The strict-decoding findings for `obj` (the decoded body) against `node` (the kind's schema). Pass `rawJson`,
 * the body as sent (or YAML converted to JSON), to find duplicate keys, which JSON.parse drops.
 * Throws a SyntaxError-like Error when rawJson is not valid JSON.
 */
export function checkFields(node: SchemaNode, obj: unknown, rawJson?: string): FieldFindings {
  const out: FieldFindings = { unknown: [], duplicate: [], errors: [] };
  const seen = new Set<string>();
  const record = (type: 'unknown' | 'duplicate', path: string) => {
    const msg = `${type} field ${JSON.stringify(path)}`;
    if (seen.has(msg) || out.errors.length >= MAX_FINDINGS) return;
    seen.add(msg);
    out.errors.push(msg);
    out[type].push(path);
  };
  // Re-scanning the text is needed only when it may repeat a key; most bodies do not, and walking the parsed
  // value is several times cheaper.
  if (rawJson !== undefined && (obj === undefined || mayRepeatKeys(rawJson, obj))) walk(node, scanJson(rawJson), '', true, record, rawTree);
  else walk(node, obj, '', true, record, valueTree);
  return out;
}

/**
 * False when `text` (the JSON that parsed to `value`) cannot hold a repeated key: every key is a string followed
 * by ":", so the text has at least as many `"\s*:` as keys; if it has exactly as many as `value` holds, none
 * collapsed. (Escaped quotes inside strings can only add matches, which errs on the side of scanning.)
 */
function mayRepeatKeys(text: string, value: unknown): boolean {
  let colons = 0;
  const re = /"\s*:/g;
  while (re.exec(text)) colons++;
  return colons !== countKeys(value);
}
function countKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) { for (const x of v) n += countKeys(x); return n; }
  for (const k in v as Record<string, unknown>) n += 1 + countKeys((v as Record<string, unknown>)[k]);
  return n;
}

type Record_ = (type: 'unknown' | 'duplicate', path: string) => void;
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The two shapes a body is walked in: the scanned text (keeps repeated keys) and the parsed value. */
interface Tree<V> { entries(v: V): Iterable<[string, V]> | undefined; items(v: V): V[] | undefined }
const rawTree: Tree<RawValue> = {
  entries: v => (v.kind === 'object' ? v.entries : undefined),
  items: v => (v.kind === 'array' ? v.items : undefined),
};
const valueTree: Tree<unknown> = {
  entries: v => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v as Record<string, unknown>) : undefined),
  items: v => (Array.isArray(v) ? v : undefined),
};

function walk<V>(node: SchemaNode | undefined, v: V, path: string, top: boolean, record: Record_, tree: Tree<V>): void {
  if (!node || node.preserveUnknownFields) return;   // raw JSON upstream (RawExtension, FieldsV1, ...): not checked
  const entries = tree.entries(v);
  if (entries) {
    const props = node.properties;
    if (props) {
      const given = new Set<string>();
      for (const [key, value] of entries) {
        if (Object.prototype.hasOwnProperty.call(props, key)) {
          if (given.has(key)) record('duplicate', join(path, key));
          given.add(key);
          walk(props[key], value, join(path, key), false, record, tree);
        } else if (!(top && TOP_LEVEL_KNOWN.has(key))) {
          record('unknown', join(path, key));
        }
      }
    } else if (node.additionalProperties) {
      const given = new Set<string>();
      for (const [key, value] of entries) {
        if (given.has(key)) record('duplicate', join(path, key));
        given.add(key);
        walk(node.additionalProperties, value, join(path, key), false, record, tree);
      }
    }
    // any other schema given an object is a type error, reported by decoding, not here
    return;
  }
  const items = node.items && tree.items(v);
  if (items) items.forEach((item, i) => walk(node.items, item, `${path}[${i}]`, false, record, tree));
}

// ---- a JSON scanner that keeps every key, duplicates included ----

export type RawValue =
  | { kind: 'object'; entries: [string, RawValue][] }
  | { kind: 'array'; items: RawValue[] }
  | { kind: 'scalar'; value: string | number | boolean | null };

/** Parse JSON text into a tree that keeps repeated keys in order. */
export function scanJson(text: string): RawValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at offset ${i}: ${what}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++; else break;
    }
  };
  const str = (): string => {
    // find the closing quote, then let JSON.parse decode the escapes of just this token
    const start = i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i];
      if (c === '"') break;
      if (c === '\\') i += 2; else i++;
    }
    i++;
    try { return JSON.parse(text.slice(start, i)) as string; } catch { return fail('bad string'); }
  };
  const value = (depth: number): RawValue => {
    if (depth > 10000) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, RawValue][] = [];
      ws();
      if (text[i] === '}') { i++; return { kind: 'object', entries }; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        entries.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return { kind: 'object', entries }; }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: RawValue[] = [];
      ws();
      if (text[i] === ']') { i++; return { kind: 'array', items }; }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return { kind: 'array', items }; }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return { kind: 'scalar', value: str() };
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return { kind: 'scalar', value: JSON.parse(m[0]) as number | boolean | null };
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('unexpected data after the value');
  return v;
}

// ---- how upstream reports the findings ----

/** `strict decoding error: unknown field "spec.foo", duplicate field "x"` (runtime.strictDecodingError). */
export function strictDecodingMessage(errors: string[]): string {
  return `strict decoding error: ${errors.join(', ')}`;
}

/**
 * The 400 of fieldValidation=Strict (handlers' transformDecodeError):
 * `Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"`.
 * `kind` and `version` are those of the body (apiVersion's version part).
 */
export function strictDecodingStatusError(kind: string, version: string, errors: string[]): StatusError {
  return new StatusError(400, 'BadRequest', `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${strictDecodingMessage(errors)}`);
}

/**
 * `Warning` header values for fieldValidation=Warn, one per finding: `299 - "unknown field \"spec.foo\""`
 * (util/net NewWarningHeader: only `"` and `\` escaped). Non-ASCII text is sent as its UTF-8 bytes, as Go
 * writes it; the returned strings are therefore safe for Node's setHeader. Messages with control characters
 * are dropped, as upstream refuses them.
 */
export function fieldValidationWarnings(errors: string[]): string[] {
  const out: string[] = [];
  for (const text of new Set(errors)) {
    if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) continue;
    const quoted = `"${text.replace(/["\\]/g, m => `\\${m}`)}"`;
    out.push(Buffer.from(`299 - ${quoted}`, 'utf8').toString('latin1'));
  }
  return out;
}

/**
 * Duplicate keys in a YAML body, in upstream's words (sigs.k8s.io/yaml YAMLToJSONStrict over go-yaml v2):
 * `error converting YAML to JSON: yaml: unmarshal errors:\n  line 3: key "foo" already set in map`, or
 * undefined when there are none. In Strict mode it is the first strict error, before the JSON findings;
 * in Warn mode each `line N: ...` part is one warning (see yamlDuplicateWarnings).
 */
export function yamlDuplicateKeysError(yamlText: string): string | undefined {
  const lines = yamlDuplicateKeyLines(yamlText);
  return lines.length ? `error converting YAML to JSON: yaml: unmarshal errors:\n  ${lines.join('\n  ')}` : undefined;
}

/** The per-line parts of yamlDuplicateKeysError (upstream's parseYAMLWarnings splits them so). */
export function yamlDuplicateKeyLines(yamlText: string): string[] {
  // required lazily: only YAML bodies need the parser
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const YAML = require('yaml') as typeof import('yaml');
  const counter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(yamlText, { uniqueKeys: false, lineCounter: counter });
  const out: string[] = [];
  const visit = (n: unknown): void => {
    if (YAML.isMap(n)) {
      const seen = new Set<string>();
      for (const pair of n.items) {
        const k = pair.key;
        const keyText = YAML.isScalar(k) ? String(k.value) : k == null ? '' : String(k);
        if (seen.has(keyText)) {
          const line = YAML.isNode(k) && k.range ? counter.linePos(k.range[0]).line : 0;
          out.push(`line ${line}: key ${JSON.stringify(keyText)} already set in map`);
        }
        seen.add(keyText);
        visit(pair.value);
      }
    } else if (YAML.isSeq(n)) {
      for (const item of n.items) visit(item);
    }
  };
  for (const d of Array.isArray(docs) ? docs : [docs]) visit((d as { contents: unknown }).contents);
  return out;
}

// ---- the fieldValidation query parameter ----

export type FieldValidationDirective = 'Ignore' | 'Warn' | 'Strict';
const DIRECTIVES = ['', 'Ignore', 'Strict', 'Warn'];

/**
 * The directive of a request's `fieldValidation` value; empty or absent means Warn (upstream's default).
 * Other values fail as upstream's options validation: 422 `CreateOptions.meta.k8s.io "" is invalid:
 * fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
 */
export function fieldValidationDirective(value: string | null | undefined,
  options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' = 'CreateOptions'): FieldValidationDirective {
  const v = value ?? '';
  if (!DIRECTIVES.includes(v)) throw errors.invalid(options, 'meta.k8s.io', '', [field.notSupported('fieldValidation', v, DIRECTIVES)]);
  return (v || 'Warn') as FieldValidationDirective;
}

/**
 * What a handler does with the findings: Strict -> throw the 400 (when there are any); Warn -> the Warning
 * header values to add; Ignore -> nothing. `strictErrors` are upstream's strings in order (YAML duplicate
 * error first, then FieldFindings.errors).
 */
export function applyFieldValidation(directive: FieldValidationDirective, kind: string, version: string,
  strictErrors: string[]): { warnings: string[] } {
  if (!strictErrors.length || directive === 'Ignore') return { warnings: [] };
  if (directive === 'Strict') throw strictDecodingStatusError(kind, version, strictErrors);
  // Warn: a YAML error splits into one warning per line (upstream's parseYAMLWarnings)
  const parts = strictErrors.flatMap(e => {
    for (const prefix of ['yaml: unmarshal errors:\n', 'error converting YAML to JSON: yaml: unmarshal errors:\n']) {
      if (e.startsWith(prefix)) return e.slice(prefix.length).split('\n').map(s => s.trim());
    }
    return [e];
  });
  return { warnings: fieldValidationWarnings(parts) };
}
