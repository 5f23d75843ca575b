// The components' transport: each RPC of proto/mk8s.proto becomes the REST request it names and goes through
// serveResource, the same code the HTTP handler runs (one code path, two transports).
import { errors, StatusError, Logger, grpcwire } from '@mk8s/apimachinery';
import { protoKubeService, encodeRpcStatus } from '@mk8s/proto';
import { parseRequestInfo } from '../endpoints/requestinfo';
import { serveResource, HandlerContext, ApiRequest, ApiResponder } from '../endpoints/handler';

interface Target { group: string; version: string; resource: string; namespace: string; name: string; subresource: string }
interface ListOpts { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string; resourceVersion?: string; resourceVersionMatch?: string }
interface WriteOpts { dryRun?: boolean; fieldManager?: string; fieldValidation?: string }

/** HTTP status → the closest gRPC code; the exact Kubernetes Status rides along in the details. */
const { Code, GrpcError, GrpcServer } = grpcwire;
type ServerStream = grpcwire.ServerStream;

export function grpcCode(http: number, reason?: string): number {
  switch (http) {
    case 400: case 406: case 415: case 422: return Code.INVALID_ARGUMENT;
    case 401: return Code.UNAUTHENTICATED;
    case 403: return Code.PERMISSION_DENIED;
    case 404: return Code.NOT_FOUND;
    case 405: return Code.UNIMPLEMENTED;
    case 409: return reason === 'AlreadyExists' ? Code.ALREADY_EXISTS : Code.ABORTED;
    case 410: return Code.OUT_OF_RANGE;
    case 413: case 429: return Code.RESOURCE_EXHAUSTED;
    case 503: return Code.UNAVAILABLE;
    case 504: return Code.DEADLINE_EXCEEDED;
    default: return Code.INTERNAL;
  }
}

/** The gRPC status for an error: the closest code, the Kubernetes Status in grpc-status-details-bin. */
export function toGrpcError(e: unknown): grpcwire.GrpcError {
  const se = e instanceof StatusError ? e : errors.internal((e as Error)?.message ?? String(e));
  const code = grpcCode(se.code, se.reason);
  return new GrpcError(code, se.message, {
    'grpc-status-details-bin': encodeRpcStatus(code, se.message, Buffer.from(JSON.stringify(se.toStatus()))),
  });
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
// many watchers (watch.ts serializes each event once) is encoded, with its gRPC message prefix, once for all.
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
  return framedWatchEvent(frame).subarray(PREFIX);
}
const PREFIX = grpcwire.MESSAGE_HEADER_BYTES;
/** The WatchEvent of one frame as a whole gRPC message: prefix and body in one buffer, ready for writeFramed. */
export function framedWatchEvent(frame: string): Buffer {
  const f = lenFieldSize(frame);
  const buf = Buffer.allocUnsafe(PREFIX + f.size);
  grpcwire.writeMessageHeader(buf, f.size);
  putLenField(buf, PREFIX, 1, frame, f.bytes);
  return buf;
}
/** The last few frames' messages: every watcher of one event gets the same frame string, so the same buffer. */
const recentFrames = new Map<string, Buffer>();
function encodedFrame(frame: string): Buffer {
  let b = recentFrames.get(frame);
  if (!b) {
    b = framedWatchEvent(frame);
    recentFrames.set(frame, b);
    if (recentFrames.size > 64) recentFrames.delete(recentFrames.keys().next().value as string);
  }
  return b;
}
/**
 * A watch stream's writer: frames go straight to the stream while it takes them; once its buffer is full (a slow
 * reader, or a burst such as 10,000 initial events) they are queued, and when it drains the queue goes out as
 * few messages (encoded WatchEvents concatenate into one with all their frames), in order. Per frame while the
 * stream keeps up: one write of the shared, already framed buffer.
 */
export class CoalescingWriter {
  static readonly MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
  /** Framed WatchEvents waiting for the stream to drain. */
  private queued: Buffer[] = [];
  private blocked = false;
  private ended = false;
  constructor(private readonly call: Pick<ServerStream, 'writeFramed' | 'end' | 'cancelled' | 'onDrain'>) {
    call.onDrain(() => this.flush());
  }

  /** Takes a framed WatchEvent (framedWatchEvent). */
  write(framed: Buffer): void {
    if (this.ended || this.call.cancelled) return;
    if (this.blocked) { this.queued.push(framed); return; }
    if (!this.call.writeFramed(framed)) this.blocked = true;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    // the stream keeps the order: what is queued goes out before the end
    while (this.queued.length && !this.call.cancelled) this.call.writeFramed(this.take());
    this.call.end();
  }

  private flush(): void {
    this.blocked = false;
    while (this.queued.length && !this.blocked && !this.ended && !this.call.cancelled) {
      if (!this.call.writeFramed(this.take())) this.blocked = true;
    }
  }

  /** The queued messages up to MAX_MESSAGE_BYTES of body (at least one) as one message. */
  private take(): Buffer {
    const q = this.queued;
    let n = 0, bytes = 0;
    while (n < q.length && (n === 0 || bytes + q[n].length - PREFIX <= CoalescingWriter.MAX_MESSAGE_BYTES)) bytes += q[n++].length - PREFIX;
    if (n === 1) return q.shift()!;
    const out = Buffer.allocUnsafe(PREFIX + bytes);
    grpcwire.writeMessageHeader(out, bytes);
    let at = PREFIX;
    for (let i = 0; i < n; i++) at += q[i].copy(out, at, PREFIX);
    q.splice(0, n);
    return out;
  }
}

