// gRPC length-prefixed messages: a 1-byte compressed flag, a 4-byte big-endian length, then the message.
// DATA frames do not line up with messages: one frame can carry several messages, one message many frames.
import { Code, GrpcError } from './status';

export const MESSAGE_HEADER_BYTES = 5;

/** The message with its 5-byte prefix, in one buffer (so it goes out in one write). */
export function frameMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES + msg.length);
  writeMessageHeader(out, msg.length);
  out.set(msg, MESSAGE_HEADER_BYTES);
  return out;
}

/** Fills in the prefix of a buffer whose first 5 bytes were left for it (see CallOptions.framed). */
export function writeMessageHeader(buf: Buffer, length: number): void {
  buf[0] = 0;
  buf.writeUInt32BE(length, 1);
}

export interface MessageSink { onMessage(msg: Buffer): void }

/**
 * Splits a stream of DATA chunks into messages. A message held whole by one chunk is handed over as a view
 * of that chunk (no copy); one spread over chunks is joined once when its last byte arrives.
 */
export class MessageDecoder {
  private header = Buffer.alloc(MESSAGE_HEADER_BYTES);
  private headerFill = 0;
  /** Bytes still missing from the current message, or -1 while reading a header. */
  private remaining = -1;
  private length = 0;
  private parts: Buffer[] = [];

  constructor(private readonly maxMessageBytes = Infinity) {}

  /** True while a message (or its header) is only partly received. */
  get partial(): boolean { return this.remaining >= 0 || this.headerFill > 0; }

  /** Throws GrpcError on a compressed message (none was negotiated) or one above the size limit. */
  push(chunk: Buffer, sink: MessageSink): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.remaining < 0) {
        let length: number;
        if (this.headerFill === 0 && n - pos >= MESSAGE_HEADER_BYTES) {
          if (chunk[pos] !== 0) this.badFlag(chunk[pos]);
          length = chunk.readUInt32BE(pos + 1);
          pos += MESSAGE_HEADER_BYTES;
        } else {
          const take = Math.min(MESSAGE_HEADER_BYTES - this.headerFill, n - pos);
          chunk.copy(this.header, this.headerFill, pos, pos + take);
          this.headerFill += take;
          pos += take;
          if (this.headerFill < MESSAGE_HEADER_BYTES) return;
          this.headerFill = 0;
          if (this.header[0] !== 0) this.badFlag(this.header[0]);
          length = this.header.readUInt32BE(1);
        }
        if (length > this.maxMessageBytes) {
          throw new GrpcError(Code.RESOURCE_EXHAUSTED, `received message of ${length} bytes exceeds the limit of ${this.maxMessageBytes}`);
        }
        if (n - pos >= length) {
          sink.onMessage(chunk.subarray(pos, pos + length));
          pos += length;
          continue;
        }
        this.length = length;
        this.remaining = length;
      }
      const take = Math.min(this.remaining, n - pos);
      this.parts.push(take === n && pos === 0 ? chunk : chunk.subarray(pos, pos + take));
      this.remaining -= take;
      pos += take;
      if (this.remaining === 0) {
        const parts = this.parts;
        this.parts = [];
        this.remaining = -1;
        sink.onMessage(parts.length === 1 ? parts[0] : Buffer.concat(parts, this.length));
      }
    }
  }

  private badFlag(flag: number): never {
    throw new GrpcError(Code.INTERNAL, flag === 1
      ? 'received a compressed message, but no compression was negotiated'
      : `invalid message flag byte ${flag}`);
  }
}
