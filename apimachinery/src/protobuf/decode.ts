// Kubernetes protobuf bodies (what kubectl's typed commands send) -> the JSON object Go's encoding/json would
// print for the decoded Go struct, i.e. the JSON twin of the request. The wire layout is
//   "k8s\0" + runtime.Unknown{1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}
// with `raw` the kind's own message. gogo-protobuf writes every non-pointer field even when zero, so whether a
// zero value prints is decided here from the Go facts in the schema (pointer, omitempty), as encoding/json does.

import { errors, StatusError } from '../api/errors';
import { CompiledField, CompiledMessage, Scalar, messageByName, messageForKind, scalarWireType } from './schema';
import { GO_ZERO_TIME_UNIX, formatGoDuration, formatRFC3339 } from './gotime';
import { checkQuantity } from './quantity';
import { ProtoError, Reader, WIRE_BYTES, WIRE_VARINT } from './wire';

// Globals read once at load: inside a vm sandbox (jest) every global lookup is ~60x slower than a module binding.
const { assign, keys } = Object;
const { isArray } = Array;
const { floor, trunc } = Math;
const NodeBuffer = Buffer;
const ArrayCtor = Array;
const Bytes = Uint8Array;

export const KUBE_PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
export const KUBE_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** Nested messages deeper than this are refused (the served kinds nest about 12 levels). */
const MAX_DEPTH = 64;

export interface DecodedKubeObject {
  apiVersion: string;
  kind: string;
  /** The JSON twin, with kind and apiVersion first as Go's TypeMeta prints them. */
  object: Record<string, unknown>;
}

/** Decodes a `k8s\0`-prefixed protobuf body; throws a 400 StatusError for anything malformed or unknown. */
export function decodeKubeProtobuf(body: Uint8Array): DecodedKubeObject {
  if (!(body instanceof Bytes)) throw errors.badRequest('protobuf body must be bytes');
  try {
    return decodeEnvelope(body, 0);
  } catch (e) {
    throw asBadRequest(e, 'unable to decode protobuf body');
  }
}

/** Decodes one message of the schema by fully-qualified name (e.g. k8s.io.api.core.v1.PodSpec). */
export function decodeProtobufMessage(typeName: string, bytes: Uint8Array): unknown {
  const m = messageByName(typeName);
  if (!m) throw errors.badRequest(`unknown protobuf message ${typeName}`);
  try {
    const r = new Reader(bytes);
    return decodeBody(r, m, 0);
  } catch (e) {
    throw asBadRequest(e, `unable to decode protobuf ${m.shortName}`);
  }
}

export function asBadRequest(e: unknown, prefix: string): StatusError {
  if (e instanceof StatusError) return e;
  if (e instanceof ProtoError) {
    const where = e.path.length ? ` at ${e.path.join('.')}` : '';
    return errors.badRequest(`${prefix}${where}: ${e.message}`);
  }
  if (e instanceof RangeError) return errors.badRequest(`${prefix}: ${e.message}`);
  throw e;
}

function hasMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x6b && b[1] === 0x38 && b[2] === 0x73 && b[3] === 0x00;
}

