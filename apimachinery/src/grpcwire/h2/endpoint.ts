// What both ends of one of our HTTP/2 connections (RFC 9113) share: frame reading and dispatch, SETTINGS, PING,
// WINDOW_UPDATE, header blocks over CONTINUATION, DATA under the peer's windows with END_STREAM or trailers
// after what waits, our windows granted back once half is used, and stream bookkeeping. The server side
// (connection.ts) accepts streams; the client side (client.ts) opens them.
import type { Socket } from 'node:net';
import {
  ACK, CONTINUATION, DATA, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, END_HEADERS, END_STREAM, FRAME_HEADER_BYTES, GOAWAY,
  H2Code, H2Error, HEADERS, MAX_FRAME_LIMIT, MAX_WINDOW, PADDED, PING, PRIORITY, PRIORITY_FLAG, PUSH_PROMISE,
  RST_STREAM, SETTINGS, SETTINGS_ENABLE_PUSH, SETTINGS_HEADER_TABLE_SIZE, SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_MAX_FRAME_SIZE, WINDOW_UPDATE, FrameReader, frame, putU32, rstStream,
  windowUpdate, writeFrameHeader,
} from './frames';
import { Header, HpackDecoder, HpackError } from './hpack';

/** Headers as node's http2 gives them: repeated names become arrays. */
export type HeaderObject = Record<string, string | string[]>;

/** Socket bytes queued above this make writes report back-pressure. */
const SOCKET_HIGH_WATER = 1024 * 1024;
/** Below this a DATA frame is copied into one buffer with its header (one socket write); above, written as a view. */
const COPY_LIMIT = 64 * 1024;

/** A stream's state that both sides keep. The owner sets the callbacks; a write that returns false waits for ondrain. */
export class H2StreamBase {
  id: number;
  ondata?: (chunk: Buffer) => void;
  onclose?: () => void;
  ondrain?: () => void;
  closed = false;
  localEnded = false;
  remoteEnded = false;
  /** Extra owner state (the gRPC call). */
  owner?: unknown;
  /** @internal the peer's window for this stream (may go negative after a SETTINGS change) */ sendWindow = 0;
  /** @internal bytes received since we last granted window back */ unacked = 0;
  /** @internal DATA waiting (for window, or for the stream to open) */ pending: Buffer[] = [];
  /** @internal */ pendingBytes = 0;
  /** @internal our end (END_STREAM, or the trailers) goes out after what is pending */ endPending = false;
  /** @internal */ trailersPending?: Buffer;
  /** @internal */ needDrain = false;
  constructor(id: number) { this.id = id; }
}

export interface EndpointLimits {
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** Our receive window for the whole connection. */
  connectionWindow: number;
  /** Largest frame we accept (SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize: number;
  /** Largest header block we take (HEADERS plus CONTINUATIONs). */
  maxHeaderBlockBytes: number;
}

export abstract class H2Endpoint<S extends H2StreamBase> {
  protected readonly streams = new Map<number, S>();
  private readonly decoder = new HpackDecoder();
  private readonly reader: FrameReader;
  /** The stream whose header block is open (CONTINUATION expected), and what it has so far. */
  private headerBlock?: { id: number; flags: number; parts: Buffer[]; bytes: number };
  private settingsSeen = false;
  /** No new streams (GOAWAY sent or received); the socket ends when the open ones have. */
  closing = false;
  destroyed = false;
  // the peer's settings and our send windows
  protected peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  protected peerMaxStreams = Infinity;
  private sendWindow = DEFAULT_WINDOW;
  /** Streams with DATA waiting for window, in the order they blocked. */
  private readonly blocked = new Set<S>();
  /** Streams told "false" because the socket was full. */
  private readonly socketWaiters = new Set<S>();
  // our receive side
  private connUnacked = 0;
  private connRecvWindow = DEFAULT_WINDOW;
  private readonly pings = new Map<string, (err: Error | null) => void>();
  private pingSeq = 0;

  constructor(readonly socket: Socket, protected readonly limits: EndpointLimits) {
    this.reader = new FrameReader(limits.maxFrameSize);
    socket.on('drain', () => this.onSocketDrain());
  }

