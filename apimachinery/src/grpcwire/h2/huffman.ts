// The HPACK Huffman code (RFC 7541 Appendix B) and a table-driven decoder/encoder.
// Codes are given LSB-aligned as in the RFC's "as hex aligned to LSB" column; symbol 256 is EOS.

/** Thrown by decodeHuffman for a malformed string; hpack.ts turns it into an HpackError. */
export class HuffmanError extends Error {}

// prettier-ignore
const CODES: readonly number[] = [
  // 0-31 (control characters)
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
  // 32-63: ' ' ! " # $ % & ' ( ) * + , - . / 0-9 : ; < = > ?
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  // 64-95: @ A-Z [ \ ] ^ _
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
  // 96-127: ` a-z { | } ~ DEL
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
  // 128-159
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
  // 160-191
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  // 192-223
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
  // 224-255
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
  // 256: EOS
  0x3fffffff,
];

// prettier-ignore
const LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

export const EOS = 256;
export const HUFFMAN_CODES = CODES;
export const HUFFMAN_LENGTHS = LENGTHS;

// ---- decoding state machine (built once) ----
// States are the 256 internal nodes of the code tree (0 = root). Each state consumes one
// 4-bit nibble; since no code is shorter than 5 bits a nibble emits at most one symbol.
// A transition entry packs: next state (bits 0-7), symbol (bits 8-15), EMIT (bit 16), FAIL (bit 17).
const EMIT = 1 << 16;
const FAIL = 1 << 17;
const STATE_COUNT = 256;

function buildDecoder(): { transitions: Int32Array; accepting: Uint8Array } {
  if (CODES.length !== 257 || LENGTHS.length !== 257) throw new Error('huffman: table must have 257 symbols');
  // children[node*2 + bit]: >= 0 internal node, < 0 leaf -(symbol + 1), undefined-marker 0x7fffffff = empty.
  const EMPTY = 0x7fffffff;
  const children = new Int32Array(STATE_COUNT * 2).fill(EMPTY);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = CODES[sym];
    const len = LENGTHS[sym];
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const slot = node * 2 + bit;
      if (i === 0) {
        if (children[slot] !== EMPTY) throw new Error(`huffman: code of symbol ${sym} collides`);
        children[slot] = -(sym + 1);
      } else {
        if (children[slot] === EMPTY) {
          if (nodes >= STATE_COUNT) throw new Error('huffman: too many internal nodes');
          children[slot] = nodes++;
        } else if (children[slot] < 0) {
          throw new Error(`huffman: code of symbol ${sym} extends another code`);
        }
        node = children[slot];
      }
    }
  }
  if (nodes !== STATE_COUNT || children.includes(EMPTY)) throw new Error('huffman: code is not complete');

  // A block may end only in a state reached from the root by at most 7 one-bits (the padding,
  // which is a prefix of EOS). Root counts: no padding at all.
  const accepting = new Uint8Array(STATE_COUNT);
  let onesNode = 0;
  for (let depth = 0; depth <= 7; depth++) {
    accepting[onesNode] = 1;
    onesNode = children[onesNode * 2 + 1];
  }

  const transitions = new Int32Array(STATE_COUNT * 16);
  for (let state = 0; state < STATE_COUNT; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const child = children[node * 2 + ((nibble >> i) & 1)];
        if (child >= 0) {
          node = child;
          continue;
        }
        const sym = -child - 1;
        if (sym === EOS) {
          entry = FAIL;
          break;
        }
        entry = EMIT | (sym << 8);
        node = 0;
      }
      transitions[state * 16 + nibble] = entry & FAIL ? FAIL : entry | node;
    }
  }
  return { transitions, accepting };
}

const { transitions: TRANSITIONS, accepting: ACCEPTING } = buildDecoder();

let scratch = Buffer.allocUnsafe(4096);

/** Decodes the Huffman-coded octets src[start, end) to a latin1 string. Throws HuffmanError. */
export function decodeHuffman(src: Uint8Array, start: number, end: number): string {
  // Every symbol is at least 5 bits long, so the output has at most 8/5 as many octets.
  const maxOut = Math.ceil(((end - start) * 8) / 5);
  if (scratch.length < maxOut) scratch = Buffer.allocUnsafe(Math.max(maxOut, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i];
    let t = TRANSITIONS[(state << 4) | (byte >> 4)];
    if (t & FAIL) throw new HuffmanError('Huffman string contains the EOS symbol');
    if (t & EMIT) out[n++] = (t >> 8) & 0xff;
    state = t & 0xff;
    t = TRANSITIONS[(state << 4) | (byte & 0x0f)];
    if (t & FAIL) throw new HuffmanError('Huffman string contains the EOS symbol');
    if (t & EMIT) out[n++] = (t >> 8) & 0xff;
    state = t & 0xff;
  }
  if (!ACCEPTING[state]) {
    throw new HuffmanError('Huffman string padding is longer than 7 bits or not all ones');
  }
  return out.toString('latin1', 0, n);
}

/** Octets needed to Huffman-code a latin1 string. */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff];
  return Math.ceil(bits / 8);
}

/** Huffman-codes a latin1 string into dst at offset (room: huffmanEncodedLength(s)); returns the end offset. */
export function encodeHuffman(s: string, dst: Uint8Array, offset: number): number {
  let pos = offset;
  let acc = 0; // pending bits, right-aligned; fewer than 8 stay between symbols
  let accBits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let len = LENGTHS[sym];
    const code = CODES[sym];
    // Feed the code in chunks of at most 16 bits so acc never exceeds 31 bits.
    while (len > 0) {
      const take = len > 16 ? 16 : len;
      len -= take;
      acc = (acc << take) | ((code >>> len) & ((1 << take) - 1));
      accBits += take;
      while (accBits >= 8) {
        accBits -= 8;
        dst[pos++] = (acc >>> accBits) & 0xff;
      }
      acc &= (1 << accBits) - 1;
    }
  }
  if (accBits > 0) dst[pos++] = ((acc << (8 - accBits)) | (0xff >> accBits)) & 0xff;
  return pos;
}
