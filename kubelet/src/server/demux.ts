// Docker's multiplexed stream format (non-TTY attach/logs/exec): frames of
// [stream type (1 stdout, 2 stderr), 0, 0, 0, big-endian uint32 length] followed by the payload.

export type StreamKind = 1 | 2;

/** Incremental parser: feed it chunks, it calls onFrame for every complete frame. */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (kind: StreamKind, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const kind = this.buf[0] === 2 ? 2 : 1; // stdin echo (0) and unknown types count as stdout
      this.onFrame(kind, this.buf.subarray(8, 8 + len));
      this.buf = this.buf.subarray(8 + len);
    }
  }
}
