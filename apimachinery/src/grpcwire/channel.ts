// A gRPC client channel on our own HTTP/2 client connection (h2/client.ts): one connection per target, connected on first use
// and replaced after it closes, errs or is sent GOAWAY; calls go round-robin over connected targets and fail
// over to the next target while a connection cannot be made. Keepalive PINGs (while calls are open) tear down
// a session whose peer stopped answering. Per call: one stream, listeners shared by all calls (the call is
// found on the stream), one timer for the deadline.
import { H2ClientConnection, H2ClientStream, ResponseHeaders } from './h2/client';
import { H2Code, H2Error } from './h2/frames';
import type { Header } from './h2/hpack';
import { MESSAGE_HEADER_BYTES, MessageDecoder, MessageSink, frameMessage, writeMessageHeader } from './framing';
import { Code, GrpcError, GrpcMetadata, statusFromHeaders, statusFromHttp, statusFromRstCode } from './status';

export interface ChannelOptions {
  /** PING interval while calls are open (0 = no keepalive). Default 10 s. */
  keepaliveTimeMs?: number;
  /** A PING unanswered this long closes the session. Default 5 s. */
  keepaliveTimeoutMs?: number;
  /** A TCP connect taking longer than this fails the target. Default 5 s. */
  connectTimeoutMs?: number;
  /** Largest message accepted. Default: no limit. */
  maxReceiveMessageBytes?: number;
  /** How long a target that refused a connection is skipped while others work: doubles from 100 ms up to this. Default 5 s. */
  maxBackoffMs?: number;
  userAgent?: string;
}

export interface CallOptions {
  /** Time the call may take, in ms from now; sent as grpc-timeout. Undefined = no deadline. */
  deadlineMs?: number;
  /** Request metadata; Buffer values (for `-bin` keys) are base64-encoded. */
  metadata?: GrpcMetadata;
  /** The request buffer starts with 5 bytes left free for the message prefix (saves a copy). */
  framed?: boolean;
}

/** Receives a streaming call's messages and, exactly once, its end (null = status OK). */
export interface StreamHandler extends MessageSink {
  onMessage(msg: Buffer): void;
  onEnd(error: GrpcError | null): void;
}

type Stream = H2ClientStream & { owner?: Call };
/** A connection; keepalive pings only while it has open or queued streams (one per call). */
type Session = H2ClientConnection;
const COPY_LIMIT = 64 * 1024;

/** A target's connection state. */
class Target {
  session?: Session;
  ready = false;
  /** Calls waiting for the session to connect. */
  pending: Call[] = [];
  failures = 0;
  retryAt = 0;
  constructor(readonly authority: string, readonly url: string, readonly host: string, readonly port: number) {}
}

/** Parses 'host:port', 'http://host:port' or '[v6]:port'; TLS targets are refused (not implemented). */
export function parseTarget(target: string): { authority: string; url: string; host: string; port: number } {
  const m = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/\s\[\]]+):(\d{1,5})\/?$/.exec(target.trim());
  if (!m) throw new Error(`invalid gRPC target ${JSON.stringify(target)}: expected host:port or http://host:port`);
  if (m[1] === 'https') throw new Error(`gRPC target ${target}: TLS is not supported by this client`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`invalid gRPC target ${JSON.stringify(target)}: port out of range`);
  const authority = `${m[2]}:${port}`;
  return { authority, url: `http://${authority}`, host: m[2].replace(/^\[|\]$/g, ''), port };
}

export class GrpcChannel {
  private readonly targets: Target[];
  private rr = 0;
  private closed = false;
  private readonly keepaliveTimeMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxBackoffMs: number;
  readonly maxReceiveMessageBytes: number;
  private readonly userAgent: string;

  constructor(targets: string | string[], opts: ChannelOptions = {}) {
    const list = (Array.isArray(targets) ? targets : [targets]).flatMap(t => t.split(',')).map(t => t.trim()).filter(Boolean);
    if (!list.length) throw new Error('a gRPC channel needs at least one target');
    this.targets = list.map(t => { const p = parseTarget(t); return new Target(p.authority, p.url, p.host, p.port); });
    this.keepaliveTimeMs = opts.keepaliveTimeMs ?? 10_000;
    this.keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 5_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5_000;
    this.maxReceiveMessageBytes = opts.maxReceiveMessageBytes ?? Infinity;
    this.userAgent = opts.userAgent ?? 'mk8s-grpcwire';
  }

