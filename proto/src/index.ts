// Loads mk8s.proto for the apiserver (server side) and the shared client (client side).
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = path.resolve(__dirname, '..', 'mk8s.proto');
export const STATUS_TYPE_URL = 'type.mk8s.io/meta.k8s.io/v1/Status';

let cached: grpc.GrpcObject | undefined;
export function loadKubeProto(): grpc.GrpcObject {
  if (!cached) {
    const def = protoLoader.loadSync(PROTO_PATH, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    cached = grpc.loadPackageDefinition(def);
  }
  return cached;
}

/** The Kube service exactly as proto-loader builds it (protobufjs codecs for every message). */
export function protoKubeService(): { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } {
  const pkg = (loadKubeProto().mk8s as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Client = pkg.Kube as grpc.ServiceClientConstructor;
  return { service: Client.service, Client };
}

let fast: { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } | undefined;
/**
 * The Kube service definition (for grpc.Server#addService) and client constructor. Requests keep protobufjs's
 * codecs; the replies (Response, WatchEvent: a few fields around JSON bytes, one message per watch event and
 * watcher) use the hand codecs below: a Buffer given to the serializer is sent as already-encoded bytes, and the
 * deserializers return the JSON bytes as a view of the received message instead of building protobufjs objects.
 */
export function kubeService(): { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } {
  if (!fast) {
    const base = protoKubeService().service;
    const service: Record<string, grpc.MethodDefinition<any, any>> = {};
    for (const [name, def] of Object.entries(base)) {
      const watch = name === 'Watch';
      const encode = def.responseSerialize;
      service[name] = {
        ...def,
        responseSerialize: (m: any) => (Buffer.isBuffer(m) ? m : encode(m)),
        responseDeserialize: watch ? decodeWatchEvent : decodeResponse,
      };
    }
    fast = { service: service as grpc.ServiceDefinition, Client: grpc.makeGenericClientConstructor(service as grpc.ServiceDefinition, 'Kube') };
  }
  return fast;
}

// ---- reply codecs (wire format: https://protobuf.dev/programming-guides/encoding/) ----
/** mk8s.v1.Response as the client reads it: `object` is a view into the received bytes (no copy). */
export interface DecodedResponse { code: number; object: Buffer; warnings: string[] }
/** mk8s.v1.WatchEvent as the client reads it: the frames' bytes, views into the received message. */
export interface DecodedWatchEvent { frames: Buffer[] }

class Reader {
  at = 0;
  constructor(readonly b: Buffer) {}
  varint(): number {
    let r = 0, shift = 0;
    for (;;) {
      if (this.at >= this.b.length) throw new Error('truncated varint');
      const x = this.b[this.at++];
      if (shift < 28) r |= (x & 127) << shift; else r += (x & 127) * 2 ** shift;
      if (x < 128) return shift < 28 ? r >>> 0 : r;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.at + len > this.b.length) throw new Error('truncated field');
    const v = this.b.subarray(this.at, this.at + len);
    this.at += len;
    return v;
  }
  /** Skips a field of an unknown tag (a newer peer may send more fields). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 5) this.at += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
    if (this.at > this.b.length) throw new Error('truncated field');
  }
}
const EMPTY: Buffer = Buffer.alloc(0);

export function decodeResponse(b: Buffer): DecodedResponse {
  const r = new Reader(b);
  const out: DecodedResponse = { code: 0, object: EMPTY, warnings: [] };
  while (r.at < b.length) {
    const key = r.varint(); const tag = key >>> 3, wt = key & 7;
    if (tag === 1 && wt === 0) out.code = r.varint() | 0;
    else if (tag === 2 && wt === 2) out.object = r.bytes();
    else if (tag === 3 && wt === 2) out.warnings.push(r.bytes().toString());
    else r.skip(wt);
  }
  return out;
}

export function decodeWatchEvent(b: Buffer): DecodedWatchEvent {
  const r = new Reader(b);
  const frames: Buffer[] = [];
  while (r.at < b.length) {
    const key = r.varint();
    if (key === ((1 << 3) | 2)) frames.push(r.bytes()); else r.skip(key & 7);
  }
  return { frames };
}

// A tiny hand encoder of RpcStatus {1: code, 2: message, 3: Any{1: type_url, 2: value}}: three fields, no need
// for a full protobuf runtime here.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v > 127) { out.push((v & 127) | 128); v >>>= 7; }
  out.push(v);
  return Buffer.from(out);
}
function lenField(tag: number, b: Buffer): Buffer { return Buffer.concat([Buffer.from([(tag << 3) | 2]), varint(b.length), b]); }
/** google.rpc.Status-shaped bytes for `grpc-status-details-bin`. */
export function encodeRpcStatus(code: number, message: string, statusJson: Buffer): Buffer {
  const any = Buffer.concat([lenField(1, Buffer.from(STATUS_TYPE_URL)), lenField(2, statusJson)]);
  return Buffer.concat([Buffer.from([1 << 3]), varint(code), lenField(2, Buffer.from(message)), lenField(3, any)]);
}
/** The Status JSON inside RpcStatus bytes, or undefined. */
export function decodeRpcStatus(b: Buffer): Buffer | undefined {
  let i = 0;
  const readVarint = () => { let r = 0, s = 0; for (;;) { const x = b[i++]; r |= (x & 127) << s; if (x < 128) return r >>> 0; s += 7; } };
  while (i < b.length) {
    const key = readVarint(); const tag = key >> 3, wt = key & 7;
    if (wt === 0) { readVarint(); continue; }
    if (wt !== 2) return undefined;
    const len = readVarint(); const body = b.subarray(i, i + len); i += len;
    if (tag === 3) {
      let j = 0; let value: Buffer | undefined; let url = '';
      const rv = () => { let r = 0, s = 0; for (;;) { const x = body[j++]; r |= (x & 127) << s; if (x < 128) return r >>> 0; s += 7; } };
      while (j < body.length) {
        const k = rv(); const l = rv(); const v = body.subarray(j, j + l); j += l;
        if (k >> 3 === 1) url = v.toString(); else if (k >> 3 === 2) value = v;
      }
      if (url === STATUS_TYPE_URL) return value;
    }
  }
  return undefined;
}
