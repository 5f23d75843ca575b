// A small gRPC server on our own HTTP/2 connection layer (h2/, h2c, no TLS): handlers registered by method path,
// unary and server-streaming calls, request metadata, grpc-timeout, trailers-only responses for errors raised
// before any message, keepalive PINGs on connections the peer has gone quiet on, graceful and forced shutdown
// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). Per call: one object; per streamed message:
// one framed buffer (shareable between calls) and one socket write.
import net, { AddressInfo } from 'node:net';
import { MessageDecoder, MessageSink, frameMessage } from './framing';
import { H2Connection, H2Stream, IncomingHeaders, encodeHeaders } from './h2/connection';
import { H2Code, H2Error } from './h2/frames';
import type { Header } from './h2/hpack';
import { Code, GrpcError, GrpcMetadata, percentEncode, toMetadata } from './status';

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
  /** The request's headers (a repeated name gives an array). */
  readonly headers: IncomingHeaders;
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

interface Keepalive { heard: boolean; timer?: NodeJS.Timeout; waiting?: NodeJS.Timeout }

// header blocks every call shares, encoded once
const RESPONSE_HEADERS = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-accept-encoding', 'identity']]);
const OK_TRAILERS = encodeHeaders([['grpc-status', '0']]);
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
function metadataHeaders(into: Header[], md: GrpcMetadata): void {
  for (const k of Object.keys(md)) {
    if (k === 'grpc-status' || k === 'grpc-message' || k.startsWith(':')) continue;
    const v = md[k];
    into.push([k.toLowerCase(), Buffer.isBuffer(v) ? v.toString('base64').replace(/=+$/, '') : v]);
  }
}

/** The status as a header block; throws when metadata cannot go in a header block. */
function statusHeaders(err: GrpcError, trailersOnly: boolean): Buffer {
  const h: Header[] = trailersOnly ? [[':status', '200'], ['content-type', 'application/grpc']] : [];
  metadataHeaders(h, err.metadata);
  h.push(['grpc-status', String(err.code)]);
  if (err.details) h.push(['grpc-message', percentEncode(err.details)]);
  return encodeHeaders(h);
}

const asGrpcError = (e: unknown): GrpcError =>
  e instanceof GrpcError ? e : new GrpcError(Code.UNKNOWN, (e as Error)?.message ?? String(e));

/** @internal One call: its stream, its request, and how it ends. */
class Call implements ServerStream, MessageSink {
  private request?: Buffer;
  private requestError?: GrpcError;
  private decoder?: MessageDecoder;
  /** The handler ended the call (or the server did, with a status). */
  done = false;
  cancelled = false;
  private cancelCbs?: (() => void)[];
  deadline: number | undefined;
  private timer?: NodeJS.Timeout;
  private md?: GrpcMetadata;

