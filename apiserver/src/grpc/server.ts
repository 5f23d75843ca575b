// The components' transport: each RPC of proto/mk8s.proto becomes the REST request it names and goes through
// serveResource, the same code the HTTP handler runs (one code path, two transports).
import * as grpc from '@grpc/grpc-js';
import { errors, StatusError, Logger } from '@mk8s/apimachinery';
import { kubeService, encodeRpcStatus } from '@mk8s/proto';
import { parseRequestInfo } from '../endpoints/requestinfo';
import { serveResource, HandlerContext, ApiRequest, ApiResponder } from '../endpoints/handler';

interface Target { group: string; version: string; resource: string; namespace: string; name: string; subresource: string }
interface ListOpts { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string; resourceVersion?: string; resourceVersionMatch?: string }
interface WriteOpts { dryRun?: boolean; fieldManager?: string; fieldValidation?: string }

/** HTTP status → the closest gRPC code; the exact Kubernetes Status rides along in the details. */
export function grpcCode(http: number, reason?: string): grpc.status {
  switch (http) {
    case 400: case 406: case 415: case 422: return grpc.status.INVALID_ARGUMENT;
    case 401: return grpc.status.UNAUTHENTICATED;
    case 403: return grpc.status.PERMISSION_DENIED;
    case 404: return grpc.status.NOT_FOUND;
    case 405: return grpc.status.UNIMPLEMENTED;
    case 409: return reason === 'AlreadyExists' ? grpc.status.ALREADY_EXISTS : grpc.status.ABORTED;
    case 410: return grpc.status.OUT_OF_RANGE;
    case 413: case 429: return grpc.status.RESOURCE_EXHAUSTED;
    case 503: return grpc.status.UNAVAILABLE;
    case 504: return grpc.status.DEADLINE_EXCEEDED;
    default: return grpc.status.INTERNAL;
  }
}

export function toGrpcError(e: unknown): grpc.ServiceError {
  const se = e instanceof StatusError ? e : errors.internal((e as Error)?.message ?? String(e));
  const status = se.toStatus();
  const md = new grpc.Metadata();
  const code = grpcCode(se.code, se.reason);
  md.set('grpc-status-details-bin', encodeRpcStatus(code, se.message, Buffer.from(JSON.stringify(status))));
  const err = Object.assign(new Error(se.message), { code, details: se.message, metadata: md }) as grpc.ServiceError;
  return err;
}

