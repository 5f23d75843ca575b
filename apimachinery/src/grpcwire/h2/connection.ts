// The server side of one HTTP/2 connection (RFC 9113, cleartext with prior knowledge), written on the socket
// directly: just what a gRPC server needs. Why not node:http2: its writes go out in a deferred per-session step
// after the loop turn, so fanning one watch event out to many sessions sends the last one's bytes late; here a
// stream write is one socket write, at once, as an HTTP/1.1 response write is.
//
// Streams are client-initiated only (no push). Flow control both ways: DATA waits for the peer's windows; we
// grant our windows back as soon as a frame is handed to its stream (the gRPC layer bounds what it buffers).
// Priorities are ignored. Errors: a stream error resets that stream, a connection error sends GOAWAY and closes.
import type { Socket } from 'node:net';
import {
  ACK, CONTINUATION, DATA, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, END_HEADERS, END_STREAM, FRAME_HEADER_BYTES, GOAWAY,
  H2Code, H2Error, HEADERS, MAX_FRAME_LIMIT, MAX_WINDOW, PADDED, PING, PREFACE, PRIORITY, PRIORITY_FLAG, PUSH_PROMISE,
  RST_STREAM, SETTINGS, SETTINGS_ENABLE_PUSH, SETTINGS_HEADER_TABLE_SIZE, SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_MAX_FRAME_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE, WINDOW_UPDATE, FrameReader,
  frame, writeFrameHeader,
  goaway, putU32, rstStream, windowUpdate,
} from './frames';
import { Header, HpackDecoder, HpackEncoder, HpackError } from './hpack';

/** Request headers as node's http2 gives them: repeated names become arrays. */
export type IncomingHeaders = Record<string, string | string[]>;

export interface ConnectionOptions {
  maxConcurrentStreams: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** Our receive window for the whole connection. */
  connectionWindow: number;
  /** Largest frame we accept (SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize: number;
  /** Largest header block we take (HEADERS plus CONTINUATIONs). */
  maxHeaderBlockBytes: number;
  onStream(stream: H2Stream): void;
  /** A frame that shows the peer is there (a PING or a new stream). */
  onHeard?(): void;
  onClose(conn: H2Connection): void;
}

/** Socket bytes queued above this make writes report back-pressure. */
const SOCKET_HIGH_WATER = 1024 * 1024;
/** Below this a DATA frame is copied into one buffer with its header (one socket write); above, written as a view. */
const COPY_LIMIT = 64 * 1024;
const MAX_STREAM_ID = 2 ** 31 - 1;

const encoder = new HpackEncoder();
/** Encodes a header list for respond()/end(); throws on a value HTTP/2 cannot carry. */
export function encodeHeaders(headers: Header[]): Buffer {
  for (const [k, v] of headers) {
    // RFC 9113 §8.2.1: no NUL, CR or LF; no leading or trailing whitespace in values; lowercase names
    if (!/^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(k)) throw new H2Error(H2Code.INTERNAL_ERROR, `invalid header name ${JSON.stringify(k)}`);
    if (/[\0\r\n]/.test(v) || /^[ \t]|[ \t]$/.test(v)) throw new H2Error(H2Code.INTERNAL_ERROR, `invalid value for header ${k}`);
  }
  return encoder.encode(headers);
}

/** One request stream. Callbacks are set by the owner; writes return false when the caller should wait for ondrain. */
export class H2Stream {
  ondata?: (chunk: Buffer) => void;
  onend?: () => void;
  onclose?: () => void;
  ondrain?: () => void;
  /** The peer's window for this stream (may go negative after a SETTINGS change). */
  sendWindow: number;
  /** Bytes received since we last granted window back. */
  unacked = 0;
  remoteEnded = false;
  localEnded = false;
  closed = false;
  headersSent = false;
  /** DATA waiting for window, then (when ended) the trailers block or an empty END_STREAM. */
  pending: Buffer[] = [];
  pendingBytes = 0;
  endPending = false;
  trailersPending?: Buffer;
  needDrain = false;
  /** Extra owner state (the gRPC call). */
  owner?: unknown;

