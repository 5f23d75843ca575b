// The gRPC transport: each REST-shaped call becomes the matching RPC of proto/mk8s.proto, carried by our own
// thin HTTP/2 channel (../grpcwire: no grpc-js channel machinery per message). The channel reconnects by itself
// and keepalive PINGs detect a dead apiserver, so a component survives apiserver restarts.
import { StatusError, errors } from '../api/errors';
import type { Transport, Target, Reply, WatchHandle } from './transport';
import { replyError } from './transport';
import { Code, GrpcChannel, GrpcError } from '../grpcwire';

// Loaded lazily so that programs using only HTTP (mkctl) never load the proto and its codecs.
function proto(): typeof import('@mk8s/proto') { return require('@mk8s/proto'); }
type Serialize = (req: unknown) => Buffer;
let serializers: Record<string, Serialize> | undefined;
/** protobufjs's request encoders for every RPC (requests are small; the replies use the hand decoders). */
function serializer(rpc: string): Serialize {
  if (!serializers) {
    serializers = {};
    for (const [name, def] of Object.entries(proto().protoKubeService().service)) serializers[name] = def.requestSerialize as Serialize;
  }
  return serializers[rpc];
}
const SERVICE = '/mk8s.v1.Kube/';

function toStatusError(e: unknown): StatusError {
  if (!(e instanceof GrpcError)) return errors.internal((e as Error)?.message ?? String(e));
  const det = e.statusDetails;
  if (det) {
    const json = proto().decodeRpcStatus(det);
    if (json) { try { return StatusError.fromStatus(JSON.parse(json.toString())); } catch { /* fall through */ } }
  }
  if (e.code === Code.UNAVAILABLE) return errors.unavailable(`apiserver unreachable: ${e.details || e.message}`);
  if (e.code === Code.DEADLINE_EXCEEDED) return errors.timeout(e.details || e.message);
  return errors.internal(e.details || e.message);
}

const listOptions = (q: Record<string, string | undefined>) => ({
  labelSelector: q.labelSelector ?? '', fieldSelector: q.fieldSelector ?? '', limit: q.limit ? Number(q.limit) : 0,
  continue: q.continue ?? '', resourceVersion: q.resourceVersion ?? '', resourceVersionMatch: q.resourceVersionMatch ?? '',
});
const writeOptions = (q: Record<string, string | undefined>) => ({
  dryRun: q.dryRun === 'All', fieldManager: q.fieldManager ?? '', fieldValidation: q.fieldValidation ?? '',
});
const target = (t: Target) => ({ group: t.group, version: t.version, resource: t.resource, namespace: t.namespace ?? '', name: t.name ?? '', subresource: t.subresource ?? '' });
/** UTF-8 text of a bytes field (a Buffer from the decoder: no copy needed). */
const text = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString();
const bytes = (b: unknown) => (b === undefined ? Buffer.alloc(0) : Buffer.isBuffer(b) ? b : Buffer.from(typeof b === 'string' ? b : JSON.stringify(b)));

export class GrpcTransport implements Transport {
  readonly kind = 'grpc' as const;
  private readonly channel: GrpcChannel;
  constructor(address: string, userAgent = 'mk8s-client', private readonly timeoutMs = 30_000) {
    this.channel = new GrpcChannel(address, { keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5_000, maxBackoffMs: 5_000, maxReceiveMessageBytes: 256 * 1024 * 1024, userAgent });
  }

  private async call(rpc: string, req: unknown): Promise<Reply> {
    let raw: Buffer;
    try { raw = await this.channel.unary(SERVICE + rpc, serializer(rpc)(req), { deadlineMs: this.timeoutMs }); } catch (e) { throw toStatusError(e); }
    let res: ReturnType<typeof import('@mk8s/proto').decodeResponse>, body: any;
    try {
      res = proto().decodeResponse(raw);
      body = res.object.length ? JSON.parse(text(res.object)) : undefined;
    } catch { throw errors.internal('undecodable reply'); }
    if (res.code >= 400) throw replyError(res.code, body);
    return { code: res.code, body, warnings: res.warnings };
  }

  request(method: string, t: Target, q: Record<string, string | undefined>, body?: unknown, contentType = 'application/json'): Promise<Reply> {
    const tg = target(t);
    switch (method) {
      case 'GET': return t.name ? this.call('Get', { target: tg }) : this.call('List', { target: tg, options: listOptions(q) });
      case 'POST':
        if (t.subresource === 'binding') return this.call('Bind', { target: tg, object: bytes(body), options: writeOptions(q) });
        if (t.subresource) return this.call('CreateSubresource', { target: tg, object: bytes(body), options: writeOptions(q) });
        return this.call('Create', { target: tg, object: bytes(body), options: writeOptions(q) });
      case 'PUT':
        if (t.subresource === 'status') return this.call('UpdateStatus', { target: tg, object: bytes(body), options: writeOptions(q) });
        if (t.subresource) return this.call('UpdateSubresource', { target: tg, object: bytes(body), options: writeOptions(q) });
        return this.call('Update', { target: tg, object: bytes(body), options: writeOptions(q) });
      case 'PATCH': return this.call('Patch', { target: tg, patchType: contentType, patch: bytes(body), force: q.force === 'true', options: writeOptions(q) });
      case 'DELETE':
        return t.name ? this.call('Delete', { target: tg, deleteOptions: bytes(body) })
          : this.call('DeleteCollection', { target: tg, deleteOptions: bytes(body), listOptions: listOptions(q) });
      default: return Promise.reject(errors.methodNotAllowed());
    }
  }

  watch(t: Target, q: Record<string, string | undefined>, onEvent: (ev: { type: string; object: any }) => void, onClose: (err?: Error) => void): WatchHandle {
    let done = false;
    const close = (err?: Error) => { if (!done) { done = true; onClose(err); } };
    const req = serializer('Watch')({
      target: target(t), options: listOptions(q), allowWatchBookmarks: q.allowWatchBookmarks === 'true',
      timeoutSeconds: q.timeoutSeconds ? Number(q.timeoutSeconds) : 0,
      ...(q.sendInitialEvents !== undefined ? { sendInitialEvents: q.sendInitialEvents === 'true' } : {}),
    });
    const decodeWatchEvent = proto().decodeWatchEvent;
    const call = this.channel.serverStream(SERVICE + 'Watch', req, {
      onMessage: (m) => {
        if (done) return;
        let frames: Buffer[];
        try { frames = decodeWatchEvent(m).frames; } catch { call.cancel(); close(errors.internal('undecodable watch event')); return; }
        for (const f of frames) {
          if (done) return;
          let ev: any;
          try { ev = JSON.parse(f.toString()); } catch { call.cancel(); close(errors.internal('undecodable watch frame')); return; }
          onEvent(ev);
        }
      },
      onEnd: (err) => close(err === null || err.code === Code.CANCELLED ? undefined : toStatusError(err)),
    });
    return { stop: () => { done = true; call.cancel(); } };
  }

  close() { this.channel.close(); }
}