  // ---- hooks for the two sides ----
  /** A whole header block for stream id (decoded). */
  protected abstract onHeaderBlock(id: number, flags: number, headers: Header[]): void;
  /** A stream id that was never opened (an error to receive frames on). */
  protected abstract isIdle(id: number): boolean;
  /** DATA that may be handed to the stream (false: the stream was reset instead). */
  protected acceptsData(_s: S): boolean { return true; }
  /** The peer has ended its side. */
  protected abstract remoteEnd(s: S): void;
  /** Our END_STREAM is out while the peer's side is still open. */
  protected abstract endedBeforePeer(s: S): void;
  /** The peer reset the stream. */
  protected peerReset(s: S, _code: number): void { this.closeStream(s); }
  protected abstract onGoaway(lastId: number, code: number, debug: Buffer): void;
  /** Called after a stream closed (the client opens queued ones). */
  protected streamClosed(): void { /* nothing */ }
  /** A PING or another sign of a live peer. */
  protected heard(): void { /* nothing */ }
  /** The peer's SETTINGS were applied. */
  protected settingsApplied(): void { /* nothing */ }
  /** The connection is gone. */
  protected abstract teardown(err?: Error): void;

  /** Our SETTINGS (these and the window limits), then the connection window raised to what we want. */
  protected settingsFrames(settings: [number, number][]): Buffer[] {
    const all: [number, number][] = [...settings, [SETTINGS_INITIAL_WINDOW_SIZE, this.limits.streamWindow], [SETTINGS_MAX_FRAME_SIZE, this.limits.maxFrameSize]];
    const s = Buffer.allocUnsafe(6 * all.length);
    all.forEach(([id, v], i) => { s.writeUInt16BE(id, 6 * i); putU32(s, 6 * i + 2, v); });
    const out = [frame(SETTINGS, 0, 0, s)];
    if (this.limits.connectionWindow > DEFAULT_WINDOW) {
      out.push(windowUpdate(0, this.limits.connectionWindow - DEFAULT_WINDOW));
      this.connRecvWindow = this.limits.connectionWindow;
    }
    return out;
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

  // ---- sending ----

  protected writeRaw(b: Buffer): void {
    if (!this.destroyed) this.socket.write(b);
  }

  /** HEADERS, plus CONTINUATIONs when the block is larger than the peer's frame size. */
  protected sendHeaders(id: number, block: Buffer, endStream: boolean): void {
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
      const flags = (at + max >= block.length ? END_HEADERS : 0) | (at === 0 && endStream ? END_STREAM : 0);
      parts.push(frame(at === 0 ? HEADERS : CONTINUATION, flags, id, chunk));
    }
    this.writeRaw(Buffer.concat(parts));
  }

  /**
   * @internal DATA for stream s, then (when `end`) our end of it: the trailers block, or END_STREAM. What the
   * windows do not allow yet waits. False: something waits (or the socket is full); ondrain follows.
   */
  sendData(s: S, data: Buffer | undefined, end: boolean, trailers?: Buffer): boolean {
    if (end) { s.localEnded = true; s.endPending = true; s.trailersPending = trailers; }
    if (data && data.length) {
      // the common case, straight out: nothing waits and the windows allow it
      if (s.pendingBytes === 0 && s.id !== 0 && data.length <= this.sendWindow && data.length <= s.sendWindow) {
        const last = s.endPending && !s.trailersPending;
        this.emitData(s, data, last);
        if (last) { s.endPending = false; this.endedLocally(s); }
      } else { s.pending.push(data); s.pendingBytes += data.length; }
    }
    if (s.id === 0) { s.needDrain = true; return false; }
    if (s.pendingBytes > 0 || s.endPending) this.flush(s);
    if (s.closed) return false;
    if (s.pendingBytes > 0) { s.needDrain = true; return false; }
    if (this.socket.writableLength >= SOCKET_HIGH_WATER) { s.needDrain = true; this.socketWaiters.add(s); return false; }
    return true;
  }

  /** Sends a stream's waiting DATA as far as the windows go, then its end when nothing waits. */
  protected flush(s: S): void {
    while (s.pending.length) {
      const head = s.pending[0];
      const n = Math.max(0, Math.min(head.length, this.sendWindow, s.sendWindow));
      if (n === 0) break;
      const whole = n === head.length;
      // END_STREAM rides on the last DATA frame when there are no trailers
      const last = whole && s.pending.length === 1 && s.endPending && !s.trailersPending;
      this.emitData(s, whole ? head : head.subarray(0, n), last);
      if (whole) s.pending.shift(); else s.pending[0] = head.subarray(n);
      s.pendingBytes -= n;
      if (last) { s.endPending = false; this.blocked.delete(s); this.endedLocally(s); return; }
    }
    if (s.pending.length) { this.blocked.add(s); return; }
    this.blocked.delete(s);
    if (!s.endPending) return;
    s.endPending = false;
    const t = s.trailersPending;
    s.trailersPending = undefined;
    if (t) this.sendHeaders(s.id, t, true); else this.writeRaw(frame(DATA, END_STREAM, s.id));
    this.endedLocally(s);
  }

