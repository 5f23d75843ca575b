// The client side of one HTTP/2 connection (RFC 9113, cleartext with prior knowledge) on a TCP socket: what a
// gRPC channel needs, without node:http2's native session (its memory and its deferred per-session send step).
//
// Streams get odd increasing ids when they are opened; beyond the server's MAX_CONCURRENT_STREAMS they wait in a
// queue (no id yet, so ids stay in the order streams go out). Flow control both ways: DATA waits for the server's
// windows; our windows are granted back once half is used, as soon as the frames were handed to their streams
// (the gRPC layer consumes them at once). GOAWAY: streams above its last id, and queued ones, were not processed
// and are closed as `refused` (the owner may retry them elsewhere). No push (ENABLE_PUSH 0), priorities ignored.
import net from 'node:net';
import {
  ACK, CONTINUATION, DATA, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, END_HEADERS, END_STREAM, FRAME_HEADER_BYTES, GOAWAY,
  H2Code, H2Error, HEADERS, MAX_FRAME_LIMIT, MAX_WINDOW, PADDED, PING, PREFACE, PRIORITY, PRIORITY_FLAG, PUSH_PROMISE,
  RST_STREAM, SETTINGS, SETTINGS_ENABLE_PUSH, SETTINGS_HEADER_TABLE_SIZE, SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_MAX_FRAME_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE, WINDOW_UPDATE, FrameReader,
  frame, writeFrameHeader,
  goaway, putU32, rstStream, windowUpdate,
} from './frames';
import { Header, HpackDecoder, HpackEncoder, HpackError } from './hpack';

/** Response headers or trailers as node's http2 gives them: repeated names become arrays. */
export type ResponseHeaders = Record<string, string | string[]>;

export interface ClientConnectionOptions {
  host: string;
  port: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE). Default 4 MiB. */
  streamWindow?: number;
  /** Our receive window for the whole connection (raised by WINDOW_UPDATE). Default 64 MiB. */
  connectionWindow?: number;
  /** Largest frame we accept (SETTINGS_MAX_FRAME_SIZE). Default 1 MiB. */
  maxFrameSize?: number;
  /** Largest response header block (HEADERS plus CONTINUATIONs). Default 1 MiB. */
  maxHeaderBlockBytes?: number;
  /** The TCP connection is up (streams may be opened before: their frames wait in the socket). */
  onConnect?(): void;
  /** The server sent GOAWAY: no new streams here; open ones at or below lastStreamId go on. */
  onGoaway?(code: number, lastStreamId: number): void;
  /** The connection is gone; err says why (undefined: closed cleanly). */
  onClose?(err: Error | undefined): void;
}

/** Socket bytes queued above this make writes report back-pressure. */
const SOCKET_HIGH_WATER = 1024 * 1024;
/** Below this a DATA frame is copied into one buffer with its header (one socket write); above, written as a view. */
const COPY_LIMIT = 64 * 1024;
const MAX_STREAM_ID = 2 ** 31 - 1;
const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;
// what node's http2 refuses in a header value (controls other than tab, DEL, anything above U+00FF)
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const encoder = new HpackEncoder();

/** One request stream. The owner sets the callbacks; write() false means wait for ondrain. */
export class H2ClientStream {
  /** 0 while queued behind the server's concurrent-stream limit. */
  id = 0;
  onheaders?: (headers: ResponseHeaders, endStream: boolean) => void;
  ondata?: (chunk: Buffer) => void;
  onclose?: () => void;
  ondrain?: () => void;
  /** The code of the server's RST_STREAM, if it sent one. */
  rstCode?: number;
  /** The server did not process the stream (never sent, above GOAWAY's last id, or REFUSED_STREAM): safe to retry. */
  refused = false;
  /** Why the connection went away under the stream. */
  connectionError?: Error;
  closed = false;
  localEnded = false;
  remoteEnded = false;
  /** The response HEADERS came (later blocks are trailers). */
  responded = false;
  /** @internal */ sendWindow = 0;
  /** @internal bytes received since we last granted window back */ unacked = 0;
  /** @internal DATA waiting for the stream to open or for window */ pending: Buffer[] = [];
  /** @internal */ pendingBytes = 0;
  /** @internal END_STREAM goes out after what is pending */ endPending = false;
  /** @internal */ needDrain = false;
  /** @internal the encoded request header block, until the stream is opened */ block?: Buffer;
  /** Extra owner state (the gRPC call). */
  owner?: unknown;