/** The user agent's program name ("kubelet/v1.32 (linux)" -> "kubelet"), as the HTTP side reports it. */
const agentOf = (call: grpcwire.ServerCall) => (call.userAgent || 'grpc-client').split(' ')[0].split('/')[0];

/** Serves mk8s.v1.Kube: every RPC becomes its REST request and goes through serveResource. */
export function createGrpcServer(ctx: HandlerContext, log: Logger): grpcwire.GrpcServer {
  const server = new GrpcServer({ keepaliveTimeMs: 20_000, keepaliveTimeoutMs: 10_000, maxReceiveMessageBytes: 64 * 1024 * 1024 });
  // requests are decoded by protobufjs (proto-loader's codecs); replies are the hand encodings above
  const service = protoKubeService().service;
  const decoder = (rpc: string) => {
    const def = service[rpc];
    if (!def) throw new Error(`mk8s.proto has no method ${rpc}`);
    return { path: def.path, decode: (b: Buffer): any => {
      try { return def.requestDeserialize(b); } catch (e) { throw errors.badRequest(`cannot decode the ${rpc} request: ${(e as Error).message}`); }
    } };
  };

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

  const unary = (rpc: string, method: string, build: (r: any) => { t: Target; q: URLSearchParams; body?: Buffer; ct?: string }) => {
    const { path: methodPath, decode } = decoder(rpc);
    server.addUnary(methodPath, async (request, call) => {
      let r: Awaited<ReturnType<typeof run>>;
      try {
        const b = build(decode(request));
        r = await run(method, b.t, b.q, b.body, b.ct ?? 'application/json', agentOf(call));
      } catch (e) { throw toGrpcError(e); }
      if (!r) throw toGrpcError(errors.internal('no reply'));
      if (r.code >= 400) throw toGrpcError(StatusError.fromStatus(r.body as any));
      return encodeResponse(r.code, JSON.stringify(r.body) ?? '', r.warnings);
    });
  };

  const w = (r: any) => ({ t: r.target as Target, q: query(undefined, r.options), body: r.object as Buffer });
  unary('Get', 'GET', r => ({ t: r.target, q: new URLSearchParams() }));
  unary('List', 'GET', r => ({ t: { ...r.target, name: '' }, q: query(r.options) }));
  unary('Create', 'POST', r => ({ ...w(r), t: { ...r.target, name: '', subresource: '' } }));
  unary('Update', 'PUT', r => ({ ...w(r), t: { ...r.target, subresource: '' } }));
  unary('UpdateStatus', 'PUT', r => ({ ...w(r), t: { ...r.target, subresource: 'status' } }));
  unary('Patch', 'PATCH', r => ({ t: r.target, q: query(undefined, r.options, r.force ? { force: 'true' } : {}), body: r.patch, ct: r.patchType }));
  unary('Delete', 'DELETE', r => ({ t: { ...r.target, subresource: '' }, q: new URLSearchParams(), body: r.deleteOptions }));
  unary('DeleteCollection', 'DELETE', r => ({ t: { ...r.target, name: '', subresource: '' }, q: query(r.listOptions), body: r.deleteOptions }));
  unary('Bind', 'POST', r => ({ ...w(r), t: { ...r.target, subresource: 'binding' } }));
  unary('CreateSubresource', 'POST', r => w(r));
  unary('UpdateSubresource', 'PUT', r => w(r));

  const watch = decoder('Watch');
  server.addServerStream(watch.path, (request, call) => {
    let started = false;
    const stream = () => {
      started = true;
      const out = new CoalescingWriter(call);
      return { write: (frame: string) => out.write(encodedFrame(frame)), end: () => out.end(), onClose: (cb: () => void) => call.onCancel(cb) };
    };
    let r: any, q: URLSearchParams;
    try {
      r = watch.decode(request);
      const extra: Record<string, string> = { watch: '1' };
      if (r.allowWatchBookmarks) extra.allowWatchBookmarks = 'true';
      if (r.timeoutSeconds) extra.timeoutSeconds = String(r.timeoutSeconds);
      if (r.sendInitialEvents !== undefined && r.sendInitialEvents !== null && r.options?.resourceVersion !== undefined) extra.sendInitialEvents = String(r.sendInitialEvents);
      q = query(r.options, undefined, extra);
    } catch (e) { call.fail(toGrpcError(e)); return; }
    run('GET', { ...r.target, name: r.target?.name ?? '' }, q, undefined, 'application/json', agentOf(call), stream).then(result => {
      // a watch refused with a reply instead of a stream still needs a status, or the client would wait forever
      if (started) return;
      if (result && result.code >= 400) call.fail(toGrpcError(StatusError.fromStatus(result.body as any)));
      else call.fail(toGrpcError(errors.internal('the watch ended without a stream')));
    }, e => call.fail(toGrpcError(e))); // before the stream started (a bad selector): a trailers-only status
  });
  void log;
  return server;
}