  /** Writes `data` (already within the windows) as DATA frames of at most the peer's frame size. */
  private emitData(s: S, data: Buffer, endStream: boolean): void {
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
  protected flushBlocked(): void {
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

  /** Our end is out: the stream closes if the peer's side has ended too. */
  protected endedLocally(s: S): void {
    if (s.remoteEnded) this.closeStream(s); else this.endedBeforePeer(s);
  }

  /** @internal RST_STREAM: the stream is over now. */
  resetStream(s: S, code: number): void {
    if (s.id !== 0) this.writeRaw(rstStream(s.id, code));
    this.closeStream(s);
  }

  protected closeStream(s: S): void {
    if (s.closed) return;
    s.closed = true;
    if (s.id) this.streams.delete(s.id);
    this.blocked.delete(s);
    this.socketWaiters.delete(s);
    s.pending = [];
    s.pendingBytes = 0;
    s.onclose?.();
    this.streamClosed();
    if (this.closing && this.streams.size === 0 && !this.destroyed) this.socket.end();
  }

  /** Marks every stream closed and tells it; fails the PINGs in flight. */
  protected closeAll(each: (s: S) => void, reason: Error): void {
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) {
      s.closed = true;
      s.pending = [];
      s.pendingBytes = 0;
      each(s);
      s.onclose?.();
    }
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const cb of pings) cb(reason);
  }

  // ---- receiving ----

  /** Feeds received bytes; a protocol error is returned (the caller closes the connection with it). */
  protected receive(chunk: Buffer): H2Error | undefined {
    try {
      this.reader.push(chunk, this.onFrame);
    } catch (e) {
      return e instanceof H2Error ? e : e instanceof HpackError ? new H2Error(H2Code.COMPRESSION_ERROR, e.message)
        : new H2Error(H2Code.INTERNAL_ERROR, (e as Error)?.message ?? String(e));
    }
    if (!this.destroyed) this.grantWindows();
    return undefined;
  }

  private readonly onFrame = (type: number, flags: number, id: number, p: Buffer, more: boolean): boolean => {
    this.frame(type, flags, id, p, more);
    return !this.destroyed;
  };

  /** One frame; `more`: a piece of a DATA frame whose payload goes on (END_STREAM comes with the last piece). */
  private frame(type: number, flags: number, id: number, p: Buffer, more: boolean): void {
    if (!this.settingsSeen && type !== SETTINGS) throw new H2Error(H2Code.PROTOCOL_ERROR, 'the first frame must be SETTINGS');
    if (this.headerBlock && type !== CONTINUATION) throw new H2Error(H2Code.PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    switch (type) {
      case DATA: return this.onDataFrame(flags, id, p, more);
      case HEADERS: return this.onHeadersFrame(flags, id, p);
      case CONTINUATION: return this.onContinuation(flags, id, p);
      case PRIORITY:
        if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (p.length !== 5) this.streamError(id, H2Code.FRAME_SIZE_ERROR);
        return;
      case RST_STREAM: return this.onRst(id, p);
      case SETTINGS: return this.onSettings(flags, id, p);
      case PUSH_PROMISE: throw new H2Error(H2Code.PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      case PING: return this.onPing(flags, id, p);
      case GOAWAY:
        if (id !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (p.length < 8) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'GOAWAY shorter than 8 bytes');
        return this.onGoaway(p.readUInt32BE(0) & 0x7fffffff, p.readUInt32BE(4), p.subarray(8));
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

  private onDataFrame(flags: number, id: number, p: Buffer, more: boolean): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'DATA on stream 0');
    // flow control counts the whole payload, padding included
    this.connUnacked += p.length;
    if (this.connUnacked > this.connRecvWindow) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'the peer sent more than the connection window');
    const s = this.streams.get(id);
    if (!s) {
      if (this.isIdle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      return; // a stream we have closed: what was in flight is dropped (§5.4.2)
    }
    if (s.remoteEnded) { this.resetStream(s, H2Code.STREAM_CLOSED); return; }
    s.unacked += p.length;
    if (s.unacked > this.limits.streamWindow) { this.resetStream(s, H2Code.FLOW_CONTROL_ERROR); return; }
    if (!this.acceptsData(s)) return;
    // a piece of a frame is never padded (FrameReader joins padded frames)
    const data = more ? p : this.unpad(flags, p, false);
    if (data.length) s.ondata?.(data);
    if (flags & END_STREAM) this.remoteEnd(s);
  }

  private onHeadersFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const block = this.unpad(flags, p, true);
    if (flags & END_HEADERS) { this.headerBlockDone(id, flags, block); return; }
    this.checkBlockSize(block.length);
    this.headerBlock = { id, flags, parts: [Buffer.from(block)], bytes: block.length };
  }

  private onContinuation(flags: number, id: number, p: Buffer): void {
    const hb = this.headerBlock;
    if (!hb || hb.id !== id) throw new H2Error(H2Code.PROTOCOL_ERROR, 'CONTINUATION without an open header block');
    hb.bytes += p.length;
    this.checkBlockSize(hb.bytes);
    hb.parts.push(Buffer.from(p));
    if (!(flags & END_HEADERS)) return;
    this.headerBlock = undefined;
    this.headerBlockDone(id, hb.flags, Buffer.concat(hb.parts, hb.bytes));
  }

  private checkBlockSize(n: number): void {
    if (n > this.limits.maxHeaderBlockBytes) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, `header block larger than ${this.limits.maxHeaderBlockBytes} bytes`);
  }

