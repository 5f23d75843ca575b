// HTTP/2 frame constants and a frame-header writer (RFC 9113 §4, §6, §7).

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_BYTES = 9;

// plain numbers, not const enums: jest transpiles each file alone (isolatedModules)
export const DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, GOAWAY = 7,
  WINDOW_UPDATE = 8, CONTINUATION = 9;
export const END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY_FLAG = 0x20;
export const SETTINGS_HEADER_TABLE_SIZE = 1, SETTINGS_ENABLE_PUSH = 2, SETTINGS_MAX_CONCURRENT_STREAMS = 3,
  SETTINGS_INITIAL_WINDOW_SIZE = 4, SETTINGS_MAX_FRAME_SIZE = 5, SETTINGS_MAX_HEADER_LIST_SIZE = 6;

/** Error codes (RFC 9113 §7). */
export const H2Code = {
  NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, SETTINGS_TIMEOUT: 4, STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7, CANCEL: 8, COMPRESSION_ERROR: 9, CONNECT_ERROR: 10, ENHANCE_YOUR_CALM: 11,
  INADEQUATE_SECURITY: 12, HTTP_1_1_REQUIRED: 13,
} as const;

export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_FRAME_LIMIT = 2 ** 24 - 1;

export function writeFrameHeader(b: Buffer, at: number, length: number, type: number, flags: number, stream: number): void {
  b[at] = length >>> 16; b[at + 1] = (length >>> 8) & 0xff; b[at + 2] = length & 0xff;
  b[at + 3] = type; b[at + 4] = flags;
  b.writeUInt32BE(stream >>> 0, at + 5);
}

/** A whole frame with its payload, in one buffer. */
export function frame(type: number, flags: number, stream: number, payload?: Buffer): Buffer {
  const n = payload?.length ?? 0;
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n);
  writeFrameHeader(b, 0, n, type, flags, stream);
  if (payload) payload.copy(b, FRAME_HEADER_BYTES);
  return b;
}

export function putU32(b: Buffer, at: number, v: number): void { b.writeUInt32BE(v >>> 0, at); }

export function rstStream(id: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(b, 0, 4, RST_STREAM, 0, id);
  putU32(b, FRAME_HEADER_BYTES, code);
  return b;
}

export function windowUpdate(id: number, inc: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(b, 0, 4, WINDOW_UPDATE, 0, id);
  putU32(b, FRAME_HEADER_BYTES, inc);
  return b;
}

/** GOAWAY with the last stream id we processed, the error code and (at most 200 characters of) why. */
export function goaway(lastId: number, code: number, debug?: string): Buffer {
  const d = debug ? Buffer.from(debug.slice(0, 200)) : undefined;
  const p = Buffer.allocUnsafe(8 + (d?.length ?? 0));
  putU32(p, 0, lastId);
  putU32(p, 4, code);
  if (d) d.copy(p, 8);
  return frame(GOAWAY, 0, 0, p);
}

/** A connection or stream error: the code goes out in GOAWAY or RST_STREAM. */
export class H2Error extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

/** A frame (or, for a large DATA frame, a piece of one: `more` = more of its payload follows). */
export type FrameHandler = (type: number, flags: number, stream: number, payload: Buffer, more: boolean) => boolean | void;

/**
 * Cuts a byte stream into frames. A DATA frame without padding is handed over in pieces as its bytes arrive
 * (END_STREAM on the last piece only), so a large message is not joined here and again by the gRPC layer;
 * other frames are kept as they come until whole, then joined once.
 */
export class FrameReader {
  private parts: Buffer[] = [];
  private bytes = 0;
  /** Inside a DATA payload handed over in pieces: what is still to come, and the frame's flags and stream. */
  private dataLeft = 0;
  private dataFlags = 0;
  private dataStream = 0;
  constructor(private readonly maxFrameSize: number) {}

  /** Calls onFrame for every frame (or DATA piece) in what has arrived; throws H2Error(FRAME_SIZE_ERROR) past the limit. */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.dataLeft > 0) {
      const take = Math.min(this.dataLeft, chunk.length);
      this.dataLeft -= take;
      const more = this.dataLeft > 0;
      if (onFrame(DATA, more ? this.dataFlags & ~END_STREAM : this.dataFlags, this.dataStream, chunk.subarray(0, take), more) === false) return;
      if (more || take === chunk.length) return;
      chunk = chunk.subarray(take);
    }
    let b: Buffer;
    if (this.bytes === 0) b = chunk;
    else {
      this.parts.push(chunk);
      this.bytes += chunk.length;
      if (this.bytes < this.needed()) return;
      b = Buffer.concat(this.parts, this.bytes);
      this.parts = [];
      this.bytes = 0;
    }
    let at = 0;
    while (b.length - at >= FRAME_HEADER_BYTES) {
      const len = (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
      if (len > this.maxFrameSize) throw new H2Error(H2Code.FRAME_SIZE_ERROR, `frame of ${len} bytes is larger than ${this.maxFrameSize}`);
      const type = b[at + 3], flags = b[at + 4], id = b.readUInt32BE(at + 5) & 0x7fffffff;
      if (b.length - at < FRAME_HEADER_BYTES + len) {
        if (!streamable(type, flags)) break;
        // the start of a large DATA frame: what is here now, the rest as it comes
        const piece = b.subarray(at + FRAME_HEADER_BYTES);
        this.dataLeft = len - piece.length;
        this.dataFlags = flags;
        this.dataStream = id;
        if (piece.length) onFrame(DATA, flags & ~END_STREAM, id, piece, true);
        return;
      }
      const payload = b.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + len);
      at += FRAME_HEADER_BYTES + len;
      // false: stop here (the connection is gone)
      if (onFrame(type, flags, id, payload, false) === false) return;
    }
    if (at < b.length) {
      // a small tail is copied so the big chunk it came in is not kept alive
      const rest = b.subarray(at);
      this.parts = [rest.length < 4096 ? Buffer.from(rest) : rest];
      this.bytes = rest.length;
    }
  }

  /** Bytes the first held frame needs before it is handled (its header only, for a DATA frame handed over in pieces). */
  private needed(): number {
    if (this.bytes < FRAME_HEADER_BYTES) return FRAME_HEADER_BYTES;
    const h = this.parts[0].length >= FRAME_HEADER_BYTES ? this.parts[0] : Buffer.concat(this.parts, FRAME_HEADER_BYTES);
    const len = (h[0] << 16) | (h[1] << 8) | h[2];
    // an oversized frame is refused as soon as its header is here, not after it has been buffered
    if (len > this.maxFrameSize || streamable(h[3], h[4])) return FRAME_HEADER_BYTES;
    return FRAME_HEADER_BYTES + len;
  }
}

/** DATA without padding can be handed over in pieces (padding would have to be cut from the end). */
const streamable = (type: number, flags: number) => type === DATA && (flags & PADDED) === 0;
