// The gRPC transport: each REST-shaped call becomes the matching RPC of proto/mk8s.proto. The channel
// reconnects by itself (keepalives detect a dead apiserver), so a component survives apiserver restarts.
import type * as Grpc from '@grpc/grpc-js';
import { StatusError, errors } from '../api/errors';
import type { Transport, Target, Reply, WatchHandle } from './transport';
import { replyError } from './transport';

// Loaded lazily so that programs using only HTTP (mkctl) never load grpc-js or the proto.
let grpcModule: typeof Grpc | undefined;
const grpc = (): typeof Grpc => (grpcModule ??= require('@grpc/grpc-js'));
function proto(): typeof import('@mk8s/proto') { return require('@mk8s/proto'); }

function toStatusError(e: Grpc.ServiceError): StatusError {
  const det = e.metadata?.get('grpc-status-details-bin')?.[0];
  if (det) {
    const json = proto().decodeRpcStatus(Buffer.isBuffer(det) ? det : Buffer.from(det));
    if (json) { try { return StatusError.fromStatus(JSON.parse(json.toString())); } catch { /* fall through */ } }
  }
  if (e.code === grpc().status.UNAVAILABLE) return errors.unavailable(`apiserver unreachable: ${e.details || e.message}`);
  if (e.code === grpc().status.DEADLINE_EXCEEDED) return errors.timeout(e.details || e.message);
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
  private readonly client: any;
  constructor(address: string, private readonly userAgent = 'mk8s-client', private readonly timeoutMs = 30_000) {
    const { Client } = proto().kubeService();
    this.client = new Client(address, grpc().credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 5_000,
      'grpc.max_receive_message_length': 256 * 1024 * 1024, 'grpc.primary_user_agent': userAgent,
      // no transparent retries (callers handle unavailability; the retry layer buffers every message) and no
      // channelz bookkeeping per message
      'grpc.enable_retries': 0, 'grpc.enable_channelz': 0,
    });
  }

  private call(rpc: string, req: unknown): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const md = new (grpc().Metadata)();
      md.set('user-agent', this.userAgent);
      this.client[rpc](req, md, { deadline: new Date(Date.now() + this.timeoutMs), waitForReady: false }, (err: Grpc.ServiceError | null, res: any) => {
        if (err) return reject(toStatusError(err));
        let body: any;
        try { body = res.object?.length ? JSON.parse(text(res.object)) : undefined; } catch { return reject(errors.internal('undecodable reply')); }
        if (res.code >= 400) return reject(replyError(res.code, body));
        resolve({ code: res.code, body, warnings: res.warnings ?? [] });
      });
    });
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
    const md = new (grpc().Metadata)();
    md.set('user-agent', this.userAgent);
    let done = false;
    const close = (err?: Error) => { if (!done) { done = true; onClose(err); } };
    const call = this.client.Watch({
      target: target(t), options: listOptions(q), allowWatchBookmarks: q.allowWatchBookmarks === 'true',
      timeoutSeconds: q.timeoutSeconds ? Number(q.timeoutSeconds) : 0,
      ...(q.sendInitialEvents !== undefined ? { sendInitialEvents: q.sendInitialEvents === 'true' } : {}),
    }, md);
    call.on('data', (m: { frames: Buffer[] }) => {
      for (const f of m.frames) {
        if (done) return;
        let ev: any;
        try { ev = JSON.parse(f.toString()); } catch { call.cancel(); close(errors.internal('undecodable watch frame')); return; }
        onEvent(ev);
      }
    });
    call.on('error', (e: Grpc.ServiceError) => close(e.code === grpc().status.CANCELLED ? undefined : toStatusError(e)));
    call.on('end', () => close());
    return { stop: () => { done = true; call.cancel(); } };
  }

  close() { this.client.close(); }
}
