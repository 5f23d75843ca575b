// HPACK header compression for HTTP/2 (RFC 7541): a full decoder (static + dynamic table,
// Huffman) and a stateless encoder that never touches the peer's dynamic table.
// Header octets are handled as latin1 strings: one char per octet, so string length == octet length.
import { decodeHuffman, HuffmanError } from './huffman';

/** Any malformed header block. The decoder is unusable afterwards (connection error COMPRESSION_ERROR). */
export class HpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HpackError';
  }
}

export type Header = [name: string, value: string];

/** RFC 7541 section 4.1: an entry costs its octets plus 32. */
const ENTRY_OVERHEAD = 32;
/** Integers above this are rejected; nothing in HTTP/2 needs more than 32 bits. */
const MAX_INTEGER = 0xffffffff;
/** Continuation octets allowed after the prefix: 5 * 7 bits covers MAX_INTEGER. */
const MAX_CONTINUATION_OCTETS = 5;

// RFC 7541 Appendix A; index 0 is unused (index 0 is an error on the wire).
// prettier-ignore
const STATIC_TABLE: readonly Header[] = [
  ['', ''],
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''],
  ['cache-control', ''], ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''],
  ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''],
  ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''],
  ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''],
  ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''],
  ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''],
  ['retry-after', ''], ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''],
  ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];
export const STATIC_TABLE_LENGTH = STATIC_TABLE.length - 1; // 61

/** The dynamic table: a ring of entries, newest has dynamic index 1. */
class DynamicTable {
  private names: string[] = new Array<string>(16);
  private values: string[] = new Array<string>(16);
  private mask = 15;
  private oldest = 0; // ring slot of the oldest entry
  count = 0;
  size = 0;

  constructor(public maxSize: number) {}

  /** index: 1 = newest. Caller checks 1 <= index <= count. */
  slot(index: number): number {
    return (this.oldest + this.count - index) & this.mask;
  }
  name(index: number): string {
    return this.names[this.slot(index)];
  }
  value(index: number): string {
    return this.values[this.slot(index)];
  }

  add(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    // An entry larger than the whole table empties it and is not added (section 4.4).
    if (entrySize > this.maxSize) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - entrySize);
    if (this.count > this.mask) this.grow();
    const slot = (this.oldest + this.count) & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
    this.count++;
    this.size += entrySize;
  }

  setMaxSize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  private evictTo(limit: number): void {
    while (this.size > limit) {
      const slot = this.oldest;
      this.size -= this.names[slot].length + this.values[slot].length + ENTRY_OVERHEAD;
      this.names[slot] = this.values[slot] = '';
      this.oldest = (slot + 1) & this.mask;
      this.count--;
    }
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const names = new Array<string>(capacity);
    const values = new Array<string>(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.oldest + i) & this.mask;
      names[i] = this.names[from];
      values[i] = this.values[from];
    }
    this.names = names;
    this.values = values;
    this.mask = capacity - 1;
    this.oldest = 0;
  }
}

/** Placeholder so a decoder does not keep the last block alive between calls. */
const NO_BLOCK = Buffer.alloc(0);

export class HpackDecoder {
  private readonly table: DynamicTable;
  private broken: Error | undefined;
  // Cursor over the block being decoded.
  private buf: Buffer = NO_BLOCK;
  private pos = 0;
  private end = 0;

  /** maxTableSize: the SETTINGS_HEADER_TABLE_SIZE we advertise (default 4096). */
  constructor(private readonly maxTableSize = 4096) {
    if (!Number.isInteger(maxTableSize) || maxTableSize < 0 || maxTableSize > MAX_INTEGER) {
      throw new RangeError(`HpackDecoder: maxTableSize must be an integer in [0, 2^32), got ${maxTableSize}`);
    }
    this.table = new DynamicTable(maxTableSize);
  }

  /** Octets in the dynamic table (section 4.1). */
  get tableSize(): number {
    return this.table.size;
  }