  /** One request, one response. Rejects with GrpcError (status, connection failure = 14, deadline = 4). */
  unary(path: string, req: Buffer, opts: CallOptions = {}): Promise<Buffer> {
    const bad = badRequest(req, opts);
    if (bad) return Promise.reject(bad);
    let resolve!: (b: Buffer) => void, reject!: (e: GrpcError) => void;
    const p = new Promise<Buffer>((a, b) => { resolve = a; reject = b; });
    const call = new Call(this, path, opts, undefined, resolve, reject);
    call.setRequest(req);
    this.dispatch(call);
    return p;
  }

  /** One request, a stream of responses. Throws GrpcError at once on a malformed request (see unary). */
  serverStream(path: string, req: Buffer, handler: StreamHandler, opts: CallOptions = {}): GrpcCall {
    const bad = badRequest(req, opts);
    if (bad) throw bad;
    const call = new Call(this, path, opts, handler);
    call.setRequest(req);
    this.dispatch(call);
    return call;
  }

  /** Messages both ways: write() and end() (half-close) on the returned call. */
  bidiStream(path: string, handler: StreamHandler, opts: CallOptions = {}): GrpcCall {
    const bad = badMetadata(opts);
    if (bad) throw bad;
    const call = new Call(this, path, opts, handler);
    this.dispatch(call);
    return call;
  }

  /** Closes every session; open calls fail with UNAVAILABLE, later ones at once. */
  close(): void {
    this.closed = true;
    for (const t of this.targets) {
      const pending = t.pending;
      t.pending = [];
      for (const c of pending) c.fail(new GrpcError(Code.UNAVAILABLE, 'channel closed'));
      t.session?.destroy();
    }
  }

  /** @internal Starts a call on the best target, or parks it until that target's session connects. */
  dispatch(call: Call): void {
    if (this.closed) { call.fail(new GrpcError(Code.UNAVAILABLE, 'channel closed')); return; }
    const t = this.pick(call);
    if (!t) {
      call.fail(new GrpcError(Code.UNAVAILABLE, `no connection to ${this.targets.map(x => x.authority).join(', ')}: ${call.lastConnectError ?? 'all targets failed'}`));
      return;
    }
    if (t.ready) { call.start(t, t.session!); return; }
    t.pending.push(call);
    if (!t.session) this.connect(t);
  }

  private pick(call: Call): Target | undefined {
    const ts = this.targets, n = ts.length;
    if (n === 1) return call.tried?.includes(ts[0]) ? undefined : ts[0];
    for (let i = 0; i < n; i++) {
      const t = ts[(this.rr + i) % n];
      if (t.ready && !call.tried?.includes(t)) {
        this.rr = (this.rr + i + 1) % n;
        this.probeDown();
        return t;
      }
    }
    const now = Date.now();
    let best: Target | undefined;
    for (let i = 0; i < n; i++) {
      const t = ts[(this.rr + i) % n];
      if (call.tried?.includes(t)) continue;
      if (t.session) return t; // connecting
      if (!best || t.retryAt < best.retryAt) best = t;
      if (t.retryAt <= now) return t;
    }
    return best;
  }

  private lastProbe = 0;
  /** While some target works, connect the others in the background (once a failed one's backoff has passed). */
  private probeDown(): void {
    const now = Date.now();
    if (now - this.lastProbe < 100) return;
    this.lastProbe = now;
    for (const t of this.targets) if (!t.session && t.retryAt <= now) this.connect(t);
  }

