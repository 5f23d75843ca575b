// The server side of one HTTP/2 connection (RFC 9113, cleartext with prior knowledge), written on the socket
// directly: just what a gRPC server needs. Why not node:http2: its writes go out in a deferred per-session step
// after the loop turn, so fanning one watch event out to many sessions sends the last one's bytes late; here a
// stream write is one socket write, at once, as an HTTP/1.1 response write is.
//
// Streams are client-initiated only (no push). Flow control, settings, pings and header blocks: endpoint.ts.
// Priorities are ignored. Errors: a stream error resets that stream, a connection error sends GOAWAY and closes.
import type { Socket } from 'node:net';
import { EndpointLimits, H2Endpoint, H2StreamBase, HeaderObject, checkHeaders } from './endpoint';
import { END_STREAM, H2Code, H2Error, PREFACE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS, goaway, rstStream } from './frames';
import { Header, HpackEncoder } from './hpack';

/** Request headers as node's http2 gives them: repeated names become arrays. */
export type IncomingHeaders = HeaderObject;

export interface ConnectionOptions extends EndpointLimits {
  maxConcurrentStreams: number;
  onStream(stream: H2Stream): void;
  /** A frame that shows the peer is there (a PING or a new stream). */
  onHeard?(): void;
  onClose(conn: H2Connection): void;
}

const MAX_STREAM_ID = 2 ** 31 - 1;

// RFC 9113 §8.2.1: no NUL, CR or LF in values, no leading or trailing whitespace
const BAD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;
const encoder = new HpackEncoder();
/** Encodes a header list for respond()/end(); throws on a value HTTP/2 cannot carry. */
export function encodeHeaders(headers: Header[]): Buffer {
  checkHeaders(headers, BAD_VALUE);
  return encoder.encode(headers);
}

/** One request stream. Callbacks are set by the owner; writes return false when the caller should wait for ondrain. */
export class H2Stream extends H2StreamBase {
  onend?: () => void;
  headersSent = false;

  constructor(readonly conn: H2Connection, id: number, readonly headers: IncomingHeaders) {
    super(id);
  }

  /** Sends the response header block (HEADERS without END_STREAM). */
  respond(block: Buffer): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.conn.headers(this, block, false);
  }

  /** Headers, then DATA, in one socket write (the first message of a stream). */
  respondWithData(block: Buffer, data: Buffer): boolean {
    this.conn.cork();
    try { this.respond(block); return this.write(data); } finally { this.conn.uncork(); }
  }

  /** A whole response (headers, one DATA, trailers) in one socket write: a unary reply. */
  respondWhole(block: Buffer, data: Buffer, trailers: Buffer): void {
    this.conn.cork();
    try { this.respond(block); this.conn.sendData(this, data, true, trailers); } finally { this.conn.uncork(); }
  }

  /** A response that is headers only (gRPC's trailers-only): HEADERS with END_STREAM. */
  respondAndEnd(block: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.headersSent = true;
    this.localEnded = true;
    this.conn.headers(this, block, true);
  }

  /** DATA. False: queued behind flow control or a full socket; ondrain follows. */
  write(data: Buffer): boolean {
    if (this.closed || this.localEnded) return false;
    return this.conn.sendData(this, data, false);
  }

  /** Ends our side: after what is queued, the trailers block (HEADERS with END_STREAM) or an empty DATA with END_STREAM. */
  end(trailers?: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.conn.sendData(this, undefined, true, trailers);
  }

  /** RST_STREAM: the stream is over now. */
  reset(code: number = H2Code.CANCEL): void {
    if (this.closed) return;
    this.conn.resetStream(this, code);
  }
}

export class H2Connection extends H2Endpoint<H2Stream> {
  private readonly opts: ConnectionOptions;
  private preface?: Buffer;
  private prefaceSeen = false;
  private lastStreamId = 0;
  /** Streams above this are refused (GOAWAY sent). */
  private goawayId = MAX_STREAM_ID;