function decodeEnvelope(buf: Uint8Array, depth: number): DecodedKubeObject {
  if (!hasMagic(buf)) throw new ProtoError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  const r = new Reader(buf, 4);
  let apiVersion = '';
  let kind = '';
  let rawStart = -1;
  let rawEnd = -1;
  let contentEncoding = '';
  while (r.pos < r.end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no >= 1 && no <= 4 && wt !== WIRE_BYTES) throw new ProtoError(`runtime.Unknown field ${no} has wire type ${wt}, expected 2`);
    if (no === 1) {
      const end = r.delimitedEnd();
      const outerEnd = r.end;
      r.end = end;
      while (r.pos < end) {
        const t = r.uint32();
        if ((t >>> 3) === 1 && (t & 7) === WIRE_BYTES) apiVersion = r.string();
        else if ((t >>> 3) === 2 && (t & 7) === WIRE_BYTES) kind = r.string();
        else if ((t >>> 3) <= 2) throw new ProtoError(`runtime.TypeMeta field ${t >>> 3} has wire type ${t & 7}, expected 2`);
        else r.skip(t & 7);
      }
      r.end = outerEnd;
    } else if (no === 2) {
      rawEnd = r.delimitedEnd();
      rawStart = r.pos;
      r.pos = rawEnd;
    } else if (no === 3) {
      contentEncoding = r.string();
    } else if (no === 4) {
      r.string();
    } else {
      if (no === 0) throw new ProtoError('field number 0 is invalid');
      r.skip(wt);
    }
  }
  if (contentEncoding !== '') throw new ProtoError(`unsupported contentEncoding ${JSON.stringify(contentEncoding)}`);
  if (kind === '') throw new ProtoError("Object 'Kind' is missing in the protobuf envelope");
  if (apiVersion === '') throw new ProtoError("Object 'apiVersion' is missing in the protobuf envelope");
  const m = messageForKind(apiVersion, kind);
  if (!m) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" (protobuf body)`);
  const raw = rawStart < 0 ? new Reader(buf, 0, 0) : new Reader(buf, rawStart, rawEnd);
  let body: Record<string, unknown>;
  try {
    body = decodeStruct(raw, m, depth + 1);
  } catch (e) {
    if (e instanceof ProtoError) e.message = `${apiVersion} ${kind}: ${e.message}`;
    throw e;
  }
  return { apiVersion, kind, object: { kind, apiVersion, ...body } };
}

function readScalar(r: Reader, t: Scalar): unknown {
  switch (t) {
    case 'string': return r.string();
    case 'int32': return r.int32();
    case 'int64': return r.int64();
    case 'bool': return r.bool();
    case 'bytes': {
      const b = r.bytes();
      return NodeBuffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
    }
    case 'uint32': return r.uint64() % 4294967296;
    case 'uint64': return r.uint64();
    case 'sint32': return r.sint32();
    case 'sint64': return r.sint64();
    case 'fixed32': return r.fixed32();
    case 'sfixed32': return r.sfixed32();
    case 'fixed64': return r.fixed64();
    case 'sfixed64': return r.sfixed64();
    case 'double': return r.double();
    case 'float': return r.float();
  }
}

/** Go zero values as encoding/json prints them; a nil []byte prints null. */
function zeroScalar(t: Scalar): unknown {
  if (t === 'string') return '';
  if (t === 'bool') return false;
  if (t === 'bytes') return null;
  return 0;
}

/** What a non-pointer struct field prints when the message is absent: the zero struct. */
const NO_BYTES = new Bytes(0);
function zeroMessage(m: CompiledMessage, depth: number): unknown {
  return decodeBody(new Reader(NO_BYTES), m, depth);
}

/** Reads a length-delimited message value. */
function readMessage(r: Reader, m: CompiledMessage, depth: number): unknown {
  const end = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = end;
  const v = decodeBody(r, m, depth + 1);
  r.pos = end;
  r.end = outerEnd;
  return v;
}

/** Decodes the bytes from r.pos to r.end as message m. */
function decodeBody(r: Reader, m: CompiledMessage, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new ProtoError(`messages nested deeper than ${MAX_DEPTH} levels`);
  if (m.special !== undefined) return decodeSpecial(r, m, depth);
  if (m.listOf !== undefined) return decodeListWrapper(r, m, depth);
  return decodeStruct(r, m, depth);
}

function wrongWireType(f: CompiledField, got: number): ProtoError {
  return new ProtoError(`field ${f.no} has wire type ${got}, expected ${f.wireType}`);
}