  private connect(t: Target): void {
    let connectError: Error | undefined;
    let pingTimer: NodeJS.Timeout | undefined;
    // large frames: a 350 KB list page comes in a few DATA frames instead of 22 (16 KB is the default)
    const session = new H2ClientConnection({
      host: t.host, port: t.port, streamWindow: 4 * 1024 * 1024, connectionWindow: 64 * 1024 * 1024, maxFrameSize: 1024 * 1024,
      onConnect: () => {
        clearTimeout(connectTimer);
        if (t.session !== session) return;
        t.ready = true;
        t.failures = 0;
        if (this.keepaliveTimeMs > 0) {
          pingTimer = setInterval(() => this.ping(t, session), this.keepaliveTimeMs);
          pingTimer.unref();
        }
        const pending = t.pending;
        t.pending = [];
        for (const c of pending) c.start(t, session);
      },
      // No new streams on a connection the server is draining; open ones finish on it.
      onGoaway: () => { this.detach(t, session); },
      onClose: (err) => {
        connectError = err;
        clearTimeout(connectTimer);
        if (pingTimer) clearInterval(pingTimer);
        const wasReady = t.session === session && t.ready;
        if (!this.detach(t, session)) return;
        if (!wasReady) {
          t.failures++;
          t.retryAt = Date.now() + Math.min(100 * 2 ** (t.failures - 1), this.maxBackoffMs);
          const pending = t.pending;
          t.pending = [];
          const reason = connectError?.message ?? 'connection closed before it was established';
          for (const c of pending) {
            c.lastConnectError = `${t.authority}: ${reason}`;
            (c.tried ??= []).push(t);
            if (!c.done) this.dispatch(c);
          }
        }
      },
    });
    t.session = session;
    t.ready = false;
    const connectTimer = setTimeout(() => session.destroy(new Error(`connect to ${t.authority} timed out after ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
    connectTimer.unref();
  }

  /** @internal A session that refused a new stream is not offered again. */
  forget(t: Target, session: Session): void { if (this.detach(t, session)) session.close(); }

  /** Forgets a session (so the next call makes a new one); false if it was already replaced. */
  private detach(t: Target, session: Session): boolean {
    if (t.session !== session) return false;
    t.session = undefined;
    t.ready = false;
    return true;
  }

  private ping(t: Target, session: Session): void {
    if (t.session !== session || session.activeStreams === 0 || session.destroyed) return;
    const timer = setTimeout(() => session.destroy(new Error(`keepalive ping to ${t.authority} not answered within ${this.keepaliveTimeoutMs} ms`)), this.keepaliveTimeoutMs);
    timer.unref();
    session.ping(() => clearTimeout(timer));
  }

  /** @internal Request headers for a call. */
  headers(t: Target, call: Call): Header[] {
    const h: Header[] = [
      [':method', 'POST'], [':scheme', 'http'], [':authority', t.authority], [':path', call.path],
      ['content-type', 'application/grpc'], ['te', 'trailers'], ['user-agent', this.userAgent],
    ];
    if (call.deadline !== undefined) h.push(['grpc-timeout', grpcTimeout(call.deadline - Date.now())]);
    const md = call.opts.metadata;
    if (md) for (const k of Object.keys(md)) { const v = md[k]; h.push([k.toLowerCase(), Buffer.isBuffer(v) ? v.toString('base64') : String(v)]); }
    return h;
  }
}

/** grpc-timeout allows at most 8 digits: milliseconds while they fit, else seconds (capped). */
function grpcTimeout(ms: number): string {
  if (ms < 1) return '1m';
  if (ms <= 99_999_999) return `${Math.ceil(ms)}m`;
  return `${Math.min(99_999_999, Math.ceil(ms / 1000))}S`;
}

/** Checks made before a call exists, so a bad request fails without leaving a timer behind. */
function badRequest(req: Buffer, opts: CallOptions): GrpcError | undefined {
  if (opts.framed && req.length < MESSAGE_HEADER_BYTES) return new GrpcError(Code.INTERNAL, 'a framed request needs 5 bytes of room for the message prefix');
  return badMetadata(opts);
}
function badMetadata(opts: CallOptions): GrpcError | undefined {
  const md = opts.metadata;
  if (md) for (const k of Object.keys(md)) {
    if (k.startsWith(':') || k === 'content-type' || k === 'te' || k === 'grpc-timeout') return new GrpcError(Code.INTERNAL, `metadata key ${k} is reserved`);
  }
  return undefined;
}

/** What a caller holds of a streaming call. */
export interface GrpcCall {
  /** Sends one message (framed here). Returns false when the stream's buffer is full. */
  write(msg: Buffer): boolean;
  /** Half-close: no more messages from this side. */
  end(): void;
  /** Ends the call now (RST_STREAM CANCEL); the handler gets CANCELLED unless the call already ended. */
  cancel(): void;
  readonly done: boolean;
}

/** @internal One call: its stream, its response decoder, and how it ends. */
class Call implements GrpcCall, MessageSink {
  stream?: Stream;
  target?: Target;
  private session?: Session;
  private restarts = 0;
  /** The single request message, framed unless `rawRequest` (a large one: its prefix goes out separately). */
  private request?: Buffer;
  /** The request as sent, kept while a stream the server did not process may be sent again. */
  private sentRequest?: Buffer;
  private rawRequest = false;
  /** Messages written before the stream exists. */
  private queued?: Buffer[];
  /** A message went out on the stream (a bidi call that wrote cannot be replayed). */
  private wrote = false;
  halfClosed = false;
  done = false;
  deadline?: number;
  private timer?: NodeJS.Timeout;
  tried?: Target[];
  lastConnectError?: string;
  private decoder: MessageDecoder;
  private response?: Buffer;
  private status?: GrpcError | null;
  private responded = false;
  private cancelled = false;

  constructor(private readonly channel: GrpcChannel, readonly path: string, readonly opts: CallOptions,
              private readonly handler: StreamHandler | undefined,
              private readonly resolve?: (b: Buffer) => void, private readonly reject?: (e: GrpcError) => void) {
    this.decoder = new MessageDecoder(channel.maxReceiveMessageBytes);
    if (opts.deadlineMs !== undefined) {
      this.deadline = Date.now() + opts.deadlineMs;
      this.timer = setTimeout(onDeadline, Math.max(0, opts.deadlineMs), this);
    }
  }

  setRequest(req: Buffer): void {
    if (this.opts.framed) {
      writeMessageHeader(req, req.length - MESSAGE_HEADER_BYTES);
      this.request = req;
    } else if (req.length <= COPY_LIMIT) this.request = frameMessage(req);
    else { this.request = req; this.rawRequest = true; }
    this.halfClosed = true;
  }

  start(t: Target, session: Session): void {
    if (this.done) return;
    let stream: Stream;
    session.cork();
    try {
      try {
        stream = session.request(this.channel.headers(t, this)) as Stream;
      } catch (e) {
        const err = e as Error;
        if (err instanceof H2Error && err.code === H2Code.INTERNAL_ERROR) {
          this.fail(new GrpcError(Code.INTERNAL, `invalid request metadata: ${err.message}`));
        } else if (this.restarts++ < 2) {
          // the connection began closing between the pick and now; nothing was sent, so another one may take it
          this.channel.forget(t, session);
          this.channel.dispatch(this);
        } else this.fail(new GrpcError(Code.UNAVAILABLE, `cannot open a stream to ${t.authority}: ${err.message}`));
        return;
      }
      this.stream = stream;
      this.target = t;
      this.session = session;
      stream.owner = this;
      stream.onheaders = onHeaders;
      stream.ondata = onData;
      stream.onclose = onClose;
      if (this.queued) {
        for (const m of this.queued) this.send(m);
        this.queued = undefined;
      }
      const req = this.request;
      if (req) {
        this.request = undefined;
        this.sentRequest = req;
        if (this.rawRequest) {
          // prefix and body as two writes, corked into one (no copy of a large body)
          const h = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES);
          writeMessageHeader(h, req.length);
          stream.write(h); stream.end(req);
          return;
        }
        stream.end(req);
        return;
      }
      if (this.halfClosed) stream.end();
    } finally { session.uncork(); }
  }

  private send(msg: Buffer): boolean {
    const s = this.stream!;
    this.wrote = true;
    if (msg.length <= COPY_LIMIT) return s.write(frameMessage(msg));
    const h = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES);
    writeMessageHeader(h, msg.length);
    const sess = this.session!;
    sess.cork(); s.write(h); const ok = s.write(msg); sess.uncork();
    return ok;
  }

  write(msg: Buffer): boolean {
    if (this.done || this.halfClosed) return false;
    if (!this.stream) { (this.queued ??= []).push(msg); return true; }
    return this.send(msg);
  }

  end(): void {
    if (this.done || this.halfClosed) return;
    this.halfClosed = true;
    this.stream?.end();
  }

  cancel(): void {
    if (this.done) return;
    this.cancelled = true;
    this.fail(new GrpcError(Code.CANCELLED, 'call cancelled by the client'));
  }

  onMessage(msg: Buffer): void {
    if (this.done) return;
    if (this.handler) { this.handler.onMessage(msg); return; }
    if (this.response !== undefined) {
      this.fail(new GrpcError(Code.INTERNAL, 'server sent more than one message on a unary call'));
      return;
    }
    this.response = msg;
  }

  /** Ends the call with an error now, resetting its stream if it has one. */
  fail(err: GrpcError): void {
    if (this.done) return;
    // finished first: the reset closes the stream at once, and its close must not end the call a second way
    this.finish(err);
    const s = this.stream;
    if (s && !s.closed) s.reset(H2Code.CANCEL);
  }

  finish(err: GrpcError | null): void {
    if (this.done) return;
    this.done = true;
    this.sentRequest = undefined;
    if (this.timer) clearTimeout(this.timer);
    if (this.handler) { this.handler.onEnd(err); return; }
    if (err) this.reject!(err);
    else if (this.response === undefined) this.reject!(new GrpcError(Code.INTERNAL, 'server sent no response message on a unary call'));
    else this.resolve!(this.response);
  }

  // ---- stream events (the shared callbacks below find the call on the stream) ----
  gotHeaders(headers: ResponseHeaders): void {
    if (this.responded) { this.status = statusFromHeaders(headers); return; } // trailers
    this.responded = true;
    if (headers['grpc-status'] !== undefined) { this.status = statusFromHeaders(headers); return; } // trailers-only
    const status = headers[':status'];
    if (Number(status) !== 200) { this.fail(statusFromHttp(Number(status))); return; }
    const ct = headers['content-type'];
    if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) {
      this.fail(new GrpcError(Code.UNKNOWN, `response content-type ${String(ct)} is not application/grpc`));
    }
  }
  gotData(chunk: Buffer): void {
    if (this.done) return;
    try { this.decoder.push(chunk, this); } catch (e) {
      this.fail(e instanceof GrpcError ? e : new GrpcError(Code.INTERNAL, `cannot read response: ${(e as Error).message}`));
    }
  }
  closed(): void {
    if (this.done) return;
    if (this.status !== undefined) {
      if (this.status === null && this.decoder.partial) this.finish(new GrpcError(Code.INTERNAL, 'stream ended inside a message'));
      else this.finish(this.status);
      return;
    }
    const s = this.stream!;
    if (this.cancelled) { this.finish(new GrpcError(Code.CANCELLED, 'call cancelled by the client')); return; }
    if (s.refused && !this.responded && this.replayable() && this.restarts++ < 2) {
      // the server did not process the stream (GOAWAY, REFUSED_STREAM): send it again, on another connection if one
      const session = this.session!;
      this.stream = undefined;
      this.session = undefined;
      this.request = this.sentRequest;
      this.sentRequest = undefined;
      if (session.closing || session.destroyed) this.channel.forget(this.target!, session);
      this.channel.dispatch(this);
      return;
    }
    if (s.rstCode !== undefined && s.rstCode !== H2Code.NO_ERROR && !s.connectionError) this.finish(statusFromRstCode(s.rstCode));
    else if (s.connectionError) {
      this.finish(new GrpcError(Code.UNAVAILABLE, `connection to ${this.target!.authority} lost: ${s.connectionError.message}`));
    } else if (s.refused) this.finish(new GrpcError(Code.UNAVAILABLE, `stream not processed by ${this.target!.authority} (the server is going away)`));
    else this.finish(new GrpcError(Code.INTERNAL, 'stream ended without a grpc-status'));
  }

  /** Whether everything this call sent can be sent again. */
  private replayable(): boolean {
    return this.sentRequest !== undefined || !this.wrote;
  }
}

function onDeadline(call: Call): void {
  call.fail(new GrpcError(Code.DEADLINE_EXCEEDED, `deadline of ${call.opts.deadlineMs} ms exceeded`));
}
function onHeaders(this: Stream, headers: ResponseHeaders): void { this.owner!.gotHeaders(headers); }
function onData(this: Stream, chunk: Buffer): void { this.owner!.gotData(chunk); }
function onClose(this: Stream): void { this.owner!.closed(); }