  constructor(readonly conn: H2Connection, readonly id: number, readonly headers: IncomingHeaders) {
    this.sendWindow = conn.peerInitialWindow;
  }

  /** Sends the response header block (HEADERS without END_STREAM). */
  respond(block: Buffer): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.conn.sendHeaders(this, block, false);
  }

  /** Headers, then DATA, in one socket write (the first message of a stream). */
  respondWithData(block: Buffer, data: Buffer): boolean {
    const sock = this.conn.socket;
    sock.cork();
    try { this.respond(block); return this.write(data); } finally { sock.uncork(); }
  }

  /** A whole response (headers, one DATA, trailers) in one socket write: a unary reply. */
  respondWhole(block: Buffer, data: Buffer, trailers: Buffer): void {
    const sock = this.conn.socket;
    sock.cork();
    try { this.respond(block); this.write(data); this.end(trailers); } finally { sock.uncork(); }
  }

  /** A response that is headers only (gRPC's trailers-only): HEADERS with END_STREAM. */
  respondAndEnd(block: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.headersSent = true;
    this.localEnded = true;
    this.conn.sendHeaders(this, block, true);
    this.conn.endedLocally(this);
  }

  /** DATA. False: queued behind flow control or a full socket; ondrain follows. */
  write(data: Buffer): boolean {
    if (this.closed || this.localEnded) return false;
    return this.conn.sendData(this, data);
  }

  /** Ends our side: after what is queued, the trailers block (HEADERS with END_STREAM) or an empty DATA with END_STREAM. */
  end(trailers?: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.localEnded = true;
    if (this.pendingBytes > 0) { this.endPending = true; this.trailersPending = trailers; return; }
    if (trailers) this.conn.sendHeaders(this, trailers, true);
    else this.conn.writeRaw(frame(DATA, END_STREAM, this.id));
    this.conn.endedLocally(this);
  }

  /** RST_STREAM: the stream is over now. */
  reset(code: number = H2Code.CANCEL): void {
    if (this.closed) return;
    this.conn.resetStream(this, code);
  }
}


export class H2Connection {
  private readonly streams = new Map<number, H2Stream>();
  private readonly decoder = new HpackDecoder();
  private readonly opts: ConnectionOptions;
  private readonly reader: FrameReader;
  private preface?: Buffer;
  private prefaceSeen = false;
  private settingsSeen = false;
  /** The stream whose header block is open (CONTINUATION expected), and what it has so far. */
  private headerBlock?: { id: number; flags: number; parts: Buffer[]; bytes: number };
  private lastStreamId = 0;
  /** Streams above this are refused (GOAWAY sent). */
  private goawayId = MAX_STREAM_ID;
  private closing = false;
  destroyed = false;
  // the peer's settings and our send windows
  peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerMaxStreams = Infinity;
  private sendWindow = DEFAULT_WINDOW;
  /** Streams with DATA waiting for window, in the order they blocked. */
  private readonly blocked = new Set<H2Stream>();
  // our receive side
  private connUnacked = 0;
  private connRecvWindow = DEFAULT_WINDOW;
  private pings = new Map<string, (err: Error | null) => void>();
  private pingSeq = 0;
  /** Streams told "false" because the socket was full. */
  private socketWaiters = new Set<H2Stream>();