  constructor(readonly conn: H2ClientConnection) {}

  /** DATA. False: queued (stream not open yet, flow control or a full socket); ondrain follows. */
  write(data: Buffer): boolean {
    if (this.closed || this.localEnded) return false;
    return this.conn.sendData(this, data, false);
  }

  /** Half-close: after `data` (if any) and what is queued, END_STREAM. */
  end(data?: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.conn.sendData(this, data, true);
  }

  /** RST_STREAM (or, while queued, just dropped): the stream is over now. */
  reset(code: number = H2Code.CANCEL): void {
    if (this.closed) return;
    this.conn.resetStream(this, code);
  }
}


export class H2ClientConnection {
  readonly socket: net.Socket;
  private readonly streams = new Map<number, H2ClientStream>();
  /** Streams waiting for a free slot under the server's MAX_CONCURRENT_STREAMS. */
  private waiting: H2ClientStream[] = [];
  private readonly decoder = new HpackDecoder();
  private readonly reader: FrameReader;
  private readonly streamWindow: number;
  private readonly maxHeaderBlockBytes: number;
  private headerBlock?: { id: number; flags: number; parts: Buffer[]; bytes: number };
  private nextId = 1;
  private settingsSeen = false;
  /** GOAWAY received or close() called: no new streams. */
  closing = false;
  destroyed = false;
  connected = false;
  private error?: Error;
  // the server's settings and our send windows
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerMaxStreams = Infinity;
  private sendWindow = DEFAULT_WINDOW;
  private readonly blocked = new Set<H2ClientStream>();
  private readonly socketWaiters = new Set<H2ClientStream>();
  // our receive side
  private connUnacked = 0;
  private connRecvWindow = DEFAULT_WINDOW;
  private readonly pings = new Map<string, (err: Error | null) => void>();
  private pingSeq = 0;

  constructor(private readonly opts: ClientConnectionOptions) {
    this.streamWindow = opts.streamWindow ?? 4 * 1024 * 1024;
    const maxFrame = opts.maxFrameSize ?? 1024 * 1024;
    this.maxHeaderBlockBytes = opts.maxHeaderBlockBytes ?? 1024 * 1024;
    this.reader = new FrameReader(maxFrame);
    // Nagle off, as grpc-go and grpc-js do: a small message must not wait for the ACK of the one before
    const socket = this.socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    socket.on('connect', () => { this.connected = true; if (!this.destroyed) this.opts.onConnect?.(); });
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', (err: Error) => { this.error ??= err; });
    socket.on('close', () => this.teardown(this.error));
    // preface, our SETTINGS, then the connection window raised to what we want: one write
    const s = Buffer.allocUnsafe(4 * 6);
    let at = 0;
    const put = (id: number, v: number) => { s.writeUInt16BE(id, at); putU32(s, at + 2, v); at += 6; };
    put(SETTINGS_ENABLE_PUSH, 0);
    put(SETTINGS_INITIAL_WINDOW_SIZE, this.streamWindow);
    put(SETTINGS_MAX_FRAME_SIZE, maxFrame);
    put(SETTINGS_MAX_HEADER_LIST_SIZE, this.maxHeaderBlockBytes);
    const out = [PREFACE, frame(SETTINGS, 0, 0, s)];
    const connWindow = opts.connectionWindow ?? 64 * 1024 * 1024;
    if (connWindow > DEFAULT_WINDOW) {
      out.push(windowUpdate(0, connWindow - DEFAULT_WINDOW));
      this.connRecvWindow = connWindow;
    }
    socket.write(Buffer.concat(out));
  }