function decodeStruct(r: Reader, m: CompiledMessage, depth: number): Record<string, unknown> {
  const vals: unknown[] = new ArrayCtor(m.fields.length);
  let f: CompiledField | undefined;
  try {
    while (r.pos < r.end) {
      const tag = r.uint32();
      const no = tag >>> 3;
      const wt = tag & 7;
      f = m.byNo[no];
      if (f === undefined) {
        // Unknown fields are skipped, as gogo-protobuf does (newer clients may send fields we do not know).
        if (no === 0) throw new ProtoError('field number 0 is invalid');
        r.skip(wt);
        continue;
      }
      if (f.isMap) {
        if (wt !== WIRE_BYTES) throw wrongWireType(f, wt);
        const map = (vals[f.idx] ??= {}) as Record<string, unknown>;
        readMapEntry(r, f, map, depth);
      } else if (f.repeated) {
        const arr = (vals[f.idx] ??= []) as unknown[];
        if (f.scalar !== undefined) {
          if (wt === f.wireType) arr.push(readScalar(r, f.scalar));
          else if (wt === WIRE_BYTES) {
            // Packed encoding of a numeric list: accepted, though proto2 writers send one tag per element.
            const end = r.delimitedEnd();
            const outerEnd = r.end;
            r.end = end;
            while (r.pos < end) arr.push(readScalar(r, f.scalar));
            r.end = outerEnd;
          } else throw wrongWireType(f, wt);
        } else {
          if (wt !== WIRE_BYTES) throw wrongWireType(f, wt);
          arr.push(readMessage(r, f.message!, depth));
        }
      } else {
        if (wt !== f.wireType) throw wrongWireType(f, wt);
        // A repeated occurrence of a singular field replaces the earlier one (last one wins).
        vals[f.idx] = f.scalar !== undefined ? readScalar(r, f.scalar) : readMessage(r, f.message!, depth);
      }
      f = undefined;
    }
  } catch (e) {
    if (e instanceof ProtoError) e.path.unshift(f ? f.json : m.shortName);
    throw e;
  }
  return assemble(m, vals, depth);
}

function readMapEntry(r: Reader, f: CompiledField, map: Record<string, unknown>, depth: number): void {
  const end = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = end;
  let key: unknown;
  let value: unknown;
  while (r.pos < end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 1) {
      if (wt !== scalarWireType(f.keyScalar!)) throw new ProtoError(`map key has wire type ${wt}, expected ${scalarWireType(f.keyScalar!)}`);
      key = readScalar(r, f.keyScalar!);
    } else if (no === 2) {
      const expected = f.scalar !== undefined ? scalarWireType(f.scalar) : WIRE_BYTES;
      if (wt !== expected) throw new ProtoError(`map value has wire type ${wt}, expected ${expected}`);
      value = f.scalar !== undefined ? readScalar(r, f.scalar) : readMessage(r, f.message!, depth);
    } else {
      if (no === 0) throw new ProtoError('field number 0 is invalid');
      r.skip(wt);
    }
  }
  r.end = outerEnd;
  // An absent key or value is its zero value (gogo initialises both before reading the entry).
  if (key === undefined) key = zeroScalar(f.keyScalar!);
  if (value === undefined) {
    // gogo starts a bytes map value as []byte{}, which prints "" rather than null.
    value = f.scalar === 'bytes' ? '' : f.scalar !== undefined ? zeroScalar(f.scalar) : zeroMessage(f.message!, depth);
  }
  map[typeof key === 'string' ? key : `${key}`] = value;
}

/** encoding/json's "empty" for omitempty: false, 0, "", nil pointer/slice/map, empty slice/map. Structs never. */
function isEmpty(f: CompiledField, v: unknown): boolean {
  if (f.repeated || f.isMap || f.message?.listOf !== undefined) {
    return v === null || (isArray(v) ? v.length === 0 : keys(v as object).length === 0);
  }
  // A struct (including Time, whose zero prints null, and IntOrString, whose zero prints 0) is never empty.
  if (f.message !== undefined) return false;
  return v === '' || v === 0 || v === false || v === null;
}

/** Builds the JSON object in Go declaration order, applying pointer/omitempty rules to absent fields. */
function assemble(m: CompiledMessage, vals: unknown[], depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = m.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    let v = vals[i];
    if (v === undefined) {
      if (f.repeated || f.isMap || f.ptr) {
        // nil slice, map or pointer: null unless omitempty (an embedded nil pointer prints nothing).
        if (!f.omitempty && !f.inline) out[f.json] = null;
        continue;
      }
      v = f.scalar !== undefined ? zeroScalar(f.scalar) : zeroMessage(f.message!, depth + 1);
    }
    if (f.inline) {
      if (v !== null && typeof v === 'object') assign(out, v);
      continue;
    }
    if (f.omitempty && (f.ptr ? v === null : isEmpty(f, v))) continue;
    out[f.json] = v;
  }
  return out;
}

