// A small gRPC server written directly on node:http2 (h2c, no TLS): handlers registered by method path, unary and
// server-streaming calls, request metadata, grpc-timeout, trailers-only responses for errors raised before any
// message, keepalive PINGs on sessions the peer has gone quiet on, graceful and forced shutdown
// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). Per call: one object, stream listeners shared
// by all calls (the call is found on the stream); per streamed message: one framed buffer and one stream write.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { MessageDecoder, MessageSink, frameMessage } from './framing';
import { Code, GrpcError, GrpcMetadata, percentEncode, toMetadata } from './status';

const { NGHTTP2_CANCEL } = http2.constants;

export interface ServerOptions {
  /** A session that sent nothing (no new stream, no PING) for this long is sent a PING. 0 = never. Default 20 s. */
  keepaliveTimeMs?: number;
  /** A keepalive PING unanswered this long closes the session (its calls are cancelled). Default 10 s. */
  keepaliveTimeoutMs?: number;
  /** Largest request message accepted (RESOURCE_EXHAUSTED above it). Default 4 MiB. */
  maxReceiveMessageBytes?: number;
  /** Concurrent streams a client may open on one session. Default 10,000. */
  maxConcurrentStreams?: number;
}

/** What a handler knows of its call. */
export interface ServerCall {
  /** The method path, e.g. /mk8s.v1.Kube/Get. */
  readonly path: string;
  /** The request's header block as node parsed it. */
  readonly headers: http2.IncomingHttpHeaders;
  /** Request metadata: transport headers dropped, `-bin` values decoded (computed on first use). */
  readonly metadata: GrpcMetadata;
  /** The user-agent header ('' when absent). */
  readonly userAgent: string;
  /** When the client's grpc-timeout runs out (Date.now() ms), or undefined. */
  readonly deadline: number | undefined;
  /** The call is over without the handler having ended it: client reset, session lost, deadline, shutdown. */
  readonly cancelled: boolean;
  /** Called once when the call becomes cancelled (not after the handler's own end). */
  onCancel(cb: () => void): void;
}

/** A server-streaming call as its handler holds it. */
export interface ServerStream extends ServerCall {
  /** Sends one message (framed here). False: the stream's buffer is full; wait for onDrain. */
  write(msg: Buffer): boolean;
  /** Sends a message already framed (frameMessage / 5 bytes of prefix filled in): shareable between streams. */
  writeFramed(framed: Buffer): boolean;
  /** Called whenever a full buffer has emptied (one callback per call). */
  onDrain(cb: () => void): void;
  /** Ends the call with status OK (after what was written). */
  end(): void;
  /** Ends the call with this status (trailers-only when nothing was written yet). */
  fail(err: GrpcError): void;
}

/** Returns the reply message, or throws/rejects with a GrpcError (any other error becomes UNKNOWN). */
export type UnaryHandler = (request: Buffer, call: ServerCall) => Buffer | Promise<Buffer>;
/** Starts the stream; ends it later through the call. A throw ends the call with that error. */
export type ServerStreamHandler = (request: Buffer, call: ServerStream) => void;

type Method = { kind: 'unary'; handler: UnaryHandler } | { kind: 'stream'; handler: ServerStreamHandler };

const CALL = Symbol('grpcwire.servercall');
const KEEPALIVE = Symbol('grpcwire.keepalive');
type Stream = http2.ServerHttp2Stream & { [CALL]?: Call };
interface Keepalive { heard: boolean; timer?: NodeJS.Timeout; waiting?: NodeJS.Timeout }
type Session = http2.ServerHttp2Session & { [KEEPALIVE]?: Keepalive };

// node copies header objects given to respond()/sendTrailers(), so these are shared by all calls
const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' };
const OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': '0' };
const WAIT_FOR_TRAILERS = { waitForTrailers: true };
const END_STREAM = { endStream: true };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** grpc-timeout ("100m", "5S", ...) in ms; undefined when absent, NaN when malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(Array.isArray(value) ? value[0] : value);
  if (!m) return NaN;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'H': return n * 3_600_000;
    case 'M': return n * 60_000;
    case 'S': return n * 1000;
    case 'm': return n;
    case 'u': return n / 1000;
    default: return n / 1e6;
  }
}

/** Metadata as header values: Buffers (for `-bin` keys) base64 without padding, as the spec asks senders to. */
function metadataHeaders(into: http2.OutgoingHttpHeaders, md: GrpcMetadata): void {
  for (const k of Object.keys(md)) {
    if (k === 'grpc-status' || k === 'grpc-message' || k.startsWith(':')) continue;
    const v = md[k];
    into[k] = Buffer.isBuffer(v) ? v.toString('base64').replace(/=+$/, '') : v;
  }
}