  /** Streams open or queued. */
  get activeStreams(): number { return this.streams.size + this.waiting.length; }

  /**
   * Opens a stream with this request header list (HEADERS now, or when a slot under the server's limit frees).
   * Throws H2Error INTERNAL_ERROR for a header HTTP/2 cannot carry, REFUSED_STREAM when the connection takes no
   * new streams.
   */
  request(headers: Header[]): H2ClientStream {
    for (const [k, v] of headers) {
      if (!HEADER_NAME.test(k)) throw new H2Error(H2Code.INTERNAL_ERROR, `invalid header name ${JSON.stringify(k)}`);
      if (BAD_VALUE.test(v)) throw new H2Error(H2Code.INTERNAL_ERROR, `invalid value for header ${k}`);
    }
    if (this.destroyed || this.closing) throw new H2Error(H2Code.REFUSED_STREAM, 'the connection takes no new streams');
    if (this.nextId > MAX_STREAM_ID) {
      this.closing = true;
      throw new H2Error(H2Code.REFUSED_STREAM, 'stream ids used up on this connection');
    }
    let block: Buffer;
    try { block = encoder.encode(headers); } catch (e) {
      throw new H2Error(H2Code.INTERNAL_ERROR, (e as Error).message);
    }
    const s = new H2ClientStream(this);
    s.block = block;
    if (this.streams.size < this.peerMaxStreams && !this.waiting.length) this.open(s);
    else this.waiting.push(s);
    return s;
  }

  /** Batches the writes made until uncork() into one socket write. */
  cork(): void { this.socket.cork(); }
  uncork(): void { this.socket.uncork(); }