  constructor(socket: Socket, opts: ConnectionOptions) {
    super(socket, opts);
    this.opts = opts;
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => this.teardown());
    const out = this.settingsFrames([[SETTINGS_MAX_CONCURRENT_STREAMS, opts.maxConcurrentStreams], [SETTINGS_ENABLE_PUSH, 0]]);
    this.writeRaw(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  get openStreams(): number { return this.streams.size; }

  /** @internal A header block on stream s (END_STREAM: our side ends with it). */
  headers(s: H2Stream, block: Buffer, endStream: boolean): void {
    this.sendHeaders(s.id, block, endStream);
    if (endStream) this.endedLocally(s);
  }

  /** Graceful close: GOAWAY (no new streams), the socket ends when the open streams have. */
  close(): void {
    if (this.destroyed || this.closing) return;
    this.closing = true;
    this.goawayId = this.lastStreamId;
    this.writeRaw(goaway(this.lastStreamId, H2Code.NO_ERROR));
    if (this.streams.size === 0) this.socket.end();
  }

  /** Closes now: open streams are told they closed. With err, GOAWAY carries its code first. */
  destroy(err?: H2Error): void {
    if (this.destroyed) return;
    if (err && !this.socket.destroyed) {
      try { this.socket.write(goaway(this.lastStreamId, err.code, err.message)); } catch { /* socket gone */ }
      this.socket.end();
      // the peer gets a moment to read the GOAWAY; destroy() after the end has flushed
      setTimeout(() => this.socket.destroy(), 100).unref();
    } else this.socket.destroy();
    this.teardown();
  }

  protected teardown(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closeAll(() => undefined, new Error('connection closed'));
    this.opts.onClose(this);
  }

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    if (!this.prefaceSeen) {
      const b = this.preface ? Buffer.concat([this.preface, chunk]) : chunk;
      const n = Math.min(b.length, PREFACE.length);
      if (b.compare(PREFACE, 0, n, 0, n) !== 0) { this.destroy(new H2Error(H2Code.PROTOCOL_ERROR, 'not an HTTP/2 connection preface')); return; }
      if (b.length < PREFACE.length) { this.preface = b; return; }
      this.prefaceSeen = true;
      this.preface = undefined;
      chunk = b.subarray(PREFACE.length);
    }
    const err = this.receive(chunk);
    if (err) this.destroy(err);
  }

  protected isIdle(id: number): boolean { return id > this.lastStreamId; }

  protected override heard(): void { this.opts.onHeard?.(); }

  protected remoteEnd(s: H2Stream): void {
    if (s.closed || s.remoteEnded) return;
    s.remoteEnded = true;
    s.unacked = 0;
    s.onend?.();
    if (s.localEnded && !s.closed && s.pendingBytes === 0 && !s.endPending) this.closeStream(s);
  }

  /** A complete response before the request ended: RST_STREAM NO_ERROR lets the client stop sending (§8.1). */
  protected endedBeforePeer(s: H2Stream): void {
    this.resetStream(s, H2Code.NO_ERROR);
  }

  protected onGoaway(): void {
    // the client will open no more streams; the open ones finish
    this.closing = true;
    if (this.streams.size === 0) this.socket.end();
  }

  protected onHeaderBlock(id: number, flags: number, list: Header[]): void {
    const existing = this.streams.get(id);
    if (existing) {
      // trailers from the client: they must end the stream
      if (existing.remoteEnded || !(flags & END_STREAM)) { this.streamError(id, H2Code.PROTOCOL_ERROR); return; }
      this.remoteEnd(existing);
      return;
    }
    if (id % 2 === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, `client opened even stream ${id}`);
    if (id <= this.lastStreamId) throw new H2Error(H2Code.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    this.lastStreamId = id;
    if (id > this.goawayId || this.closing) { this.writeRaw(rstStream(id, H2Code.REFUSED_STREAM)); return; }
    if (this.streams.size >= this.opts.maxConcurrentStreams) { this.writeRaw(rstStream(id, H2Code.REFUSED_STREAM)); return; }
    const headers = requestHeaders(list);
    if (!headers) { this.writeRaw(rstStream(id, H2Code.PROTOCOL_ERROR)); return; }
    const s = new H2Stream(this, id, headers);
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(id, s);
    this.opts.onHeard?.();
    this.opts.onStream(s);
    if (flags & END_STREAM) this.remoteEnd(s);
  }
}

/**
 * The request's header list as an object, or undefined when it is malformed (§8.3.1): pseudo-headers first, known
 * ones only, each once; :method, :scheme and :path present; no uppercase names; no connection-specific fields.
 */
function requestHeaders(list: Header[]): IncomingHeaders | undefined {
  const h: IncomingHeaders = {};
  let regular = false;
  for (const [k, v] of list) {
    if (k.charCodeAt(0) === 58 /* : */) {
      if (regular || h[k] !== undefined) return undefined;
      if (k !== ':method' && k !== ':scheme' && k !== ':path' && k !== ':authority') return undefined;
      h[k] = v;
      continue;
    }
    regular = true;
    if (k !== k.toLowerCase()) return undefined;
    if (k === 'connection' || k === 'keep-alive' || k === 'proxy-connection' || k === 'transfer-encoding' || k === 'upgrade') return undefined;
    if (k === 'te' && v !== 'trailers') return undefined;
    const prev = h[k];
    if (prev === undefined) h[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else h[k] = [prev, v];
  }
  if (h[':method'] === undefined || h[':scheme'] === undefined || !h[':path']) return undefined;
  return h;
}
