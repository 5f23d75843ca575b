// The type errors upstream's decoder reports when a body does not fit the Go types (sigs.k8s.io/json, a fork of
// encoding/json): `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
// Found here by walking the decoded body against the kind's OpenAPI schema, before defaulting and admission
// see it, so that a wrong type is the client's 400 and never a crash further down.
import type { SchemaNode } from '@mk8s/apimachinery';

const INT_RANGE: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], // beyond this JSON.parse has already lost digits
};

/** Go's name for the JSON value's kind in its error ("string", "number", "object", ...). */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string | number | object
}

/** `io.k8s.api.core.v1.PodSpec` -> `v1.PodSpec` (Go's package-qualified type name). */
const qualified = (ref: string) => ref.split('.').slice(-2).join('.');
const structName = (ref: string) => ref.split('.').pop()!;

/** The Go type a schema node decodes into, as reflect.Type.String() prints it. */
function goType(n: SchemaNode | undefined): string {
  if (!n) return 'interface {}';
  if (n.ref && (n.type === 'object' || n.type === undefined)) return qualified(n.ref);
  switch (n.type) {
    case 'string': return n.format === 'byte' ? '[]uint8' : n.ref ? qualified(n.ref) : 'string';
    case 'integer': return n.format === 'int32' ? 'int32' : 'int64';
    case 'number': return 'float64';
    case 'boolean': return 'bool';
    case 'array': return `[]${goType(n.items)}`;
    case 'object': return n.additionalProperties ? `map[string]${goType(n.additionalProperties)}` : 'map[string]interface {}';
    default: return 'interface {}';
  }
}

/** Named scalar types with their own UnmarshalJSON (Quantity, Time, MicroTime, IntOrString, ...): not checked. */
const customDecoded = (n: SchemaNode) =>
  !!n.intOrString || !!n.preserveUnknownFields || !!n.embeddedResource || (!!n.ref && n.type !== 'object' && n.type !== 'array');

interface Ctx { struct: string; path: string[] }

function mismatch(value: string, n: SchemaNode, ctx: Ctx): string {
  const into = ctx.path.length ? `Go struct field ${ctx.struct}.${ctx.path.join('.')}` : 'Go value';
  return `json: cannot unmarshal ${value} into ${into} of type ${goType(n)}`;
}

function check(n: SchemaNode | undefined, v: unknown, ctx: Ctx): string | undefined {
  if (!n || v === null || v === undefined || customDecoded(n)) return undefined; // null leaves the zero value
  switch (n.type) {
    case 'string':
      return typeof v === 'string' ? undefined : mismatch(jsonKind(v), n, ctx);
    case 'boolean':
      return typeof v === 'boolean' ? undefined : mismatch(jsonKind(v), n, ctx);
    case 'number':
      return typeof v === 'number' ? undefined : mismatch(jsonKind(v), n, ctx);
    case 'integer': {
      if (typeof v !== 'number') return mismatch(jsonKind(v), n, ctx);
      const [lo, hi] = INT_RANGE[n.format ?? 'int64'] ?? INT_RANGE.int64;
      return Number.isInteger(v) && v >= lo && v <= hi ? undefined : mismatch(`number ${v}`, n, ctx);
    }
    case 'array': {
      if (!Array.isArray(v)) return mismatch(jsonKind(v), n, ctx);
      for (const item of v) { const e = check(n.items, item, ctx); if (e) return e; }
      return undefined;
    }
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) return mismatch(jsonKind(v), n, ctx);
      const o = v as Record<string, unknown>;
      if (n.properties) {
        // A struct: each known field pushes its name; the innermost struct names the error.
        const struct = n.ref ? structName(n.ref) : ctx.struct;
        for (const [k, sub] of Object.entries(o)) {
          const p = n.properties[k];
          if (!p) continue; // unknown fields are field validation's business
          const e = check(p, sub, { struct, path: [...ctx.path, k] });
          if (e) return e;
        }
      } else if (n.additionalProperties) {
        for (const sub of Object.values(o)) { const e = check(n.additionalProperties, sub, ctx); if (e) return e; } // map keys add no path
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The first Go decoding type error of `body` against the kind's schema, or undefined when it decodes. */
export function decodeTypeError(schema: SchemaNode, body: unknown): string | undefined {
  return check(schema, body, { struct: schema.ref ? structName(schema.ref) : '', path: [] });
}
