// The client side of one HTTP/2 connection (RFC 9113, cleartext with prior knowledge) on a TCP socket: what a
// gRPC channel needs, without node:http2's native session (its memory and its deferred per-session send step).
//
// Streams get odd increasing ids when they are opened; beyond the server's MAX_CONCURRENT_STREAMS they wait in a
// queue (no id yet, so ids stay in the order streams go out). Flow control, settings, pings and header blocks:
// endpoint.ts. GOAWAY: streams above its last id, and queued ones, were not processed and are closed as
// `refused` (the owner may retry them elsewhere). No push (ENABLE_PUSH 0), priorities ignored.
import net from 'node:net';
import { EndpointLimits, H2Endpoint, H2StreamBase, HeaderObject, checkHeaders, headerObject } from './endpoint';
import { END_STREAM, H2Code, H2Error, PREFACE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_HEADER_LIST_SIZE, goaway } from './frames';
import { Header, HpackEncoder } from './hpack';

/** Response headers or trailers as node's http2 gives them: repeated names become arrays. */
export type ResponseHeaders = HeaderObject;

export interface ClientConnectionOptions extends Partial<EndpointLimits> {
  host: string;
  port: number;
  /** The TCP connection is up (streams may be opened before: their frames wait in the socket). */
  onConnect?(): void;
  /** The server sent GOAWAY: no new streams here; open ones at or below lastStreamId go on. */
  onGoaway?(code: number, lastStreamId: number): void;
  /** The connection is gone; err says why (undefined: closed cleanly). */
  onClose?(err: Error | undefined): void;
}

const MAX_STREAM_ID = 2 ** 31 - 1;
// what node's http2 refuses in a header value (controls other than tab, DEL, anything above U+00FF)
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const encoder = new HpackEncoder();

/** One request stream. The owner sets the callbacks; write() false means wait for ondrain. */
export class H2ClientStream extends H2StreamBase {
  onheaders?: (headers: ResponseHeaders, endStream: boolean) => void;
  /** The code of the server's RST_STREAM, if it sent one. */
  rstCode?: number;
  /** The server did not process the stream (never sent, above GOAWAY's last id, or REFUSED_STREAM): safe to retry. */
  refused = false;
  /** Why the connection went away under the stream. */
  connectionError?: Error;
  /** The response HEADERS came (later blocks are trailers). */
  responded = false;
  /** @internal the encoded request header block, until the stream is opened */ block?: Buffer;

  /** id 0 while queued behind the server's concurrent-stream limit. */
  constructor(readonly conn: H2ClientConnection) { super(0); }

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

export class H2ClientConnection extends H2Endpoint<H2ClientStream> {
  /** Streams waiting for a free slot under the server's MAX_CONCURRENT_STREAMS. */
  private waiting: H2ClientStream[] = [];
  private nextId = 1;
  connected = false;
  private error?: Error;

  constructor(private readonly opts: ClientConnectionOptions) {
    // Nagle off, as grpc-go and grpc-js do: a small message must not wait for the ACK of the one before
    super(net.connect({ host: opts.host, port: opts.port, noDelay: true }), {
      streamWindow: opts.streamWindow ?? 4 * 1024 * 1024,
      connectionWindow: opts.connectionWindow ?? 64 * 1024 * 1024,
      maxFrameSize: opts.maxFrameSize ?? 1024 * 1024,
      maxHeaderBlockBytes: opts.maxHeaderBlockBytes ?? 1024 * 1024,
    });
    const socket = this.socket;
    socket.on('connect', () => { this.connected = true; if (!this.destroyed) this.opts.onConnect?.(); });
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', (err: Error) => { this.error ??= err; });
    socket.on('close', () => this.teardown(this.error));
    // preface, our SETTINGS, then the connection window raised to what we want: one write
    const out = this.settingsFrames([[SETTINGS_ENABLE_PUSH, 0], [SETTINGS_MAX_HEADER_LIST_SIZE, this.limits.maxHeaderBlockBytes]]);
    socket.write(Buffer.concat([PREFACE, ...out]));
  }