  constructor(readonly server: GrpcServer, readonly stream: H2Stream, readonly path: string,
              readonly headers: IncomingHeaders, readonly method: Method) {}

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
    if (this.stream.closed) return;
    this.finish();
    this.stream.respondWhole(RESPONSE_HEADERS, frameMessage(b), OK_TRAILERS);
  }

  write(msg: Buffer): boolean { return this.writeFramed(frameMessage(msg)); }

  writeFramed(framed: Buffer): boolean {
    if (this.done || this.cancelled || this.stream.closed) return false;
    return this.stream.headersSent ? this.stream.write(framed) : this.stream.respondWithData(RESPONSE_HEADERS, framed);
  }

  onDrain(cb: () => void): void {
    this.stream.ondrain = cb;
  }

  onCancel(cb: () => void): void {
    if (this.cancelled) { cb(); return; }
    (this.cancelCbs ??= []).push(cb);
  }

  end(): void {
    if (this.done || this.cancelled || this.stream.closed) return;
    this.finish();
    this.stream.respond(RESPONSE_HEADERS); // a no-op when they went out with a message
    this.stream.end(OK_TRAILERS);
  }

  fail(err: GrpcError): void {
    if (this.done || this.cancelled) return;
    const s = this.stream;
    this.finish();
    if (s.closed) return;
    const trailersOnly = !s.headersSent;
    let block: Buffer;
    try { block = statusHeaders(err, trailersOnly); } catch {
      // metadata that cannot go in a header block: the status alone still goes out
      block = statusHeaders(new GrpcError(err.code, err.details), trailersOnly);
    }
    if (trailersOnly) s.respondAndEnd(block); else s.end(block);
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

export class GrpcServer {
  private readonly methods = new Map<string, Method>();
  private readonly net: net.Server;
  private readonly conns = new Map<H2Connection, Keepalive>();
  private readonly calls = new Set<Call>();
  private shuttingDown = false;
  private readonly keepaliveTimeMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly maxConcurrentStreams: number;
  readonly maxReceiveMessageBytes: number;

  constructor(opts: ServerOptions = {}) {
    this.keepaliveTimeMs = opts.keepaliveTimeMs ?? 20_000;
    this.keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 10_000;
    this.maxReceiveMessageBytes = opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024;
    this.maxConcurrentStreams = opts.maxConcurrentStreams ?? 10_000;
    this.net = net.createServer(sock => this.addConnection(sock));
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
      this.net.once('error', onError);
      this.net.listen(port, host, () => {
        this.net.off('error', onError);
        resolve((this.net.address() as AddressInfo).port);
      });
    });
  }

  get port(): number { return (this.net.address() as AddressInfo | null)?.port ?? 0; }

  /** Open calls (unary and streaming), for tests and metrics. */
  get openCalls(): number { return this.calls.size; }

  /**
   * Stops accepting connections and streams (GOAWAY), lets open unary calls finish, ends streaming calls with
   * status OK (their handlers are told through onCancel), and resolves when every connection has closed. After
   * `graceMs` what is still open is closed by force.
   */
  shutdown(graceMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    const closed = new Promise<void>(resolve => this.net.close(() => resolve()));
    for (const c of [...this.calls]) if (c.method.kind === 'stream') c.abort(null);
    for (const conn of this.conns.keys()) conn.close();
    const timer = setTimeout(() => this.forceClose(), graceMs);
    timer.unref();
    return closed.then(() => clearTimeout(timer));
  }

  /** Closes every connection now; open calls are cancelled. */
  forceClose(): void {
    this.shuttingDown = true;
    if (this.net.listening) this.net.close();
    // GOAWAY first, so peers see a server going away rather than a reset
    for (const conn of [...this.conns.keys()]) conn.destroy(new H2Error(H2Code.NO_ERROR, 'server closing'));
    for (const c of [...this.calls]) c.cancel();
  }

  /** @internal */
  callEnded(c: Call): void { this.calls.delete(c); }

  private addConnection(sock: net.Socket): void {
    if (this.shuttingDown) { sock.destroy(); return; }
    const ka: Keepalive = { heard: true };
    const conn = new H2Connection(sock, {
      maxConcurrentStreams: this.maxConcurrentStreams,
      streamWindow: 1024 * 1024,
      connectionWindow: 16 * 1024 * 1024,
      maxFrameSize: 1024 * 1024,
      maxHeaderBlockBytes: 256 * 1024,
      onStream: (s) => this.onStream(s),
      onHeard: () => { ka.heard = true; },
      onClose: (c) => {
        this.conns.delete(c);
        clearInterval(ka.timer);
        clearTimeout(ka.waiting);
      },
    });
    if (conn.destroyed) return;
    this.conns.set(conn, ka);
    if (this.keepaliveTimeMs > 0) {
      ka.timer = setInterval(() => this.keepalive(conn, ka), this.keepaliveTimeMs);
      ka.timer.unref();
    }
  }

  /** A PING when the peer has been silent for a whole interval; no answer in time closes the connection. */
  private keepalive(conn: H2Connection, ka: Keepalive): void {
    if (conn.destroyed) return;
    if (ka.heard) { ka.heard = false; return; }
    if (ka.waiting) return;
    ka.waiting = setTimeout(() => conn.destroy(new H2Error(H2Code.NO_ERROR, 'keepalive ping not answered')), this.keepaliveTimeoutMs);
    ka.waiting.unref();
    conn.ping((err) => {
      clearTimeout(ka.waiting);
      ka.waiting = undefined;
      if (err) conn.destroy(); else ka.heard = true;
    });
  }

  private onStream(stream: H2Stream): void {
    const headers = stream.headers;
    const path = headers[':path'];
    const ct = headers['content-type'];
    if (headers[':method'] !== 'POST') { respondHttp(stream, 405); return; }
    if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) { respondHttp(stream, 415); return; }
    const method = typeof path === 'string' ? this.methods.get(path) : undefined;
    const enc = headers['grpc-encoding'];
    const early = !method ? new GrpcError(Code.UNIMPLEMENTED, `unknown method ${String(path)}`)
      : this.shuttingDown ? new GrpcError(Code.UNAVAILABLE, 'server is shutting down')
        : enc !== undefined && enc !== 'identity' ? new GrpcError(Code.UNIMPLEMENTED, `message encoding ${String(enc)} is not supported (identity only)`, { 'grpc-accept-encoding': 'identity' })
          : undefined;
    if (early) { stream.respondAndEnd(statusHeaders(early, true)); return; }
    const call = new Call(this, stream, path as string, headers, method!);
    this.calls.add(call);
    stream.ondata = (chunk) => call.gotData(chunk);
    stream.onend = () => call.gotEnd();
    stream.onclose = () => call.closed();
    call.armDeadline();
  }
}

/** A plain HTTP answer for a request that is not gRPC at all. */
function respondHttp(stream: H2Stream, status: number): void {
  stream.respondAndEnd(encodeHeaders([[':status', String(status)]]));
}