  /** The current dynamic table size limit (lowered by size updates from the peer). */
  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  /** Dynamic table entries, newest first (index 62 first). A copy: for tests and diagnostics. */
  get tableEntries(): Header[] {
    const out: Header[] = [];
    for (let i = 1; i <= this.table.count; i++) out.push([this.table.name(i), this.table.value(i)]);
    return out;
  }

  /** Decodes one complete header block (HEADERS + CONTINUATION payloads concatenated), in order. Throws HpackError. */
  decode(block: Buffer): Header[] {
    if (this.broken) {
      throw new HpackError(`HPACK decoder is unusable after an earlier error: ${this.broken.message}`);
    }
    if (!Buffer.isBuffer(block)) throw new HpackError('HPACK block must be a Buffer');
    this.buf = block;
    this.pos = 0;
    this.end = block.length;
    try {
      return this.decodeFields();
    } catch (err) {
      const error =
        err instanceof HpackError
          ? err
          : new HpackError(err instanceof HuffmanError ? err.message : `HPACK decoding failed: ${String(err)}`);
      this.broken = error;
      throw error;
    } finally {
      this.buf = NO_BLOCK;
    }
  }

  private decodeFields(): Header[] {
    const headers: Header[] = [];
    const buf = this.buf;
    while (this.pos < this.end) {
      const first = buf[this.pos];
      if (first & 0x80) {
        // 6.1 indexed header field
        const index = this.readInteger(0x7f);
        headers.push([this.nameAt(index), this.valueAt(index)]);
      } else if (first & 0x40) {
        // 6.2.1 literal with incremental indexing
        const index = this.readInteger(0x3f);
        const name = index === 0 ? this.readString() : this.nameAt(index);
        const value = this.readString();
        headers.push([name, value]);
        this.table.add(name, value);
      } else if (first & 0x20) {
        // 6.3 dynamic table size update: only before the first field of a block (4.2)
        if (headers.length > 0) throw new HpackError('HPACK dynamic table size update after a header field');
        const size = this.readInteger(0x1f);
        if (size > this.maxTableSize) {
          throw new HpackError(`HPACK dynamic table size update to ${size} exceeds the maximum ${this.maxTableSize}`);
        }
        this.table.setMaxSize(size);
      } else {
        // 6.2.2 without indexing (0000) / 6.2.3 never indexed (0001): same shape for a decoder
        const index = this.readInteger(0x0f);
        const name = index === 0 ? this.readString() : this.nameAt(index);
        headers.push([name, this.readString()]);
      }
    }
    return headers;
  }

  private nameAt(index: number): string {
    if (index > 0 && index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index][0];
    return this.table.name(this.dynamicIndex(index));
  }

  private valueAt(index: number): string {
    if (index > 0 && index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index][1];
    return this.table.value(this.dynamicIndex(index));
  }

  private dynamicIndex(index: number): number {
    if (index === 0) throw new HpackError('HPACK index 0 is not valid');
    const dynamic = index - STATIC_TABLE_LENGTH;
    if (dynamic > this.table.count) {
      throw new HpackError(
        `HPACK index ${index} is past the table (61 static + ${this.table.count} dynamic entries)`,
      );
    }
    return dynamic;
  }

  /** Reads an integer whose prefix is the low bits selected by mask (2^N - 1) of the current octet (5.1). */
  private readInteger(mask: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = buf[pos++] & mask;
    if (value === mask) {
      let multiplier = 1;
      for (let octets = 1; ; octets++) {
        if (pos >= this.end) throw new HpackError('HPACK integer is truncated');
        if (octets > MAX_CONTINUATION_OCTETS) throw new HpackError('HPACK integer is too long');
        const b = buf[pos++];
        value += (b & 0x7f) * multiplier;
        if ((b & 0x80) === 0) break;
        multiplier *= 128;
      }
      if (value > MAX_INTEGER) throw new HpackError(`HPACK integer ${value} exceeds 2^32 - 1`);
    }
    this.pos = pos;
    return value;
  }