  /** Sends a PING; cb(null) on its ACK, cb(err) when the connection closes first. */
  ping(cb: (err: Error | null) => void): void {
    if (this.destroyed) { cb(new Error('connection closed')); return; }
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.pingSeq >>> 0, 4);
    this.pings.set(payload.toString('hex'), cb);
    this.writeRaw(frame(PING, 0, 0, payload));
  }

  /** Graceful close: no new streams, queued ones are refused, the socket ends when the open streams have. */
  close(): void {
    if (this.destroyed || this.closing) return;
    this.closing = true;
    this.refuseWaiting();
    this.writeRaw(goaway(0, H2Code.NO_ERROR));
    if (this.streams.size === 0) this.socket.end();
  }

  /** Closes now; open streams are told, with err as the reason. A code sends GOAWAY with it first. */
  destroy(err?: Error, code?: number): void {
    if (this.destroyed) return;
    this.error ??= err;
    if (code !== undefined && !this.socket.destroyed) {
      try { this.socket.write(goaway(0, code, err?.message)); } catch { /* socket gone */ }
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 100).unref();
    } else this.socket.destroy();
    this.teardown(this.error);
  }

  // ---- sending ----

  private writeRaw(b: Buffer): void {
    if (!this.destroyed) this.socket.write(b);
  }

  private open(s: H2ClientStream): void {
    s.id = this.nextId;
    this.nextId += 2;
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(s.id, s);
    const block = s.block!;
    s.block = undefined;
    // a request with no body: END_STREAM on the HEADERS
    const endNow = s.endPending && s.pendingBytes === 0;
    if (endNow) s.endPending = false;
    this.sendHeaders(s.id, block, endNow);
    if (s.pending.length || s.endPending) this.flush(s);
  }

  /** HEADERS, plus CONTINUATIONs when the block is larger than the server's frame size. */
  private sendHeaders(id: number, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrame;
    if (block.length <= max) {
      const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + block.length);
      writeFrameHeader(b, 0, block.length, HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), id);
      block.copy(b, FRAME_HEADER_BYTES);
      this.writeRaw(b);
      return;
    }
    const parts: Buffer[] = [];
    for (let at = 0; at < block.length; at += max) {
      const chunk = block.subarray(at, Math.min(block.length, at + max));
      const last = at + max >= block.length;
      const flags = (last ? END_HEADERS : 0) | (at === 0 && endStream ? END_STREAM : 0);
      parts.push(frame(at === 0 ? HEADERS : CONTINUATION, flags, id, chunk));
    }
    this.writeRaw(Buffer.concat(parts));
  }

  /** @internal Queues `data` (and END_STREAM when `end`), then sends what the windows allow. */
  sendData(s: H2ClientStream, data: Buffer | undefined, end: boolean): boolean {
    if (data) { s.pending.push(data); s.pendingBytes += data.length; }
    if (end) { s.localEnded = true; s.endPending = true; }
    if (s.id === 0) { s.needDrain = true; return false; }
    this.flush(s);
    if (s.closed) return false;
    if (s.pendingBytes > 0) { s.needDrain = true; return false; }
    if (this.socket.writableLength >= SOCKET_HIGH_WATER) { s.needDrain = true; this.socketWaiters.add(s); return false; }
    return true;
  }

  /** Sends a stream's pending DATA as far as the windows go; END_STREAM rides on the last frame. */
  private flush(s: H2ClientStream): void {
    while (s.pending.length) {
      const head = s.pending[0];
      const n = Math.max(0, Math.min(head.length, this.sendWindow, s.sendWindow));
      if (n === 0 && head.length > 0) break;
      const whole = n === head.length;
      const last = whole && s.pending.length === 1 && s.endPending;
      this.emitData(s, whole ? head : head.subarray(0, n), last);
      if (whole) s.pending.shift(); else s.pending[0] = head.subarray(n);
      s.pendingBytes -= n;
      if (last) { s.endPending = false; this.endedLocally(s); return; }
    }
    if (s.pending.length) { this.blocked.add(s); return; }
    this.blocked.delete(s);
    if (s.endPending) {
      s.endPending = false;
      this.writeRaw(frame(DATA, END_STREAM, s.id));
      this.endedLocally(s);
    }
  }

  /** Writes `data` (already within the windows) as DATA frames of at most the server's frame size. */
  private emitData(s: H2ClientStream, data: Buffer, endStream: boolean): void {
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

  /** Sends what waits for window, stream by stream in the order they blocked. */
  private flushBlocked(): void {
    for (const s of this.blocked) {
      if (this.sendWindow <= 0) return;
      this.flush(s);
      if (!s.closed && s.pendingBytes === 0 && s.needDrain) {
        if (this.socket.writableLength < SOCKET_HIGH_WATER) { s.needDrain = false; s.ondrain?.(); } else this.socketWaiters.add(s);
      }
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

  /** Our END_STREAM is out: the stream closes if the server's side has ended too. */
  private endedLocally(s: H2ClientStream): void {
    if (s.remoteEnded) this.closeStream(s);
  }

  /** @internal */
  resetStream(s: H2ClientStream, code: number): void {
    if (s.id === 0) {
      this.waiting = this.waiting.filter(w => w !== s);
      this.closeStream(s);
      return;
    }
    this.writeRaw(rstStream(s.id, code));
    this.closeStream(s);
  }

  private closeStream(s: H2ClientStream): void {
    if (s.closed) return;
    s.closed = true;
    if (s.id) this.streams.delete(s.id);
    this.blocked.delete(s);
    this.socketWaiters.delete(s);
    s.pending = [];
    s.pendingBytes = 0;
    s.onclose?.();
    this.openWaiting();
    if (this.closing && this.streams.size === 0 && !this.destroyed) this.socket.end();
  }

  /** Opens queued streams while the server's limit allows. */
  private openWaiting(): void {
    while (this.waiting.length && this.streams.size < this.peerMaxStreams && !this.closing && !this.destroyed) {
      if (this.nextId > MAX_STREAM_ID) { this.closing = true; this.refuseWaiting(); return; }
      this.open(this.waiting.shift()!);
    }
  }

  private refuseWaiting(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const s of w) { s.refused = true; this.closeStream(s); }
  }

  private teardown(err: Error | undefined): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const reason = err ?? new Error('session closed');
    const streams = [...this.waiting, ...this.streams.values()];
    for (const s of this.waiting) s.refused = true;
    this.waiting = [];
    this.streams.clear();
    for (const s of streams) {
      s.closed = true;
      s.connectionError = reason;
      s.pending = [];
      s.pendingBytes = 0;
      s.onclose?.();
    }
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const cb of pings) cb(reason);
    this.opts.onClose?.(err);
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      this.reader.push(chunk, this.onFrame);
    } catch (e) {
      const err = e instanceof H2Error ? e : e instanceof HpackError ? new H2Error(H2Code.COMPRESSION_ERROR, e.message)
        : new H2Error(H2Code.INTERNAL_ERROR, (e as Error)?.message ?? String(e));
      this.destroy(new Error(`HTTP/2 protocol error from the server: ${err.message}`), err.code);
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
        return;
      case RST_STREAM: return this.onRst(id, p);
      case SETTINGS: return this.onSettings(flags, id, p);
      case PUSH_PROMISE: throw new H2Error(H2Code.PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      case PING: return this.onPing(flags, id, p);
      case GOAWAY: return this.onGoaway(id, p);
      case WINDOW_UPDATE: return this.onWindowUpdate(id, p);
      default: return; // unknown frame types are ignored (§5.5)
    }
  }

  /** Strips padding (and the priority fields of HEADERS). */
  private unpad(flags: number, p: Buffer, priority: boolean): Buffer {
    let start = 0, end = p.length;
    if (flags & PADDED) {
      if (p.length < 1) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'padded frame without a pad length');
      start = 1;
      end -= p[0];
    }
    if (priority && flags & PRIORITY_FLAG) start += 5;
    if (end < start) throw new H2Error(H2Code.PROTOCOL_ERROR, 'padding longer than the frame');
    return p.subarray(start, end);
  }

  /** A stream id we never opened (an idle one, or a server-initiated even one). */
  private idle(id: number): boolean { return id % 2 === 0 || id >= this.nextId; }

  private onDataFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'DATA on stream 0');
    // flow control counts the whole payload, padding included
    this.connUnacked += p.length;
    if (this.connUnacked > this.connRecvWindow) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'the server sent more than the connection window');
    const s = this.streams.get(id);
    if (!s) {
      if (this.idle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      return; // a stream we closed: what was in flight is dropped (§5.4.2)
    }
    s.unacked += p.length;
    if (s.unacked > this.streamWindow) { this.resetStream(s, H2Code.FLOW_CONTROL_ERROR); return; }
    if (!s.responded) { this.resetStream(s, H2Code.PROTOCOL_ERROR); return; }
    const data = this.unpad(flags, p, false);
    if (data.length) s.ondata?.(data);
    if (flags & END_STREAM) this.remoteEnd(s);
  }

  private remoteEnd(s: H2ClientStream): void {
    if (s.closed || s.remoteEnded) return;
    s.remoteEnded = true;
    s.unacked = 0;
    if (s.localEnded && !s.endPending) { this.closeStream(s); return; }
    // the response is complete while the request is not: tell the server we stop sending (§8.1)
    this.resetStream(s, H2Code.NO_ERROR);
  }

  private onHeadersFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const block = this.unpad(flags, p, true);
    if (flags & END_HEADERS) { this.onHeaderBlock(id, flags, block); return; }
    if (block.length > this.maxHeaderBlockBytes) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, `header block larger than ${this.maxHeaderBlockBytes} bytes`);
    this.headerBlock = { id, flags, parts: [Buffer.from(block)], bytes: block.length };
  }

  private onContinuation(flags: number, id: number, p: Buffer): void {
    const hb = this.headerBlock;
    if (!hb || hb.id !== id) throw new H2Error(H2Code.PROTOCOL_ERROR, 'CONTINUATION without an open header block');
    hb.bytes += p.length;
    if (hb.bytes > this.maxHeaderBlockBytes) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, `header block larger than ${this.maxHeaderBlockBytes} bytes`);
    hb.parts.push(Buffer.from(p));
    if (!(flags & END_HEADERS)) return;
    this.headerBlock = undefined;
    this.onHeaderBlock(id, hb.flags, Buffer.concat(hb.parts, hb.bytes));
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    if (block.length > this.maxHeaderBlockBytes) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, `header block larger than ${this.maxHeaderBlockBytes} bytes`);
    // decoded even for a stream that is gone: the decoder's table must follow every block
    const list = this.decoder.decode(block);
    const s = this.streams.get(id);
    if (!s) {
      if (this.idle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      return;
    }
    const end = (flags & END_STREAM) !== 0;
    const h = toObject(list);
    if (!s.responded) {
      const status = h[':status'];
      // informational (1xx) headers come before the real response
      if (typeof status === 'string' && status.length === 3 && status[0] === '1' && !end) return;
      s.responded = true;
    } else if (!end) { this.resetStream(s, H2Code.PROTOCOL_ERROR); return; } // trailers must end the stream
    s.onheaders?.(h, end);
    if (end) this.remoteEnd(s);
  }

  private onRst(id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (p.length !== 4) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    const s = this.streams.get(id);
    if (!s) {
      if (this.idle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
      return;
    }
    s.rstCode = p.readUInt32BE(0);
    if (s.rstCode === H2Code.REFUSED_STREAM) s.refused = true;
    this.closeStream(s);
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
        default: break; // MAX_HEADER_LIST_SIZE (advisory) and unknown settings (§6.5.2)
      }
    }
    this.writeRaw(frame(SETTINGS, ACK, 0));
    if (this.blocked.size) this.flushBlocked();
    this.openWaiting();
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
    this.writeRaw(frame(PING, ACK, 0, p));
  }

  private onGoaway(id: number, p: Buffer): void {
    if (id !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (p.length < 8) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'GOAWAY shorter than 8 bytes');
    const lastId = p.readUInt32BE(0) & 0x7fffffff, code = p.readUInt32BE(4);
    this.closing = true;
    this.refuseWaiting();
    // streams above the last id were not processed: closed as refused, the owner may send them elsewhere
    for (const s of [...this.streams.values()]) if (s.id > lastId) { s.refused = true; this.closeStream(s); }
    this.opts.onGoaway?.(code, lastId);
    if (this.destroyed) return;
    if (code !== H2Code.NO_ERROR) {
      const debug = p.length > 8 ? `: ${p.subarray(8).toString('utf8').slice(0, 200)}` : '';
      this.destroy(new Error(`the server closed the connection with GOAWAY code ${code}${debug}`));
      return;
    }
    if (this.streams.size === 0) this.socket.end();
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
        if (this.idle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
        return; // a closed stream: fine (§6.9)
      }
      if (inc === 0) { this.resetStream(s, H2Code.PROTOCOL_ERROR); return; }
      s.sendWindow += inc;
      if (s.sendWindow > MAX_WINDOW) { this.resetStream(s, H2Code.FLOW_CONTROL_ERROR); return; }
    }
    if (this.blocked.size) this.flushBlocked();
  }

  /** Window back to the server for what it sent, once half a window is used (one frame each). */
  private grantWindows(): void {
    const out: Buffer[] = [];
    if (this.connUnacked >= this.connRecvWindow / 2) { out.push(windowUpdate(0, this.connUnacked)); this.connUnacked = 0; }
    for (const s of this.streams.values()) {
      if (s.unacked >= this.streamWindow / 2 && !s.remoteEnded) { out.push(windowUpdate(s.id, s.unacked)); s.unacked = 0; }
    }
    if (out.length) this.writeRaw(out.length === 1 ? out[0] : Buffer.concat(out));
  }
}

/** A header list as an object; repeated names become arrays. */
function toObject(list: Header[]): ResponseHeaders {
  const h: ResponseHeaders = {};
  for (const [k, v] of list) {
    const prev = h[k];
    if (prev === undefined) h[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else h[k] = [prev, v];
  }
  return h;
}
