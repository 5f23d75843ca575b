// JSON object -> Kubernetes protobuf body, the inverse of decode.ts, byte-for-byte as gogo-protobuf writes it:
// fields in number order, every non-pointer field written even when zero, map keys sorted, a zero Time as an
// empty message. Used for fixtures and for answering clients that ask for protobuf.

import { errors } from '../api/errors';
import { CompiledField, CompiledMessage, Scalar, messageByName, messageForKind, scalarWireType } from './schema';
import { asBadRequest, KUBE_PROTOBUF_MAGIC } from './decode';
import { GO_ZERO_TIME_UNIX, parseGoDuration, parseRFC3339 } from './gotime';
import { checkQuantity } from './quantity';
import { ProtoError, WIRE_BYTES, Writer } from './wire';

export interface KubeObjectLike { apiVersion: string; kind: string; [field: string]: unknown }

/** Encodes a served kind as `k8s\0` + runtime.Unknown; throws a 400 StatusError for values of the wrong shape. */
export function encodeKubeProtobuf(obj: KubeObjectLike): Buffer {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('object to encode must be a JSON object');
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || apiVersion === '') throw errors.badRequest("Object 'apiVersion' is missing");
  if (typeof kind !== 'string' || kind === '') throw errors.badRequest("Object 'Kind' is missing");
  const m = messageForKind(apiVersion, kind);
  if (!m) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" (protobuf encoding)`);
  try {
    return envelope(apiVersion, kind, messageBytes(m, obj));
  } catch (e) {
    throw asBadRequest(e, `unable to encode ${apiVersion} ${kind} as protobuf`);
  }
}