  /** Reads a string literal (5.2), plain or Huffman-coded. */
  private readString(): string {
    if (this.pos >= this.end) throw new HpackError('HPACK string literal is missing');
    const huffman = this.buf[this.pos] & 0x80;
    const length = this.readInteger(0x7f);
    const start = this.pos;
    if (length > this.end - start) {
      throw new HpackError(`HPACK string literal of ${length} octets is truncated (${this.end - start} left)`);
    }
    this.pos = start + length;
    return huffman ? decodeHuffman(this.buf, start, this.pos) : this.buf.toString('latin1', start, this.pos);
  }
}

// Encoder lookups: exact (name, value) -> index, and name -> lowest index with that name.
const STATIC_EXACT = new Map<string, Map<string, number>>();
const STATIC_NAME = new Map<string, number>();
for (let i = 1; i <= STATIC_TABLE_LENGTH; i++) {
  const [name, value] = STATIC_TABLE[i];
  if (!STATIC_NAME.has(name)) STATIC_NAME.set(name, i);
  let byValue = STATIC_EXACT.get(name);
  if (!byValue) STATIC_EXACT.set(name, (byValue = new Map()));
  byValue.set(value, i);
}

/** Any char outside one octet: such a string cannot be a header name or value. */
const NOT_LATIN1 = /[^\x00-\xff]/;

function writeInteger(dst: Buffer, pos: number, value: number, prefixMask: number, flags: number): number {
  if (value < prefixMask) {
    dst[pos++] = flags | value;
    return pos;
  }
  dst[pos++] = flags | prefixMask;
  let rest = value - prefixMask;
  while (rest >= 128) {
    dst[pos++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  dst[pos++] = rest;
  return pos;
}

function writeString(dst: Buffer, pos: number, s: string): number {
  pos = writeInteger(dst, pos, s.length, 0x7f, 0);
  return pos + dst.write(s, pos, 'latin1');
}

function checkHeader(header: Header, i: number): void {
  if (!Array.isArray(header) || typeof header[0] !== 'string' || typeof header[1] !== 'string') {
    throw new HpackError(`header ${i} must be a [name, value] pair of strings`);
  }
  if (NOT_LATIN1.test(header[0]) || NOT_LATIN1.test(header[1])) {
    throw new HpackError(`header ${i} (${JSON.stringify(header[0])}) has a character above U+00FF`);
  }
}

export class HpackEncoder {
  /**
   * Encodes a header list. Stateless: never adds to the dynamic table (so no table-size update is
   * ever needed). Exact static match -> indexed field; static name match -> literal without
   * indexing with indexed name; else literal without indexing with a literal name. Plain strings.
   * Throws HpackError for a non-string or a char above U+00FF.
   */
  encode(headers: Header[]): Buffer {
    // Worst case per field: 1 + 2 (name index) or 1 + (6 + name), plus 6 + value.
    let bound = 0;
    for (let i = 0; i < headers.length; i++) {
      checkHeader(headers[i], i);
      bound += 14 + headers[i][0].length + headers[i][1].length;
    }
    const out = Buffer.allocUnsafe(bound);
    let pos = 0;
    for (const [name, value] of headers) {
      const exact = STATIC_EXACT.get(name)?.get(value);
      if (exact !== undefined) {
        pos = writeInteger(out, pos, exact, 0x7f, 0x80);
        continue;
      }
      const nameIndex = STATIC_NAME.get(name);
      if (nameIndex !== undefined) {
        pos = writeInteger(out, pos, nameIndex, 0x0f, 0x00);
      } else {
        out[pos++] = 0x00;
        pos = writeString(out, pos, name);
      }
      pos = writeString(out, pos, value);
    }
    return out.subarray(0, pos);
  }
}