function statusHeaders(err: GrpcError, trailersOnly: boolean): http2.OutgoingHttpHeaders {
  const h: http2.OutgoingHttpHeaders = trailersOnly ? { ':status': 200, 'content-type': 'application/grpc' } : {};
  metadataHeaders(h, err.metadata);
  h['grpc-status'] = String(err.code);
  if (err.details) h['grpc-message'] = percentEncode(err.details);
  return h;
}

const asGrpcError = (e: unknown): GrpcError =>
  e instanceof GrpcError ? e : new GrpcError(Code.UNKNOWN, (e as Error)?.message ?? String(e));

/** @internal One call: its stream, its request, and how it ends. */
class Call implements ServerStream, MessageSink {
  private request?: Buffer;
  private requestError?: GrpcError;
  private decoder?: MessageDecoder;
  private headersSent = false;
  /** The status the 'wantTrailers' listener sends. */
  trailers: http2.OutgoingHttpHeaders = OK_TRAILERS;
  /** The handler ended the call (or the server did, with a status). */
  done = false;
  cancelled = false;
  private cancelCbs?: (() => void)[];
  drainCb?: () => void;
  deadline: number | undefined;
  private timer?: NodeJS.Timeout;
  private md?: GrpcMetadata;

  constructor(readonly server: GrpcServer, readonly stream: Stream, readonly path: string,
              readonly headers: http2.IncomingHttpHeaders, readonly method: Method) {}

  get metadata(): GrpcMetadata { return (this.md ??= toMetadata(this.headers)); }
  get userAgent(): string { const ua = this.headers['user-agent']; return typeof ua === 'string' ? ua : ''; }

  /** Arms the deadline; false (and the call failed) when grpc-timeout is malformed. */
  armDeadline(): boolean {
    const ms = parseGrpcTimeout(this.headers['grpc-timeout']);
    if (ms === undefined) return true;
    if (Number.isNaN(ms)) {
      this.fail(new GrpcError(Code.INTERNAL, `malformed grpc-timeout ${JSON.stringify(this.headers['grpc-timeout'])}`));
      return false;
    }
    this.deadline = Date.now() + ms;
    this.timer = setTimeout(onDeadline, Math.min(Math.ceil(ms), MAX_TIMER_MS), this);
    return true;
  }

  onMessage(msg: Buffer): void {
    if (this.request !== undefined) {
      this.requestError ??= new GrpcError(Code.INTERNAL, `${this.path} takes one request message, but the client sent more`);
      return;
    }
    this.request = msg;
  }

  gotData(chunk: Buffer): void {
    if (this.requestError) return;
    try { (this.decoder ??= new MessageDecoder(this.server.maxReceiveMessageBytes)).push(chunk, this); } catch (e) {
      this.requestError = asGrpcError(e);
    }
  }

  /** The client half-closed: the request is complete, the handler runs. */
  gotEnd(): void {
    if (this.done || this.cancelled) return;
    const err = this.requestError ?? (this.decoder?.partial ? new GrpcError(Code.INTERNAL, 'request ended inside a message') : undefined)
      ?? (this.request === undefined ? new GrpcError(Code.INTERNAL, `${this.path} needs one request message, but the client sent none`) : undefined);
    if (err) { this.fail(err); return; }
    const req = this.request!;
    this.request = undefined;
    if (this.method.kind === 'stream') {
      try { this.method.handler(req, this); } catch (e) { this.fail(asGrpcError(e)); }
      return;
    }
    let reply: Buffer | Promise<Buffer>;
    try { reply = this.method.handler(req, this); } catch (e) { this.fail(asGrpcError(e)); return; }
    if (Buffer.isBuffer(reply)) this.reply(reply);
    else Promise.resolve(reply).then(b => this.reply(b), e => this.fail(asGrpcError(e)));
  }

  private reply(b: Buffer): void {
    if (this.done || this.cancelled) return;
    if (!Buffer.isBuffer(b)) { this.fail(new GrpcError(Code.INTERNAL, `${this.path}: the handler returned no message`)); return; }
    if (!this.sendHeaders()) return;
    this.finish();
    this.stream.end(frameMessage(b));
  }

  private sendHeaders(): boolean {
    if (this.headersSent) return true;
    const s = this.stream;
    if (s.destroyed || s.closed) return false;
    this.headersSent = true;
    s.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
    return true;
  }

  write(msg: Buffer): boolean { return this.writeFramed(frameMessage(msg)); }