  constructor(readonly socket: Socket, opts: ConnectionOptions) {
    this.opts = opts;
    this.reader = new FrameReader(opts.maxFrameSize);
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => this.teardown());
    // our SETTINGS, then the connection window raised to what we want
    const s = Buffer.allocUnsafe(6 * 4);
    let at = 0;
    const put = (id: number, v: number) => { s.writeUInt16BE(id, at); putU32(s, at + 2, v); at += 6; };
    put(SETTINGS_MAX_CONCURRENT_STREAMS, opts.maxConcurrentStreams);
    put(SETTINGS_INITIAL_WINDOW_SIZE, opts.streamWindow);
    put(SETTINGS_MAX_FRAME_SIZE, opts.maxFrameSize);
    put(SETTINGS_ENABLE_PUSH, 0);
    const out = [frame(SETTINGS, 0, 0, s)];
    if (opts.connectionWindow > DEFAULT_WINDOW) {
      out.push(windowUpdate(0, opts.connectionWindow - DEFAULT_WINDOW));
      this.connRecvWindow = opts.connectionWindow;
    }
    this.writeRaw(Buffer.concat(out));
  }

  get openStreams(): number { return this.streams.size; }

  // ---- sending ----

  /** @internal */
  writeRaw(b: Buffer): boolean {
    if (this.destroyed) return false;
    this.socket.write(b);
    return this.socket.writableLength < SOCKET_HIGH_WATER;
  }

  /** @internal HEADERS (+ CONTINUATION when the block is larger than the peer's frame size). */
  sendHeaders(s: H2Stream, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrame;
    if (block.length <= max) {
      const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + block.length);
      writeFrameHeader(b, 0, block.length, HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), s.id);
      block.copy(b, FRAME_HEADER_BYTES);
      this.writeRaw(b);
      return;
    }
    const parts: Buffer[] = [];
    for (let at = 0; at < block.length; at += max) {
      const chunk = block.subarray(at, Math.min(block.length, at + max));
      const last = at + max >= block.length;
      const type = at === 0 ? HEADERS : CONTINUATION;
      const flags = (last ? END_HEADERS : 0) | (at === 0 && endStream ? END_STREAM : 0);
      parts.push(frame(type, flags, s.id, chunk));
    }
    this.writeRaw(Buffer.concat(parts));
  }

  /** @internal */
  sendData(s: H2Stream, data: Buffer): boolean {
    if (s.pendingBytes > 0) { s.pending.push(data); s.pendingBytes += data.length; s.needDrain = true; return false; }
    const n = Math.max(0, Math.min(data.length, this.sendWindow, s.sendWindow));
    if (n > 0 || data.length === 0) this.emitData(s, n === data.length ? data : data.subarray(0, n), false);
    if (n < data.length) {
      s.pending.push(n === 0 ? data : data.subarray(n));
      s.pendingBytes += data.length - n;
      this.blocked.add(s);
      s.needDrain = true;
      return false;
    }
    if (this.socket.writableLength >= SOCKET_HIGH_WATER) { s.needDrain = true; this.socketWaiters.add(s); return false; }
    return true;
  }

  /** Writes `data` (already within the windows) as DATA frames of at most the peer's frame size. */
  private emitData(s: H2Stream, data: Buffer, endStream: boolean): void {
    const n = data.length;
    this.sendWindow -= n;
    s.sendWindow -= n;
    const max = this.peerMaxFrame;
    if (n <= max && n <= COPY_LIMIT) {
      const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n);
      writeFrameHeader(b, 0, n, DATA, endStream ? END_STREAM : 0, s.id);
      data.copy(b, FRAME_HEADER_BYTES);
      this.writeRaw(b);
      return;
    }
    const sock = this.socket;
    sock.cork();
    for (let at = 0; at < n; at += max) {
      const end = Math.min(n, at + max);
      const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      writeFrameHeader(h, 0, end - at, DATA, endStream && end === n ? END_STREAM : 0, s.id);
      sock.write(h);
      sock.write(data.subarray(at, end));
    }
    sock.uncork();
  }

  /** Sends what waits for window, stream by stream in the order they blocked, as far as the windows go. */
  private flushBlocked(): void {
    for (const s of this.blocked) {
      if (this.sendWindow <= 0) return;
      while (s.pending.length && this.sendWindow > 0 && s.sendWindow > 0) {
        const head = s.pending[0];
        const n = Math.min(head.length, this.sendWindow, s.sendWindow);
        this.emitData(s, n === head.length ? head : head.subarray(0, n), false);
        if (n === head.length) s.pending.shift(); else s.pending[0] = head.subarray(n);
        s.pendingBytes -= n;
      }
      if (s.pendingBytes > 0) continue;
      this.blocked.delete(s);
      if (s.endPending) {
        s.endPending = false;
        if (s.trailersPending) this.sendHeaders(s, s.trailersPending, true);
        else this.writeRaw(frame(DATA, END_STREAM, s.id));
        s.trailersPending = undefined;
        this.endedLocally(s);
      } else if (s.needDrain && this.socket.writableLength < SOCKET_HIGH_WATER) {
        s.needDrain = false;
        s.ondrain?.();
      } else if (s.needDrain) this.socketWaiters.add(s);
    }
  }

  private onSocketDrain(): void {
    if (!this.socketWaiters.size) return;
    const ws = [...this.socketWaiters];
    this.socketWaiters.clear();
    for (const s of ws) {
      if (s.closed || s.pendingBytes > 0) continue;
      s.needDrain = false;
      s.ondrain?.();
    }
  }

  /** @internal Our side has ended: the stream closes now if the peer's side has too; else we tell the peer to stop. */
  endedLocally(s: H2Stream): void {
    if (s.remoteEnded) { this.closeStream(s); return; }
    // a complete response before the request ended: RST_STREAM NO_ERROR lets the client stop sending (§8.1)
    this.writeRaw(rstStream(s.id, H2Code.NO_ERROR));
    this.closeStream(s);
  }

  /** @internal */
  resetStream(s: H2Stream, code: number): void {
    this.writeRaw(rstStream(s.id, code));
    this.closeStream(s);
  }

  private closeStream(s: H2Stream): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s.id);
    this.blocked.delete(s);
    this.socketWaiters.delete(s);
    s.pending = [];
    s.pendingBytes = 0;
    s.onclose?.();
    if (this.closing && this.streams.size === 0) this.socket.end();
  }

  /** Sends a PING; cb(null) on its ACK, cb(err) when the connection closes first. */
  ping(cb: (err: Error | null) => void): void {
    if (this.destroyed) { cb(new Error('connection closed')); return; }
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.pingSeq >>> 0, 4);
    this.pings.set(payload.toString('hex'), cb);
    this.writeRaw(frame(PING, 0, 0, payload));
  }

  /** Graceful close: GOAWAY (no new streams), the socket ends when the open streams have. */
  close(): void {
    if (this.destroyed || this.closing) return;
    this.closing = true;
    this.goawayId = this.lastStreamId;
    this.writeRaw(goaway(this.lastStreamId, H2Code.NO_ERROR));
    if (this.streams.size === 0) this.socket.end();
  }

  /** Closes now: open streams are told they closed. */
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

  private teardown(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) {
      s.closed = true;
      s.pending = [];
      s.pendingBytes = 0;
      s.onclose?.();
    }
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const cb of pings) cb(new Error('connection closed'));
    this.opts.onClose(this);
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      if (!this.prefaceSeen) {
        const b = this.preface ? Buffer.concat([this.preface, chunk]) : chunk;
        const n = Math.min(b.length, PREFACE.length);
        if (b.compare(PREFACE, 0, n, 0, n) !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'not an HTTP/2 connection preface');
        if (b.length < PREFACE.length) { this.preface = b; return; }
        this.prefaceSeen = true;
        this.preface = undefined;
        chunk = b.subarray(PREFACE.length);
      }
      this.reader.push(chunk, this.onFrame);
    } catch (e) {
      const err = e instanceof H2Error ? e : e instanceof HpackError ? new H2Error(H2Code.COMPRESSION_ERROR, e.message)
        : new H2Error(H2Code.INTERNAL_ERROR, (e as Error)?.message ?? String(e));
      this.destroy(err);
      return;
    }
    if (!this.destroyed) this.grantWindows();
  }

  private readonly onFrame = (type: number, flags: number, id: number, p: Buffer): boolean => {
    this.frame(type, flags, id, p);
    return !this.destroyed;
  };

  private frame(type: number, flags: number, id: number, p: Buffer): void {
    if (!this.settingsSeen && type !== SETTINGS) throw new H2Error(H2Code.PROTOCOL_ERROR, 'the first frame must be SETTINGS');
    if (this.headerBlock && type !== CONTINUATION) throw new H2Error(H2Code.PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    switch (type) {
      case DATA: return this.onDataFrame(flags, id, p);
      case HEADERS: return this.onHeadersFrame(flags, id, p);
      case CONTINUATION: return this.onContinuation(flags, id, p);
      case PRIORITY:
        if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (p.length !== 5) this.streamError(id, H2Code.FRAME_SIZE_ERROR);
        return;
      case RST_STREAM: return this.onRst(id, p);
      case SETTINGS: return this.onSettings(flags, id, p);
      case PUSH_PROMISE: throw new H2Error(H2Code.PROTOCOL_ERROR, 'a client may not push');
      case PING: return this.onPing(flags, id, p);
      case GOAWAY:
        if (id !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'GOAWAY on a stream');
        // the client will open no more streams; the open ones finish
        this.closing = true;
        if (this.streams.size === 0) this.socket.end();
        return;
      case WINDOW_UPDATE: return this.onWindowUpdate(id, p);
      default: return; // unknown frame types are ignored (§5.5)
    }
  }

  /** Strips padding (and the priority fields of HEADERS). */
  private unpad(flags: number, p: Buffer, priority: boolean): Buffer {
    let start = 0, end = p.length;
    if (flags & PADDED) {
      if (p.length < 1) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'padded frame without a pad length');
      const pad = p[0];
      start = 1;
      end -= pad;
    }
    if (priority && flags & PRIORITY_FLAG) start += 5;
    if (end < start) throw new H2Error(H2Code.PROTOCOL_ERROR, 'padding longer than the frame');
    return p.subarray(start, end);
  }

  private onDataFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'DATA on stream 0');
    // flow control counts the whole payload, padding included
    this.connUnacked += p.length;
    if (this.connUnacked > this.connRecvWindow) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'the peer sent more than the connection window');
    const s = this.streams.get(id);
    if (!s) {
      if (id > this.lastStreamId) throw new H2Error(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      // a stream we have closed (and reset, or ended): what was in flight is dropped (§5.4.2)
      return;
    }
    if (s.remoteEnded) { this.streamError(id, H2Code.STREAM_CLOSED); return; }
    s.unacked += p.length;
    if (s.unacked > this.opts.streamWindow) { this.streamError(id, H2Code.FLOW_CONTROL_ERROR); return; }
    const data = this.unpad(flags, p, false);
    if (data.length) s.ondata?.(data);
    if (flags & END_STREAM) this.remoteEnd(s);
  }

  private remoteEnd(s: H2Stream): void {
    if (s.closed || s.remoteEnded) return;
    s.remoteEnded = true;
    s.unacked = 0;
    s.onend?.();
    if (s.localEnded && !s.closed && s.pendingBytes === 0 && !s.endPending) this.closeStream(s);
  }

  private onHeadersFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const block = this.unpad(flags, p, true);
    if (flags & END_HEADERS) { this.onHeaderBlock(id, flags, block); return; }
    this.headerBlock = { id, flags, parts: [Buffer.from(block)], bytes: block.length };
  }

  private onContinuation(flags: number, id: number, p: Buffer): void {
    const hb = this.headerBlock;
    if (!hb || hb.id !== id) throw new H2Error(H2Code.PROTOCOL_ERROR, 'CONTINUATION without an open header block');
    hb.bytes += p.length;
    if (hb.bytes > this.opts.maxHeaderBlockBytes) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, `header block larger than ${this.opts.maxHeaderBlockBytes} bytes`);
    hb.parts.push(Buffer.from(p));
    if (!(flags & END_HEADERS)) return;
    this.headerBlock = undefined;
    this.onHeaderBlock(id, hb.flags, Buffer.concat(hb.parts));
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    if (block.length > this.opts.maxHeaderBlockBytes) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, `header block larger than ${this.opts.maxHeaderBlockBytes} bytes`);
    // decoded even for a stream we refuse: the decoder's table must follow every block
    const list = this.decoder.decode(block);
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
    this.streams.set(id, s);
    this.opts.onHeard?.();
    this.opts.onStream(s);
    if (flags & END_STREAM) this.remoteEnd(s);
  }

  private onRst(id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (p.length !== 4) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    if (id > this.lastStreamId) throw new H2Error(H2Code.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
    const s = this.streams.get(id);
    if (s) this.closeStream(s);
  }

  private onSettings(flags: number, id: number, p: Buffer): void {
    if (id !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) {
      if (p.length) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (p.length % 6) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'SETTINGS payload not a multiple of 6');
    this.settingsSeen = true;
    for (let at = 0; at < p.length; at += 6) {
      const k = p.readUInt16BE(at), v = p.readUInt32BE(at + 2);
      switch (k) {
        case SETTINGS_HEADER_TABLE_SIZE: break; // our encoder never indexes
        case SETTINGS_ENABLE_PUSH: if (v > 1) throw new H2Error(H2Code.PROTOCOL_ERROR, 'ENABLE_PUSH must be 0 or 1'); break;
        case SETTINGS_MAX_CONCURRENT_STREAMS: this.peerMaxStreams = v; break;
        case SETTINGS_INITIAL_WINDOW_SIZE: {
          if (v > MAX_WINDOW) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE above 2^31-1');
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'a stream window passed 2^31-1');
          }
          break;
        }
        case SETTINGS_MAX_FRAME_SIZE:
          if (v < DEFAULT_MAX_FRAME || v > MAX_FRAME_LIMIT) throw new H2Error(H2Code.PROTOCOL_ERROR, `MAX_FRAME_SIZE ${v} out of range`);
          this.peerMaxFrame = v;
          break;
        case SETTINGS_MAX_HEADER_LIST_SIZE: break;
        default: break; // unknown settings are ignored (§6.5.2)
      }
    }
    this.writeRaw(frame(SETTINGS, ACK, 0));
    if (this.blocked.size) this.flushBlocked();
  }

  private onPing(flags: number, id: number, p: Buffer): void {
    if (id !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'PING on a stream');
    if (p.length !== 8) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'PING payload not 8 bytes');
    if (flags & ACK) {
      const key = p.toString('hex');
      const cb = this.pings.get(key);
      if (cb) { this.pings.delete(key); cb(null); }
      return;
    }
    this.opts.onHeard?.();
    this.writeRaw(frame(PING, ACK, 0, p));
  }

  private onWindowUpdate(id: number, p: Buffer): void {
    if (p.length !== 4) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const inc = p.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'the connection window passed 2^31-1');
    } else {
      const s = this.streams.get(id);
      if (!s) {
        if (id > this.lastStreamId) throw new H2Error(H2Code.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
        return; // a closed stream: fine (§6.9)
      }
      if (inc === 0) { this.streamError(id, H2Code.PROTOCOL_ERROR); return; }
      s.sendWindow += inc;
      if (s.sendWindow > MAX_WINDOW) { this.streamError(id, H2Code.FLOW_CONTROL_ERROR); return; }
    }
    if (this.blocked.size) this.flushBlocked();
  }

  private streamError(id: number, code: number): void {
    const s = this.streams.get(id);
    if (s) this.resetStream(s, code); else this.writeRaw(rstStream(id, code));
  }

  /** Window back to the peer for what it sent: at once when half a window is used (cheap: one frame). */
  private grantWindows(): void {
    const out: Buffer[] = [];
    if (this.connUnacked >= this.connRecvWindow / 2) { out.push(windowUpdate(0, this.connUnacked)); this.connUnacked = 0; }
    if (this.streams.size) {
      for (const s of this.streams.values()) {
        if (s.unacked >= this.opts.streamWindow / 2 && !s.remoteEnded) { out.push(windowUpdate(s.id, s.unacked)); s.unacked = 0; }
      }
    }
    if (out.length) this.writeRaw(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  /** The peer's concurrent-stream limit (we open none; kept for completeness of the settings). */
  get peerMaxConcurrentStreams(): number { return this.peerMaxStreams; }
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