/** Encodes one message of the schema by fully-qualified name. */
export function encodeProtobufMessage(typeName: string, value: unknown): Buffer {
  const m = messageByName(typeName);
  if (!m) throw errors.badRequest(`unknown protobuf message ${typeName}`);
  try {
    return messageBytes(m, value);
  } catch (e) {
    throw asBadRequest(e, `unable to encode protobuf ${m.shortName}`);
  }
}

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = new Writer();
  typeMeta.tag(1, WIRE_BYTES); typeMeta.string(apiVersion);
  typeMeta.tag(2, WIRE_BYTES); typeMeta.string(kind);
  const w = new Writer();
  w.tag(1, WIRE_BYTES); w.bytes(typeMeta.finish());
  w.tag(2, WIRE_BYTES); w.bytes(raw);
  w.tag(3, WIRE_BYTES); w.string(''); // contentEncoding
  w.tag(4, WIRE_BYTES); w.string(''); // contentType
  return Buffer.concat([KUBE_PROTOBUF_MAGIC, w.finish()]);
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function writeScalar(w: Writer, t: Scalar, v: unknown): void {
  if (t === 'string') {
    if (typeof v !== 'string') throw new ProtoError(`expected a string, got ${describe(v)}`);
    w.string(v);
    return;
  }
  if (t === 'bool') {
    if (typeof v !== 'boolean') throw new ProtoError(`expected a boolean, got ${describe(v)}`);
    w.uint32(v ? 1 : 0);
    return;
  }
  if (t === 'bytes') {
    if (typeof v !== 'string') throw new ProtoError(`expected base64 bytes, got ${describe(v)}`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new ProtoError('illegal base64 data');
    w.bytes(Buffer.from(v, 'base64'));
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtoError(`expected a number, got ${describe(v)}`);
  if (t === 'double') { w.double(v); return; }
  if (t === 'float') { w.float(v); return; }
  if (!Number.isInteger(v)) throw new ProtoError(`expected an integer, got ${v}`);
  switch (t) {
    case 'int32': case 'sfixed32':
      if (v < -2147483648 || v > 2147483647) throw new ProtoError(`${v} overflows int32`);
      if (t === 'int32') w.int64(v); else w.fixed32(v);
      return;
    case 'uint32': case 'fixed32':
      if (v < 0 || v > 4294967295) throw new ProtoError(`${v} overflows uint32`);
      if (t === 'uint32') w.uint32(v); else w.fixed32(v);
      return;
    case 'sint32': case 'sint64': w.sint64(v); return;
    case 'fixed64': case 'sfixed64': w.fixed64(v); return;
    default: w.int64(v); // int64, uint64
  }
}

function zeroScalarValue(t: Scalar): unknown {
  if (t === 'string') return '';
  if (t === 'bool') return false;
  return 0;
}

function messageBytes(m: CompiledMessage, v: unknown): Buffer {
  const w = new Writer();
  writeMessageBody(w, m, v);
  return w.finish();
}

function writeMessageBody(w: Writer, m: CompiledMessage, v: unknown): void {
  if (m.special !== undefined) { writeSpecial(w, m, v); return; }
  if (m.listOf !== undefined) {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) throw new ProtoError(`expected an array, got ${describe(v)}`);
    const el = m.listOf;
    for (const item of v) {
      w.tag(1, typeof el === 'string' ? scalarWireType(el) : WIRE_BYTES);
      if (typeof el === 'string') writeScalar(w, el, item ?? zeroScalarValue(el)); else w.bytes(messageBytes(el, item));
    }
    return;
  }
  if (v === null || v === undefined) v = {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ProtoError(`expected an object, got ${describe(v)}`);
  const obj = v as Record<string, unknown>;
  let cur: CompiledField | undefined;
  try {
    for (const f of m.byNumberOrder) {
      cur = f;
      writeField(w, f, f.inline ? obj : obj[f.json]);
    }
  } catch (e) {
    if (e instanceof ProtoError && cur) e.path.unshift(cur.inline ? m.shortName : cur.json);
    throw e;
  }
}

function writeValue(w: Writer, f: CompiledField, v: unknown): void {
  w.tag(f.no, f.wireType);
  if (f.scalar !== undefined) writeScalar(w, f.scalar, v);
  else w.bytes(messageBytes(f.message!, v));
}

function writeField(w: Writer, f: CompiledField, v: unknown): void {
  const absent = v === undefined || v === null;
  if (f.isMap) {
    if (absent) return;
    if (typeof v !== 'object' || Array.isArray(v)) throw new ProtoError(`expected an object (map), got ${describe(v)}`);
    const map = v as Record<string, unknown>;
    for (const key of Object.keys(map).sort()) writeMapEntry(w, f, key, map[key]);
    return;
  }
  if (f.repeated) {
    if (absent) return;
    if (!Array.isArray(v)) throw new ProtoError(`expected an array, got ${describe(v)}`);
    for (const item of v) {
      // A null list element decodes in Go as the element's zero value.
      writeValue(w, f, item === null && f.scalar !== undefined ? zeroScalarValue(f.scalar) : item);
    }
    return;
  }
  if (absent) {
    // Pointers and nil []byte are not written; every other Go field is, with its zero value.
    if (f.ptr || f.scalar === 'bytes') return;
    writeValue(w, f, f.scalar !== undefined ? zeroScalarValue(f.scalar) : undefined);
    return;
  }
  writeValue(w, f, v);
}

function writeMapEntry(w: Writer, f: CompiledField, key: string, value: unknown): void {
  const entry = new Writer();
  entry.tag(1, scalarWireType(f.keyScalar!));
  if (f.keyScalar === 'string') entry.string(key);
  else {
    const n = Number(key);
    if (!Number.isInteger(n)) throw new ProtoError(`map key ${JSON.stringify(key)} is not an integer`);
    writeScalar(entry, f.keyScalar!, n);
  }
  if (f.scalar !== undefined) {
    // gogo skips a nil []byte map value; other scalar values are always written.
    if (value === null || value === undefined) {
      if (f.scalar !== 'bytes') { entry.tag(2, scalarWireType(f.scalar)); writeScalar(entry, f.scalar, zeroScalarValue(f.scalar)); }
    } else {
      entry.tag(2, scalarWireType(f.scalar));
      writeScalar(entry, f.scalar, value);
    }
  } else {
    entry.tag(2, WIRE_BYTES);
    entry.bytes(messageBytes(f.message!, value));
  }
  w.tag(f.no, WIRE_BYTES);
  w.bytes(entry.finish());
}

function writeSpecial(w: Writer, m: CompiledMessage, v: unknown): void {
  const absent = v === null || v === undefined;
  switch (m.special!) {
    case 'time':
    case 'microTime': {
      if (absent) return; // zero time: empty message
      if (typeof v !== 'string') throw new ProtoError(`expected an RFC3339 time string, got ${describe(v)}`);
      const { seconds, nanos } = parseRFC3339(v);
      if (seconds === GO_ZERO_TIME_UNIX && nanos === 0) return;
      w.tag(1, 0); w.int64(seconds);
      w.tag(2, 0); w.int64(m.special === 'microTime' ? nanos - (nanos % 1000) : nanos);
      return;
    }
    case 'duration': {
      if (!absent && typeof v !== 'string') throw new ProtoError(`expected a duration string like "1m30s", got ${describe(v)}`);
      const ns = absent ? 0n : parseGoDuration(v as string);
      w.tag(1, 0); w.int64(Number(ns));
      return;
    }
    case 'quantity': {
      let s: string;
      if (absent) s = '0';
      else if (typeof v === 'string') s = v.trim();
      else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
      else throw new ProtoError(`expected a quantity string like "100m", got ${describe(v)}`);
      w.tag(1, WIRE_BYTES); w.string(checkQuantity(s));
      return;
    }
    case 'intOrString': {
      if (typeof v === 'string') {
        w.tag(1, 0); w.uint32(1); w.tag(2, 0); w.uint32(0); w.tag(3, WIRE_BYTES); w.string(v);
      } else if (absent || typeof v === 'number') {
        const n = absent ? 0 : (v as number);
        if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw new ProtoError(`int-or-string ${n} is not an int32`);
        w.tag(1, 0); w.uint32(0); w.tag(2, 0); w.int64(n); w.tag(3, WIRE_BYTES); w.string('');
      } else throw new ProtoError(`expected an integer or a string, got ${describe(v)}`);
      return;
    }
    case 'rawJSON': {
      if (absent) return;
      w.tag(1, WIRE_BYTES); w.string(JSON.stringify(v));
      return;
    }
  }
}