  writeFramed(framed: Buffer): boolean {
    if (this.done || this.cancelled || !this.sendHeaders()) return false;
    return this.stream.write(framed);
  }

  onDrain(cb: () => void): void {
    if (!this.drainCb) this.stream.on('drain', onStreamDrain);
    this.drainCb = cb;
  }

  onCancel(cb: () => void): void {
    if (this.cancelled) { cb(); return; }
    (this.cancelCbs ??= []).push(cb);
  }

  end(): void {
    if (this.done || this.cancelled) return;
    if (!this.sendHeaders()) return;
    this.finish();
    this.stream.end();
  }

  fail(err: GrpcError): void {
    if (this.done || this.cancelled) return;
    const s = this.stream;
    this.finish();
    if (s.destroyed || s.closed) return;
    try {
      if (!this.headersSent) {
        this.headersSent = true;
        s.respond(statusHeaders(err, true), END_STREAM);
      } else {
        this.trailers = statusHeaders(err, false);
        s.end();
      }
    } catch {
      // metadata node will not put in a header block: the status alone still goes out
      const bare = new GrpcError(err.code, err.details);
      if (!s.headersSent) s.respond(statusHeaders(bare, true), END_STREAM);
      else { this.trailers = statusHeaders(bare, false); if (!s.writableEnded) s.end(); }
    }
  }

  private finish(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.server.callEnded(this);
  }

  /** The server ends the call with a status and tells the handler (deadline, shutdown). */
  abort(err: GrpcError | null): void {
    if (this.done || this.cancelled) return;
    if (err) this.fail(err); else this.end();
    this.cancel();
  }

  /** The stream closed under the call, or the server gave up on it: tell the handler, once. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (!this.done) this.finish();
    const cbs = this.cancelCbs;
    this.cancelCbs = undefined;
    if (cbs) for (const cb of cbs) { try { cb(); } catch { /* a handler's cleanup must not break the others */ } }
  }

  /** The stream closed: unless the call had ended, the client reset it or the session went away. */
  closed(): void { if (!this.done) this.cancel(); }
}