  /** Streams open or queued. */
  get activeStreams(): number { return this.streams.size + this.waiting.length; }

  /**
   * Opens a stream with this request header list (HEADERS now, or when a slot under the server's limit frees).
   * Throws H2Error INTERNAL_ERROR for a header HTTP/2 cannot carry, REFUSED_STREAM when the connection takes no
   * new streams.
   */
  request(headers: Header[]): H2ClientStream {
    checkHeaders(headers, BAD_VALUE);
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

  /** @internal A queued stream is just dropped; an open one is reset. */
  override resetStream(s: H2ClientStream, code: number): void {
    if (s.id === 0) this.waiting = this.waiting.filter(w => w !== s);
    super.resetStream(s, code);
  }

  protected override streamClosed(): void { this.openWaiting(); }
  protected override settingsApplied(): void { this.openWaiting(); }

  protected teardown(err: Error | undefined): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const reason = err ?? new Error('session closed');
    const queued = this.waiting;
    this.waiting = [];
    for (const s of queued) { s.refused = true; s.closed = true; s.connectionError = reason; s.pending = []; s.pendingBytes = 0; s.onclose?.(); }
    this.closeAll(s => { s.connectionError = reason; }, reason);
    this.opts.onClose?.(err);
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    const err = this.receive(chunk);
    if (err) this.destroy(new Error(`HTTP/2 protocol error from the server: ${err.message}`), err.code);
  }

  /** A stream id we never opened (an idle one, or a server-initiated even one). */
  protected isIdle(id: number): boolean { return id % 2 === 0 || id >= this.nextId; }

  /** DATA before the response HEADERS is a protocol error on the stream. */
  protected override acceptsData(s: H2ClientStream): boolean {
    if (s.responded) return true;
    this.resetStream(s, H2Code.PROTOCOL_ERROR);
    return false;
  }

  protected remoteEnd(s: H2ClientStream): void {
    if (s.closed || s.remoteEnded) return;
    s.remoteEnded = true;
    s.unacked = 0;
    if (s.localEnded && !s.endPending) { this.closeStream(s); return; }
    // the response is complete while the request is not: tell the server we stop sending (§8.1)
    this.resetStream(s, H2Code.NO_ERROR);
  }

  /** Our request is complete; the response comes. */
  protected endedBeforePeer(): void { /* nothing */ }

  protected override peerReset(s: H2ClientStream, code: number): void {
    s.rstCode = code;
    if (code === H2Code.REFUSED_STREAM) s.refused = true;
    this.closeStream(s);
  }

  protected onHeaderBlock(id: number, flags: number, list: Header[]): void {
    const s = this.streams.get(id);
    if (!s) {
      if (this.isIdle(id)) throw new H2Error(H2Code.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      return;
    }
    const end = (flags & END_STREAM) !== 0;
    const h = headerObject(list);
    if (!s.responded) {
      const status = h[':status'];
      // informational (1xx) headers come before the real response
      if (typeof status === 'string' && status.length === 3 && status[0] === '1' && !end) return;
      s.responded = true;
    } else if (!end) { this.resetStream(s, H2Code.PROTOCOL_ERROR); return; } // trailers must end the stream
    s.onheaders?.(h, end);
    if (end) this.remoteEnd(s);
  }

  protected onGoaway(lastId: number, code: number, debug: Buffer): void {
    this.closing = true;
    this.refuseWaiting();
    // streams above the last id were not processed: closed as refused, the owner may send them elsewhere
    for (const s of [...this.streams.values()]) if (s.id > lastId) { s.refused = true; this.closeStream(s); }
    this.opts.onGoaway?.(code, lastId);
    if (this.destroyed) return;
    if (code !== H2Code.NO_ERROR) {
      const why = debug.length ? `: ${debug.toString('utf8').slice(0, 200)}` : '';
      this.destroy(new Error(`the server closed the connection with GOAWAY code ${code}${why}`));
      return;
    }
    if (this.streams.size === 0) this.socket.end();
  }
}