function decodeListWrapper(r: Reader, m: CompiledMessage, depth: number): unknown {
  const items: unknown[] = [];
  const el = m.listOf!;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if ((tag >>> 3) !== 1) { r.skip(tag & 7); continue; }
    if (typeof el === 'string') items.push(readScalar(r, el));
    else items.push(readMessage(r, el, depth));
  }
  return items.length ? items : null;
}

/** Reads fields of a small fixed message: returns values by field number for the numbers wanted. */
function readSmall(r: Reader, want: Record<number, Scalar>, m: CompiledMessage): Record<number, unknown> {
  const got: Record<number, unknown> = {};
  while (r.pos < r.end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    const t = want[no];
    if (t === undefined) {
      if (no === 0) throw new ProtoError('field number 0 is invalid');
      r.skip(wt);
      continue;
    }
    const expected = t === 'string' || t === 'bytes' ? WIRE_BYTES : WIRE_VARINT;
    if (wt !== expected) throw new ProtoError(`${m.shortName} field ${no} has wire type ${wt}, expected ${expected}`);
    got[no] = t === 'bytes' ? r.bytes() : readScalar(r, t);
  }
  return got;
}

const WANT_DURATION: Record<number, Scalar> = { 1: 'int64' };
const WANT_QUANTITY: Record<number, Scalar> = { 1: 'string' };
const WANT_INT_OR_STRING: Record<number, Scalar> = { 1: 'int64', 2: 'int32', 3: 'string' };
const WANT_RAW: Record<number, Scalar> = { 1: 'bytes' };

function decodeSpecial(r: Reader, m: CompiledMessage, depth: number): unknown {
  switch (m.special!) {
    case 'time':
    case 'microTime': {
      if (r.pos >= r.end) return null; // gogo writes a zero Time as an empty message
      // Read by hand (no readSmall): timestamps are the most frequent special in every object.
      let seconds = 0;
      let nanos = 0;
      while (r.pos < r.end) {
        const tag = r.uint32();
        if (tag === 0x08) seconds = r.int64();
        else if (tag === 0x10) nanos = r.int32();
        else if ((tag >>> 3) === 1 || (tag >>> 3) === 2) throw new ProtoError(`${m.shortName} field ${tag >>> 3} has wire type ${tag & 7}, expected 0`);
        else if ((tag >>> 3) === 0) throw new ProtoError('field number 0 is invalid');
        else r.skip(tag & 7);
      }
      // Time keeps whole seconds (metav1.Time.Unmarshal drops nanos); MicroTime keeps microseconds.
      if (m.special === 'time') nanos = 0;
      else {
        seconds += floor(nanos / 1e9);
        nanos = ((nanos % 1e9) + 1e9) % 1e9;
        nanos -= nanos % 1000;
      }
      if (seconds === GO_ZERO_TIME_UNIX && nanos === 0) return null;
      return formatRFC3339(seconds, nanos, m.special === 'time' ? 0 : 6);
    }
    case 'duration': {
      const v = readSmall(r, WANT_DURATION, m);
      return formatGoDuration(BigInt(trunc((v[1] as number | undefined) ?? 0)));
    }
    case 'quantity': {
      const v = readSmall(r, WANT_QUANTITY, m);
      const s = v[1] as string | undefined;
      if (s === undefined) return '0';
      return checkQuantity(s);
    }
    case 'intOrString': {
      const v = readSmall(r, WANT_INT_OR_STRING, m);
      const type = (v[1] as number | undefined) ?? 0;
      if (type === 0) return (v[2] as number | undefined) ?? 0;
      if (type === 1) return (v[3] as string | undefined) ?? '';
      throw new ProtoError(`IntOrString has impossible type ${type} (0 = int, 1 = string)`);
    }
    case 'rawJSON': {
      const v = readSmall(r, WANT_RAW, m);
      const raw = v[1] as Uint8Array | undefined;
      if (raw === undefined || raw.length === 0) return null;
      if (hasMagic(raw)) return decodeEnvelope(raw, depth).object;
      const text = NodeBuffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8');
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new ProtoError(`${m.shortName} does not hold JSON: ${(e as Error).message}`);
      }
    }
  }
}
