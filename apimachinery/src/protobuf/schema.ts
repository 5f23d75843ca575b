// The generated schema (schema.json, made by apimachinery/scripts/gen-protobuf-schema.js from upstream's
// generated.proto + types.go) compiled into linked structures the decoder and encoder walk quickly.

import schemaFile from './schema.json';

/** One field as the generator writes it. */
export interface SchemaField {
  no: number;
  /** JSON name from the Go tag (the Go field name for embedded structs). */
  json: string;
  /** A proto scalar type name or a fully-qualified message name. */
  type: string;
  repeated?: boolean;
  /** Present for map fields: the key's scalar type (`type` is then the value type). */
  key?: string;
  /** The Go field is a pointer: absent stays absent (null), present zero values are kept. */
  ptr?: boolean;
  omitempty?: boolean;
  /** Embedded Go struct without a JSON name: its fields print at the parent's level. */
  inline?: boolean;
}
export type SpecialKind = 'time' | 'microTime' | 'duration' | 'rawJSON' | 'quantity' | 'intOrString';
export type SchemaMessage = { fields: SchemaField[] } | { special: SpecialKind } | { list: string };
export interface SchemaFile {
  source: Record<string, string>;
  kinds: Record<string, string>;
  messages: Record<string, SchemaMessage>;
}

export type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64' |
  'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64' | 'double' | 'float';
const SCALAR_WIRE: Record<Scalar, number> = {
  string: 2, bytes: 2, bool: 0, int32: 0, int64: 0, uint32: 0, uint64: 0, sint32: 0, sint64: 0,
  fixed32: 5, sfixed32: 5, float: 5, fixed64: 1, sfixed64: 1, double: 1,
};
export const isScalar = (t: string): t is Scalar => Object.prototype.hasOwnProperty.call(SCALAR_WIRE, t);
export const scalarWireType = (t: Scalar) => SCALAR_WIRE[t];

export interface CompiledField extends SchemaField {
  /** Index into the message's value slots (the Go declaration order). */
  idx: number;
  scalar?: Scalar;
  message?: CompiledMessage;
  keyScalar?: Scalar;
  isMap: boolean;
  /** Wire type expected for a single (non-packed) value. */
  wireType: number;
}

export interface CompiledMessage {
  name: string;
  /** Short name for error paths: Pod, ObjectMeta. */
  shortName: string;
  special?: SpecialKind;
  /** For `type X []T` wrappers: the element (scalar name or message). */
  listOf?: Scalar | CompiledMessage;
  /** Fields in Go declaration order (the order encoding/json prints). */
  fields: CompiledField[];
  /** Fields in field-number order (the order gogo-protobuf writes). */
  byNumberOrder: CompiledField[];
  /** Field lookup by number. */
  byNo: (CompiledField | undefined)[];
}

function compile(file: SchemaFile): Map<string, CompiledMessage> {
  const out = new Map<string, CompiledMessage>();
  for (const name of Object.keys(file.messages)) {
    out.set(name, {
      name, shortName: name.slice(name.lastIndexOf('.') + 1), special: undefined, listOf: undefined,
      fields: [], byNumberOrder: [], byNo: [],
    });
  }
  const ref = (from: string, t: string): CompiledMessage => {
    const m = out.get(t);
    if (!m) throw new Error(`protobuf schema: ${from} refers to unknown message ${t}`);
    return m;
  };
  for (const [name, def] of Object.entries(file.messages)) {
    const m = out.get(name)!;
    if ('special' in def) { m.special = def.special; continue; }
    if ('list' in def) { m.listOf = isScalar(def.list) ? def.list : ref(name, def.list); continue; }
    def.fields.forEach((f, idx) => {
      const scalar = isScalar(f.type) ? f.type : undefined;
      if (f.key !== undefined && !isScalar(f.key)) throw new Error(`protobuf schema: ${name}.${f.json} has a non-scalar map key`);
      // Every property set, in one order, so all fields share one hidden class (monomorphic hot loop).
      const cf: CompiledField = {
        no: f.no, json: f.json, type: f.type, repeated: f.repeated === true, key: f.key, ptr: f.ptr === true,
        omitempty: f.omitempty === true, inline: f.inline === true, idx, scalar,
        message: scalar ? undefined : ref(name, f.type), keyScalar: f.key as Scalar | undefined,
        isMap: f.key !== undefined, wireType: scalar && f.key === undefined ? scalarWireType(scalar) : 2,
      };
      m.fields.push(cf);
      m.byNo[f.no] = cf;
    });
    m.byNumberOrder = [...m.fields].sort((a, b) => a.no - b.no);
  }
  return out;
}

let compiled: Map<string, CompiledMessage> | undefined;
const schema = schemaFile as unknown as SchemaFile;

export function messages(): Map<string, CompiledMessage> {
  if (!compiled) compiled = compile(schema);
  return compiled;
}

/** The message for an apiVersion/kind pair, or undefined if the kind is not served as protobuf. */
export function messageForKind(apiVersion: string, kind: string): CompiledMessage | undefined {
  const name = schema.kinds[`${apiVersion}/${kind}`] ?? schema.kinds[`*/${kind}`];
  return name === undefined ? undefined : messages().get(name);
}

/** The served kinds as "apiVersion/kind" ("*" = any apiVersion). */
export function servedProtobufKinds(): string[] { return Object.keys(schema.kinds); }

export function messageByName(name: string): CompiledMessage | undefined { return messages().get(name); }
