// Protobuf wire format: a bounds-checked reader and a growable writer. Our own instead of protobufjs so every
// read past the end or malformed varint becomes a ProtoError (turned into a 400 by the caller), never a crash.

export class ProtoError extends Error {
  /** JSON path segments, innermost last, filled in as the error unwinds through messages. */
  readonly path: string[] = [];
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
// Read once: global lookups are slow inside vm sandboxes (jest).
const NodeBuffer = Buffer;
const { floor } = Math;

export class Reader {
  pos: number;
  readonly buf: Buffer;
  constructor(bytes: Uint8Array, start = 0, public end = bytes.length) {
    this.pos = start;
    // A Buffer view (no copy) for its native UTF-8 slicing.
    this.buf = NodeBuffer.isBuffer(bytes) ? bytes : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  private truncated(): never { throw new ProtoError('unexpected end of data (truncated message)'); }

  /** A varint that must fit in 32 bits (tags, lengths); returned unsigned. */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.truncated();
      const b = buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (result >= TWO_32) throw new ProtoError('varint does not fit in 32 bits');
        return result;
      }
    }
    throw new ProtoError('varint does not fit in 32 bits');
  }

  /** A full 64-bit varint as [low 32 bits, high 32 bits], both unsigned. */
  private varint64(): [number, number] {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) this.truncated();
      b = buf[this.pos++];
      lo |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return [lo >>> 0, 0];
    }
    if (this.pos >= this.end) this.truncated();
    b = buf[this.pos++];
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) return [lo >>> 0, hi >>> 0];
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.truncated();
      b = buf[this.pos++];
      hi |= (b & 0x7f) << (7 * i + 3);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtoError('malformed varint (more than 10 bytes)');
  }

  int32(): number {
    // Fast path: one-byte non-negative values are the common case.
    if (this.pos < this.end && this.buf[this.pos] < 0x80) return this.buf[this.pos++];
    return this.varint64()[0] | 0;
  }
  int64(): number {
    if (this.pos < this.end && this.buf[this.pos] < 0x80) return this.buf[this.pos++];
    const [lo, hi] = this.varint64();
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
    return hi * TWO_32 + lo;
  }
  uint64(): number { const [lo, hi] = this.varint64(); return hi * TWO_32 + lo; }
  sint32(): number { const lo = this.varint64()[0]; return (lo >>> 1) ^ -(lo & 1); }
  sint64(): number {
    const [lo, hi] = this.varint64();
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    return Number((n >> 1n) ^ -(n & 1n));
  }
  bool(): boolean { const [lo, hi] = this.varint64(); return lo !== 0 || hi !== 0; }

  private need(n: number): void { if (this.end - this.pos < n) this.truncated(); }
  fixed32(): number { this.need(4); const v = readU32(this.buf, this.pos); this.pos += 4; return v; }
  sfixed32(): number { return this.fixed32() | 0; }
  fixed64(): number { this.need(8); const lo = readU32(this.buf, this.pos); const hi = readU32(this.buf, this.pos + 4); this.pos += 8; return hi * TWO_32 + lo; }
  sfixed64(): number {
    this.need(8); const lo = readU32(this.buf, this.pos); const hi = readU32(this.buf, this.pos + 4); this.pos += 8;
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
    return hi * TWO_32 + lo;
  }
  double(): number { this.need(8); const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true); this.pos += 8; return v; }
  float(): number { this.need(4); const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true); this.pos += 4; return v; }

  /** Reads a length prefix and returns the end offset of the delimited bytes. */
  delimitedEnd(): number {
    const len = this.uint32();
    if (len > this.end - this.pos) this.truncated();
    return this.pos + len;
  }

  string(): string {
    const end = this.delimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }

  bytes(): Uint8Array {
    const end = this.delimitedEnd();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  /** Skips one field's value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT: this.varint64(); return;
      case WIRE_FIXED64: this.need(8); this.pos += 8; return;
      case WIRE_BYTES: this.pos = this.delimitedEnd(); return;
      case WIRE_FIXED32: this.need(4); this.pos += 4; return;
      default: throw new ProtoError(`unsupported wire type ${wireType}`);
    }
  }
}

function readU32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}

export class Writer {
  private buf = Buffer.allocUnsafe(256);
  len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  tag(no: number, wireType: number): void { this.uint32(no * 8 + wireType); }

  uint32(v: number): void {
    this.reserve(5);
    while (v >= 0x80) { this.buf[this.len++] = (v & 0x7f) | 0x80; v = floor(v / 128); }
    this.buf[this.len++] = v;
  }

  /** Any integer (negative ones as 64-bit two's complement, like Go's uint64(int64(v))). */
  int64(v: number): void {
    if (v >= 0 && v < TWO_32) { this.uint32(v); return; }
    let lo: number;
    let hi: number;
    if (v >= 0) { lo = v % TWO_32; hi = floor(v / TWO_32); } else {
      const a = -v;
      lo = a % TWO_32; hi = floor(a / TWO_32);
      // Two's complement of the 64-bit magnitude.
      lo = (~lo >>> 0) + 1; hi = ~hi >>> 0;
      if (lo === TWO_32) { lo = 0; hi = (hi + 1) >>> 0; }
    }
    this.reserve(10);
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.len++] = lo;
  }

  sint64(v: number): void { const n = BigInt(v); const z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n; this.int64BigUnsigned(z); }
  private int64BigUnsigned(z: bigint): void {
    this.reserve(10);
    while (z >= 0x80n) { this.buf[this.len++] = Number(z & 0x7fn) | 0x80; z >>= 7n; }
    this.buf[this.len++] = Number(z);
  }

  fixed32(v: number): void { this.reserve(4); this.buf.writeUInt32LE(v >>> 0, this.len); this.len += 4; }
  fixed64(v: number): void {
    this.reserve(8); this.buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(Math.trunc(v))), this.len); this.len += 8;
  }
  double(v: number): void { this.reserve(8); this.buf.writeDoubleLE(v, this.len); this.len += 8; }
  float(v: number): void { this.reserve(4); this.buf.writeFloatLE(v, this.len); this.len += 4; }

  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  string(s: string): void { this.bytes(Buffer.from(s, 'utf8')); }

  finish(): Buffer { return Buffer.from(this.buf.subarray(0, this.len)); }
}
