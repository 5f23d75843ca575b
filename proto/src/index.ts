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

/** The Kube service definition (for grpc.Server#addService) and client constructor. */
export function kubeService(): { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } {
  const pkg = (loadKubeProto().mk8s as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Client = pkg.Kube as grpc.ServiceClientConstructor;
  return { service: Client.service, Client };
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