  private headerBlockDone(id: number, flags: number, block: Buffer): void {
    this.checkBlockSize(block.length);
    // decoded even for a stream that is gone or refused: the decoder's table must follow every block
    this.onHeaderBlock(id, flags, this.decoder.decode(block));
  }

  private onRst(id: number, p: Buffer): void {
    if (id === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (p.length !== 4) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    const s = this.streams.get(id);
    if (s) this.peerReset(s, p.readUInt32BE(0));
    else if (this.isIdle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
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
    this.settingsApplied();
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
    this.heard();
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
        if (this.isIdle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
        return; // a closed stream: fine (§6.9)
      }
      if (inc === 0) { this.resetStream(s, H2Code.PROTOCOL_ERROR); return; }
      s.sendWindow += inc;
      if (s.sendWindow > MAX_WINDOW) { this.resetStream(s, H2Code.FLOW_CONTROL_ERROR); return; }
    }
    if (this.blocked.size) this.flushBlocked();
  }

  /** A stream error on stream id, open or not. */
  protected streamError(id: number, code: number): void {
    const s = this.streams.get(id);
    if (s) this.resetStream(s, code); else this.writeRaw(rstStream(id, code));
  }

  /** Window back to the peer for what it sent, once half a window is used (one frame each). */
  private grantWindows(): void {
    const out: Buffer[] = [];
    if (this.connUnacked >= this.connRecvWindow / 2) { out.push(windowUpdate(0, this.connUnacked)); this.connUnacked = 0; }
    if (this.streams.size) {
      const half = this.limits.streamWindow / 2;
      for (const s of this.streams.values()) {
        if (s.unacked >= half && !s.remoteEnded) { out.push(windowUpdate(s.id, s.unacked)); s.unacked = 0; }
      }
    }
    if (out.length) this.writeRaw(out.length === 1 ? out[0] : Buffer.concat(out));
  }
}

const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/**
 * Throws H2Error INTERNAL_ERROR for a header list HTTP/2 cannot carry: a name that is not a lowercase token
 * (RFC 9113 §8.2.1), or a value `badValue` matches (each side says what it refuses).
 */
export function checkHeaders(headers: Header[], badValue: RegExp): void {
  for (const [k, v] of headers) {
    if (!HEADER_NAME.test(k)) throw new H2Error(H2Code.INTERNAL_ERROR, `invalid header name ${JSON.stringify(k)}`);
    if (badValue.test(v)) throw new H2Error(H2Code.INTERNAL_ERROR, `invalid value for header ${k}`);
  }
}

/** A header list as an object; repeated names become arrays. */
export function headerObject(list: Header[]): HeaderObject {
  const h: HeaderObject = {};
  for (const [k, v] of list) {
    const prev = h[k];
    if (prev === undefined) h[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else h[k] = [prev, v];
  }
  return h;
}