function path(t: Target): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version || 'v1'}`;
  let p = base;
  if (t.namespace && !(t.resource === 'namespaces')) p += `/namespaces/${encodeURIComponent(t.namespace)}`;
  p += `/${t.resource}`;
  if (t.name) p += `/${encodeURIComponent(t.name)}`;
  if (t.subresource) p += `/${t.subresource}`;
  return p;
}

function query(list?: ListOpts, write?: WriteOpts, extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (list?.labelSelector) q.set('labelSelector', list.labelSelector);
  if (list?.fieldSelector) q.set('fieldSelector', list.fieldSelector);
  if (list?.limit) q.set('limit', String(list.limit));
  if (list?.continue) q.set('continue', list.continue);
  if (list?.resourceVersion) q.set('resourceVersion', list.resourceVersion);
  if (list?.resourceVersionMatch) q.set('resourceVersionMatch', list.resourceVersionMatch);
  if (write?.dryRun) q.set('dryRun', 'All');
  if (write?.fieldManager) q.set('fieldManager', write.fieldManager);
  if (write?.fieldValidation) q.set('fieldValidation', write.fieldValidation);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

// ---- pre-encoded replies ----
// Response and WatchEvent are a few length-delimited fields around the JSON bytes, so they are written here in one
// pass straight from the JSON string (no Buffer copy for protobufjs to copy again), and a watch frame shared by
// many watchers (watch.ts serializes each event once) is encoded once for all of them. kubeService()'s reply
// serializers pass such Buffers through unchanged.
function varintLen(n: number): number { let len = 1; while (n > 127) { n >>>= 7; len++; } return len; }
function putVarint(buf: Buffer, at: number, n: number): number {
  while (n > 127) { buf[at++] = (n & 127) | 128; n >>>= 7; }
  buf[at++] = n;
  return at;
}
/** Field `tag` (wire type 2) holding the UTF-8 of `text`. */
function lenFieldSize(text: string): { bytes: number; size: number } {
  const bytes = Buffer.byteLength(text);
  return { bytes, size: 1 + varintLen(bytes) + bytes };
}
function putLenField(buf: Buffer, at: number, tag: number, text: string, bytes: number): number {
  buf[at++] = (tag << 3) | 2;
  at = putVarint(buf, at, bytes);
  return at + buf.write(text, at);
}
/** mk8s.v1.Response {1: code, 2: object, 3: warnings} from the reply's JSON text. */
export function encodeResponse(code: number, json: string, warnings: string[]): Buffer {
  const obj = lenFieldSize(json);
  const ws = warnings.map(w => ({ w, ...lenFieldSize(w) }));
  const buf = Buffer.allocUnsafe(1 + varintLen(code) + obj.size + ws.reduce((a, x) => a + x.size, 0));
  let at = 0;
  buf[at++] = 1 << 3;
  at = putVarint(buf, at, code);
  at = putLenField(buf, at, 2, json, obj.bytes);
  for (const x of ws) at = putLenField(buf, at, 3, x.w, x.bytes);
  return buf;
}
/** mk8s.v1.WatchEvent {1: frame}. */
export function encodeWatchEvent(frame: string): Buffer {
  const f = lenFieldSize(frame);
  const buf = Buffer.allocUnsafe(f.size);
  putLenField(buf, 0, 1, frame, f.bytes);
  return buf;
}
/** The last few frames' encodings: every watcher of one event gets the same frame string. */
const recentFrames = new Map<string, Buffer>();
function encodedFrame(frame: string): Buffer {
  let b = recentFrames.get(frame);
  if (!b) {
    b = encodeWatchEvent(frame);
    recentFrames.set(frame, b);
    if (recentFrames.size > 64) recentFrames.delete(recentFrames.keys().next().value as string);
  }
  return b;
}
/**
 * One message in flight per watch stream: grpc-js sends a stream's messages one at a time (the next after the
 * previous one's write completes, i.e. a turn of the event loop each), so frames that arrive meanwhile are queued
 * and go out together as one WatchEvent (encoded WatchEvents concatenate into one with all their frames), in
 * order. A burst (10,000 initial events) then takes a few messages instead of 10,000 loop turns.
 */
export class CoalescingWriter {
  static readonly MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
  private queued: Buffer[] = [];
  private inFlight = false;
  private ended = false;
  constructor(private readonly call: Pick<grpc.ServerWritableStream<unknown, unknown>, 'write' | 'end' | 'cancelled'>) {}

  write(encoded: Buffer): void {
    if (this.ended || this.call.cancelled) return;
    this.queued.push(encoded);
    if (!this.inFlight) this.send();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    // the stream keeps the order: what is queued goes out before the end
    while (this.queued.length && !this.call.cancelled) this.call.write(this.take());
    this.call.end();
  }

  /** The queued frames up to MAX_MESSAGE_BYTES (at least one) as one message. */
  private take(): Buffer {
    let n = 0, bytes = 0;
    while (n < this.queued.length && (n === 0 || bytes + this.queued[n].length <= CoalescingWriter.MAX_MESSAGE_BYTES)) bytes += this.queued[n++].length;
    const parts = this.queued.splice(0, n);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
  }

  private send(): void {
    this.inFlight = true;
    this.call.write(this.take(), () => {
      this.inFlight = false;
      if (this.queued.length && !this.ended && !this.call.cancelled) this.send();
    });
  }
}

export function createGrpcServer(ctx: HandlerContext, log: Logger): grpc.Server {
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000, 'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
  });
  // kubeService's reply serializers send the pre-encoded Buffers below as they are
  const service = kubeService().service;

  /** Run one REST request; resolve with its reply (errors as StatusError). */
  const run = async (method: string, t: Target, q: URLSearchParams, body: Buffer | undefined, contentType: string, agent: string,
                     stream?: ApiResponder['stream']) => {
    const p = path(t);
    const info = parseRequestInfo(method, p, q);
    if (!info.isResource) throw errors.badRequest('target must name a resource');
    let result: { code: number; body: unknown; warnings: string[] } | undefined;
    const req: ApiRequest = {
      method, url: `${p}?${q}`, headers: { 'content-type': contentType, accept: 'application/json', 'user-agent': agent, 'content-length': String(body?.length ?? 0) },
      readBody: async () => {
        if (body && body.length > 3 * 1024 * 1024) throw errors.tooLarge();
        return body ?? Buffer.alloc(0);
      },
    };
    const out: ApiResponder = {
      reply: (code, b, _accept, headers) => {
        const w = headers.Warning; const warnings = (Array.isArray(w) ? w : w ? [w] : []).map(x => x.replace(/^299 - /, '').replace(/^"|"$/g, ''));
        result = { code, body: b, warnings };
      },
      stream: stream ?? (() => { throw errors.badRequest('not a watch'); }),
    };
    const started = process.hrtime.bigint();
    try {
      await serveResource(ctx, req, out, info, q);
    } finally {
      if (info.verb !== 'watch') ctx.observe?.(info.verb, info.resource ?? '', result?.code ?? 500, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return result;
  };
  const agentOf = (call: grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any>) =>
    String(call.metadata.get('user-agent')[0] ?? 'grpc-client').split(' ')[0].split('/')[0];

  const unary = (method: string, build: (r: any) => { t: Target; q: URLSearchParams; body?: Buffer; ct?: string }) =>
    (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
      let b: ReturnType<typeof build>;
      try { b = build(call.request); } catch (e) { cb(toGrpcError(e)); return; }
      run(method, b.t, b.q, b.body, b.ct ?? 'application/json', agentOf(call)).then(r => {
        if (!r) return cb(toGrpcError(errors.internal('no reply')));
        if (r.code >= 400) return cb(toGrpcError(StatusError.fromStatus(r.body as any)));
        cb(null, encodeResponse(r.code, JSON.stringify(r.body) ?? '', r.warnings));
      }, e => cb(toGrpcError(e)));
    };

  const w = (r: any) => ({ t: r.target as Target, q: query(undefined, r.options), body: r.object as Buffer });
  server.addService(service, {
    Get: unary('GET', r => ({ t: r.target, q: new URLSearchParams() })),
    List: unary('GET', r => ({ t: { ...r.target, name: '' }, q: query(r.options) })),
    Create: unary('POST', r => ({ ...w(r), t: { ...r.target, name: '', subresource: '' } })),
    Update: unary('PUT', r => ({ ...w(r), t: { ...r.target, subresource: '' } })),
    UpdateStatus: unary('PUT', r => ({ ...w(r), t: { ...r.target, subresource: 'status' } })),
    Patch: unary('PATCH', r => ({ t: r.target, q: query(undefined, r.options, r.force ? { force: 'true' } : {}), body: r.patch, ct: r.patchType })),
    Delete: unary('DELETE', r => ({ t: { ...r.target, subresource: '' }, q: new URLSearchParams(), body: r.deleteOptions })),
    DeleteCollection: unary('DELETE', r => ({ t: { ...r.target, name: '', subresource: '' }, q: query(r.listOptions), body: r.deleteOptions })),
    Bind: unary('POST', r => ({ ...w(r), t: { ...r.target, subresource: 'binding' } })),
    CreateSubresource: unary('POST', r => w(r)),
    UpdateSubresource: unary('PUT', r => w(r)),
    Watch: (call: grpc.ServerWritableStream<any, any>) => {
      const r = call.request;
      const extra: Record<string, string> = { watch: '1' };
      if (r.allowWatchBookmarks) extra.allowWatchBookmarks = 'true';
      if (r.timeoutSeconds) extra.timeoutSeconds = String(r.timeoutSeconds);
      if (r.sendInitialEvents !== undefined && r.sendInitialEvents !== null && r.options?.resourceVersion !== undefined) extra.sendInitialEvents = String(r.sendInitialEvents);
      const q = query(r.options, undefined, extra);
      const onClose: (() => void)[] = [];
      call.on('cancelled', () => onClose.forEach(f => f()));
      call.on('close', () => onClose.forEach(f => f()));
      const stream = () => {
        const out = new CoalescingWriter(call);
        return { write: (frame: string) => out.write(encodedFrame(frame)), end: () => out.end(), onClose: (cb: () => void) => { onClose.push(cb); } };
      };
      run('GET', { ...r.target, name: r.target?.name ?? '' }, q, undefined, 'application/json', agentOf(call), stream)
        // 'error' makes grpc-js send the status (destroy() would drop the stream without any status, and the
        // client would wait forever for a watch that failed to start, e.g. on a bad selector)
        .catch(e => { if (!call.cancelled) call.emit('error', toGrpcError(e)); });
    },
  });
  void log;
  return server;
}