function onDeadline(call: Call): void {
  call.abort(new GrpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded'));
}
function onStreamData(this: Stream, chunk: Buffer): void { this[CALL]!.gotData(chunk); }
function onStreamEnd(this: Stream): void { this[CALL]!.gotEnd(); }
function onStreamClose(this: Stream): void { this[CALL]!.closed(); }
function onStreamDrain(this: Stream): void { this[CALL]!.drainCb?.(); }
function onWantTrailers(this: Stream): void {
  const c = this[CALL]!;
  try { this.sendTrailers(c.trailers); } catch { this.close(NGHTTP2_CANCEL); }
}
function ignoreError(): void { /* the stream's 'close' follows and tells the call */ }

export class GrpcServer {
  private readonly methods = new Map<string, Method>();
  private readonly http: http2.Http2Server;
  private readonly sessions = new Set<Session>();
  private readonly calls = new Set<Call>();
  private shuttingDown = false;
  private readonly keepaliveTimeMs: number;
  private readonly keepaliveTimeoutMs: number;
  readonly maxReceiveMessageBytes: number;

  constructor(opts: ServerOptions = {}) {
    this.keepaliveTimeMs = opts.keepaliveTimeMs ?? 20_000;
    this.keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 10_000;
    this.maxReceiveMessageBytes = opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024;
    this.http = http2.createServer({
      settings: { maxConcurrentStreams: opts.maxConcurrentStreams ?? 10_000, initialWindowSize: 1024 * 1024, enablePush: false },
      // many watch streams with data queued behind slow readers must not trip node's per-session memory cap
      maxSessionMemory: 256,
    });
    // Nagle off before HTTP/2 takes the socket over (its proxy refuses setNoDelay later): a watch event must not
    // wait for the ACK of the one before
    this.http.on('connection', (sock: import('node:net').Socket) => sock.setNoDelay(true));
    this.http.on('session', s => this.addSession(s as Session));
    this.http.on('stream', (s, h) => this.onStream(s as Stream, h));
  }

  /** Registers a unary method under its path ('/package.Service/Method'). */
  addUnary(path: string, handler: UnaryHandler): this { return this.add(path, { kind: 'unary', handler }); }

  /** Registers a server-streaming method under its path. */
  addServerStream(path: string, handler: ServerStreamHandler): this { return this.add(path, { kind: 'stream', handler }); }

  private add(path: string, m: Method): this {
    if (!/^\/[^/]+\/[^/]+$/.test(path)) throw new Error(`invalid gRPC method path ${JSON.stringify(path)}: expected /package.Service/Method`);
    if (this.methods.has(path)) throw new Error(`gRPC method ${path} is already registered`);
    this.methods.set(path, m);
    return this;
  }

  /** Listens on host:port (port 0 = any free one); resolves with the bound port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        resolve((this.http.address() as AddressInfo).port);
      });
    });
  }

  get port(): number { return (this.http.address() as AddressInfo | null)?.port ?? 0; }

  /** Open calls (unary and streaming), for tests and metrics. */
  get openCalls(): number { return this.calls.size; }

  /**
   * Stops accepting connections and streams (GOAWAY), lets open unary calls finish, ends streaming calls with
   * status OK (their handlers are told through onCancel), and resolves when every session has closed. After
   * `graceMs` what is still open is closed by force.
   */
  shutdown(graceMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    const closed = new Promise<void>(resolve => this.http.close(() => resolve()));
    for (const c of [...this.calls]) if (c.method.kind === 'stream') c.abort(null);
    for (const s of this.sessions) if (!s.closed && !s.destroyed) s.close();
    const timer = setTimeout(() => this.forceClose(), graceMs);
    timer.unref();
    return closed.then(() => clearTimeout(timer));
  }

  /** Closes every session now; open calls are cancelled. */
  forceClose(): void {
    this.shuttingDown = true;
    if (this.http.listening) this.http.close();
    for (const s of this.sessions) s.destroy();
    for (const c of [...this.calls]) c.cancel();
  }

  /** @internal */
  callEnded(c: Call): void { this.calls.delete(c); }

  private addSession(s: Session): void {
    if (this.shuttingDown) { s.destroy(); return; }
    this.sessions.add(s);
    s.on('error', ignoreError);
    try { s.setLocalWindowSize(16 * 1024 * 1024); } catch { /* keep the default window */ }
    if (this.keepaliveTimeMs > 0) {
      const ka: Keepalive = { heard: true };
      s[KEEPALIVE] = ka;
      ka.timer = setInterval(() => this.keepalive(s, ka), this.keepaliveTimeMs);
      ka.timer.unref();
      s.on('ping', () => { ka.heard = true; });
      s.on('stream', () => { ka.heard = true; });
    }
    s.on('close', () => {
      this.sessions.delete(s);
      const ka = s[KEEPALIVE];
      if (ka) { clearInterval(ka.timer); clearTimeout(ka.waiting); }
    });
  }

  /** A PING when the peer has been silent for a whole interval; no answer in time closes the session. */
  private keepalive(s: Session, ka: Keepalive): void {
    if (s.destroyed || s.closed) return;
    if (ka.heard) { ka.heard = false; return; }
    if (ka.waiting) return;
    ka.waiting = setTimeout(() => s.destroy(new Error('keepalive ping not answered')), this.keepaliveTimeoutMs);
    ka.waiting.unref();
    try {
      s.ping((err) => {
        clearTimeout(ka.waiting);
        ka.waiting = undefined;
        if (err) s.destroy(err); else ka.heard = true;
      });
    } catch (e) {
      clearTimeout(ka.waiting);
      ka.waiting = undefined;
      s.destroy(e as Error);
    }
  }

  private onStream(stream: Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', ignoreError);
    const path = headers[':path'] ?? '';
    const ct = headers['content-type'];
    if (headers[':method'] !== 'POST') {
      respondHttp(stream, 405);
      return;
    }
    if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) {
      respondHttp(stream, 415);
      return;
    }
    const method = this.methods.get(path);
    const enc = headers['grpc-encoding'];
    const early = !method ? new GrpcError(Code.UNIMPLEMENTED, `unknown method ${path}`)
      : this.shuttingDown ? new GrpcError(Code.UNAVAILABLE, 'server is shutting down')
        : enc !== undefined && enc !== 'identity' ? new GrpcError(Code.UNIMPLEMENTED, `message encoding ${String(enc)} is not supported (identity only)`, { 'grpc-accept-encoding': 'identity' })
          : undefined;
    if (early) {
      stream.respond(statusHeaders(early, true), END_STREAM);
      stream.resume();
      return;
    }
    const call = new Call(this, stream, path, headers, method!);
    stream[CALL] = call;
    this.calls.add(call);
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('close', onStreamClose);
    stream.on('wantTrailers', onWantTrailers);
    call.armDeadline();
  }
}

/** A plain HTTP answer for a request that is not gRPC at all. */
function respondHttp(stream: Stream, status: number): void {
  stream.respond({ ':status': status }, END_STREAM);
  stream.resume();
}
