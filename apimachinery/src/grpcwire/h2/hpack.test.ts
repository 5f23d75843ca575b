import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Header, HpackDecoder, HpackEncoder, HpackError } from './hpack';
import { decodeHuffman, encodeHuffman, EOS, HUFFMAN_CODES, HUFFMAN_LENGTHS, huffmanEncodedLength } from './huffman';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Table state as [name, value, entry size], newest first (the RFC's listing order). */
function tableOf(d: HpackDecoder): [string, string, number][] {
  return d.tableEntries.map(([n, v]) => [n, v, n.length + v.length + 32]);
}

function expectHpackError(d: HpackDecoder, block: Buffer, message: RegExp): void {
  let thrown: unknown;
  try {
    d.decode(block);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(HpackError);
  expect((thrown as Error).message).toMatch(message);
}

describe('HPACK decoder: RFC 7541 Appendix C', () => {
  it('C.2.1 literal with indexing adds to the dynamic table', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))).toEqual([
      ['custom-key', 'custom-header'],
    ]);
    expect(tableOf(d)).toEqual([['custom-key', 'custom-header', 55]]);
    expect(d.tableSize).toBe(55);
  });

  it('C.2.2 literal without indexing and C.2.3 never indexed leave the table empty', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([[':path', '/sample/path']]);
    expect(d.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([['password', 'secret']]);
    expect(d.tableSize).toBe(0);
    expect(d.tableEntries).toEqual([]);
  });

  it('C.2.4 indexed field from the static table', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('82'))).toEqual([[':method', 'GET']]);
    expect(d.tableSize).toBe(0);
  });

  const request1: Header[] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
  const request2: Header[] = [...request1, ['cache-control', 'no-cache']];
  const request3: Header[] = [
    [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ];
  const requestTables: [string, string, number][][] = [
    [[':authority', 'www.example.com', 57]],
    [['cache-control', 'no-cache', 53], [':authority', 'www.example.com', 57]],
    [['custom-key', 'custom-value', 54], ['cache-control', 'no-cache', 53], [':authority', 'www.example.com', 57]],
  ];

  function runSequence(max: number, blocks: string[], lists: Header[][], tables: [string, string, number][][]) {
    const d = new HpackDecoder(max);
    blocks.forEach((block, i) => {
      expect(d.decode(hex(block))).toEqual(lists[i]);
      expect(tableOf(d)).toEqual(tables[i]);
      expect(d.tableSize).toBe(tables[i].reduce((sum, e) => sum + e[2], 0));
    });
  }

  it('C.3 requests without Huffman carry the dynamic table across blocks', () => {
    runSequence(
      4096,
      [
        '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '8286 84be 5808 6e6f 2d63 6163 6865',
        '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
      ],
      [request1, request2, request3],
      requestTables,
    );
  });

  it('C.4 requests with Huffman', () => {
    runSequence(
      4096,
      [
        '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
        '8286 84be 5886 a8eb 1064 9cbf',
        '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
      ],
      [request1, request2, request3],
      requestTables,
    );
  });

  const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
  const response1: Header[] = [
    [':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ];
  const response2: Header[] = [[':status', '307'], ...response1.slice(1)];
  const response3: Header[] = [
    [':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['location', 'https://www.example.com'], ['content-encoding', 'gzip'], ['set-cookie', cookie],
  ];
  const responseTables: [string, string, number][][] = [
    [
      ['location', 'https://www.example.com', 63], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT', 65],
      ['cache-control', 'private', 52], [':status', '302', 42],
    ],
    [
      [':status', '307', 42], ['location', 'https://www.example.com', 63],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT', 65], ['cache-control', 'private', 52],
    ],
    [['set-cookie', cookie, 98], ['content-encoding', 'gzip', 52], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT', 65]],
  ];

  it('C.5 responses without Huffman evict by size in a 256-octet table', () => {
    runSequence(
      256,
      [
        `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
         2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
        '4803 3330 37c1 c0bf',
        `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
         54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
         5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
      ],
      [response1, response2, response3],
      responseTables,
    );
  });

  it('C.6 responses with Huffman evict by size in a 256-octet table', () => {
    runSequence(
      256,
      [
        `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
         2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        '4883 640e ffc1 c0bf',
        `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
         77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
         9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
      ],
      [response1, response2, response3],
      responseTables,
    );
  });
});

describe('HPACK decoder: dynamic table', () => {
  /** A literal-with-incremental-indexing field with a new (plain) name. */
  const indexedLiteral = (name: string, value: string) =>
    Buffer.concat([Buffer.from([0x40, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);

  it('keeps indices right past many insertions (table wrap-around and growth)', () => {
    const d = new HpackDecoder(4096);
    // 200 entries of 40 octets each: only the newest 102 fit in 4096.
    for (let i = 0; i < 200; i++) d.decode(indexedLiteral('k', `v${String(i).padStart(6, '0')}`));
    expect(d.tableEntries.length).toBe(102);
    expect(d.tableSize).toBe(102 * 40);
    expect(d.decode(Buffer.from([0x80 | 62]))).toEqual([['k', 'v000199']]);
    // Index 62 + 101 = 163 is the oldest survivor: entry 98. 163 needs a 2-octet integer.
    expect(d.decode(Buffer.from([0xff, 163 - 127]))).toEqual([['k', 'v000098']]);
    expectHpackError(d, Buffer.from([0xff, 164 - 127]), /index 164 is past the table/);
  });

  it('an entry larger than the table empties it and is not added', () => {
    const d = new HpackDecoder(100);
    d.decode(indexedLiteral('a', 'b'));
    expect(d.tableSize).toBe(34);
    expect(d.decode(indexedLiteral('big', 'x'.repeat(70)))).toEqual([['big', 'x'.repeat(70)]]);
    expect(d.tableEntries).toEqual([]);
    expect(d.tableSize).toBe(0);
  });

  it('a literal with indexed name may name the entry it evicts', () => {
    const d = new HpackDecoder(70);
    d.decode(indexedLiteral('name', 'v1')); // 38 octets
    // Index 62 names the entry above; adding another 38 octets evicts it.
    expect(d.decode(Buffer.concat([Buffer.from([0x40 | 62, 2]), Buffer.from('v2')]))).toEqual([['name', 'v2']]);
    expect(d.tableEntries).toEqual([['name', 'v2']]);
  });

  it('size updates at the start of a block evict and may be repeated; the max stays bounded', () => {
    const d = new HpackDecoder(4096);
    d.decode(indexedLiteral('a', '1'));
    d.decode(indexedLiteral('b', '2'));
    expect(d.tableSize).toBe(68);
    // 0x3f 0x03 = size update to 34: only the newest entry survives.
    expect(d.decode(Buffer.from([0x3f, 34 - 31, 0x80 | 62]))).toEqual([['b', '2']]);
    expect(d.tableEntries).toEqual([['b', '2']]);
    expect(d.tableMaxSize).toBe(34);
    // Two updates in a row (0, then back to 4096): the table is emptied, then may grow again.
    d.decode(Buffer.from([0x20, 0x3f, 0xe1, 0x1f]));
    expect(d.tableEntries).toEqual([]);
    expect(d.tableMaxSize).toBe(4096);
    d.decode(indexedLiteral('c', '3'));
    expect(d.tableEntries).toEqual([['c', '3']]);
  });
});

describe('HPACK Huffman code', () => {
  it('holds 257 codes and decodes every single octet', () => {
    expect(HUFFMAN_CODES.length).toBe(257);
    expect(HUFFMAN_LENGTHS[EOS]).toBe(30);
    for (let b = 0; b < 256; b++) {
      const s = String.fromCharCode(b);
      const buf = Buffer.alloc(huffmanEncodedLength(s));
      expect(encodeHuffman(s, buf, 0)).toBe(buf.length);
      expect(decodeHuffman(buf, 0, buf.length)).toBe(s);
    }
  });

  it('encodes the RFC examples bit-exactly and round-trips all octets', () => {
    const enc = (s: string) => {
      const buf = Buffer.alloc(huffmanEncodedLength(s));
      encodeHuffman(s, buf, 0);
      return buf.toString('hex');
    };
    expect(enc('www.example.com')).toBe('f1e3c2e5f23a6ba0ab90f4ff');
    expect(enc('no-cache')).toBe('a8eb10649cbf');
    expect(enc('Mon, 21 Oct 2013 20:13:21 GMT')).toBe('d07abe941054d444a8200595040b8166e082a62d1bff');
    let all = '';
    for (let b = 0; b < 256; b++) all += String.fromCharCode(b, 255 - b, b);
    const buf = Buffer.alloc(huffmanEncodedLength(all));
    encodeHuffman(all, buf, 0);
    expect(decodeHuffman(buf, 0, buf.length)).toBe(all);
    expect(decodeHuffman(Buffer.alloc(0), 0, 0)).toBe('');
  });
});

describe('HPACK encoder', () => {
  const enc = new HpackEncoder();

  it('uses an indexed field for an exact static match and an indexed name otherwise', () => {
    expect(enc.encode([[':method', 'GET']]).toString('hex')).toBe('82');
    expect(enc.encode([[':authority', '']]).toString('hex')).toBe('81');
    // content-type is static index 31: 0000 1111 then 31 - 15 = 16, then the plain value.
    expect(enc.encode([['content-type', 'application/grpc']]).toString('hex')).toBe(
      '0f10' + '10' + Buffer.from('application/grpc').toString('hex'),
    );
    // :path is index 4: fits the 4-bit prefix.
    expect(enc.encode([[':path', '/x']]).toString('hex')).toBe('0402' + '2f78');
    expect(enc.encode([['grpc-status', '0']]).toString('hex')).toBe('000b' + Buffer.from('grpc-status').toString('hex') + '0130');
    expect(enc.encode([]).length).toBe(0);
  });

  it('round-trips through the decoder without touching its dynamic table', () => {
    const d = new HpackDecoder();
    let latin1 = '';
    for (let b = 0; b < 256; b++) latin1 += String.fromCharCode(b);
    const lists: Header[][] = [
      [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-encoding', 'identity']],
      [['x-empty', ''], ['', ''], ['cache-control', ''], ['x-latin1', latin1], ['caf\xe9', 'na\xefve\xff\x80']],
      [['x-long', 'v'.repeat(127)], ['x-longer', 'w'.repeat(128)], ['x-3-octet-length', 'z'.repeat(20_000)]],
      [['x-' + 'n'.repeat(300), 'value'], ['grpc-trace-bin', Buffer.from([0, 1, 2, 250]).toString('base64')]],
    ];
    for (const list of lists) {
      expect(d.decode(enc.encode(list))).toEqual(list);
      expect(d.tableSize).toBe(0);
    }
  });

  it('rejects characters above U+00FF and non-string values with a clear error', () => {
    expect(() => enc.encode([['x-snowman', '\u2603']])).toThrow(/header 0 \("x-snowman"\) has a character above U\+00FF/);
    expect(() => enc.encode([['ok', 'ok'], ['x', 5 as unknown as string]])).toThrow(HpackError);
  });
});

describe('HPACK decoder: malformed blocks', () => {
  const cases: [string, string, RegExp][] = [
    ['indexed field with index 0', '80', /index 0 is not valid/],
    ['literal name index 0 is a new name, but a missing name string', '40', /string literal is missing/],
    ['index past the static table with an empty dynamic table', 'be', /index 62 is past the table/],
    ['far index (2-octet integer)', 'ff 20', /index 159 is past the table/],
    ['truncated integer', 'ff', /integer is truncated/],
    ['truncated integer continuation', 'ff 80 80', /integer is truncated/],
    ['integer with too many continuation octets', 'ff 80 80 80 80 80 80 01', /integer is too long/],
    ['integer above 2^32 - 1', '0f 80 80 80 80 10', /exceeds 2\^32 - 1/],
    ['truncated string', '00 05 61 62', /string literal of 5 octets is truncated \(2 left\)/],
    ['string length far beyond the block', '00 7f 80 80 80 80 0f', /string literal of 4026531967 octets is truncated/],
    ['missing value', '00 01 61', /string literal is missing/],
    ['Huffman string with EOS (30 one-bits) inside', '00 84 ff ff ff fc 01 61', /EOS/],
    ['Huffman padding of 8 bits', '00 82 1f ff 01 61', /padding/],
    ['Huffman padding not all ones', '00 81 1e 01 61', /padding/],
    ['table size update above the maximum', '3f e2 1f', /size update to 4097 exceeds the maximum 4096/],
    ['table size update after a field', '82 20', /size update after a header field/],
  ];
  it.each(cases)('%s -> HpackError', (_name, block, message) => {
    expectHpackError(new HpackDecoder(), hex(block), message);
  });

  it('accepts Huffman padding of 1 to 7 one-bits, and a 2^32 - 1 integer up to the bound check', () => {
    // 'a' is 00011: one 'a' + 3 padding bits = 0x1f; five 'a' (25 bits) + 7 padding bits = 18 c6 31 ff.
    expect(new HpackDecoder().decode(hex('00 81 1f 00'))).toEqual([['a', '']]);
    expect(new HpackDecoder().decode(hex('00 84 18 c6 31 ff 00'))).toEqual([['aaaaa', '']]);
    // '0' is 00000: three of them (15 bits) + 1 padding bit = 00 01.
    expect(new HpackDecoder().decode(hex('00 82 00 01 00'))).toEqual([['000', '']]);
    // A size update of 2^32 - 1 passes integer decoding and fails only on the advertised bound.
    expectHpackError(new HpackDecoder(), hex('3f e0 ff ff ff 0f'), /size update to 4294967295 exceeds/);
  });

  it('is unusable after an error (the connection must be closed)', () => {
    const d = new HpackDecoder();
    expectHpackError(d, hex('80'), /index 0/);
    expectHpackError(d, hex('82'), /unusable after an earlier error: HPACK index 0/);
  });

  it('mutated valid blocks either decode or fail with a deliberate HpackError (never a stray exception)', () => {
    const seeds = [
      '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6',
      '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
    ].map(hex);
    let rng = 12345;
    const rand = (n: number) => ((rng = (rng * 1103515245 + 12345) & 0x7fffffff) % n);
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const block = Buffer.from(seeds[rand(seeds.length)]);
      for (let k = 1 + rand(3); k > 0; k--) block[rand(block.length)] = rand(256);
      const cut = rand(4) === 0 ? rand(block.length) : block.length;
      try {
        const headers = new HpackDecoder(256).decode(block.subarray(0, cut));
        expect(Array.isArray(headers)).toBe(true);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(HpackError);
        // The catch-all wrapper would say "decoding failed": every rejection must be a checked one.
        expect((err as Error).message).not.toMatch(/decoding failed/);
        rejected++;
      }
    }
    expect(decoded).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});

// ---- interop with node's HTTP/2 client (nghttp2: Huffman + dynamic table) over a raw socket ----

const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/**
 * A minimal server side: skips the preface, answers SETTINGS, reassembles header blocks
 * (HEADERS + CONTINUATION, padding and priority stripped) and hands each to onBlock.
 */
function rawH2Server(onBlock: (socket: net.Socket, streamId: number, block: Buffer) => void) {
  return net.createServer(socket => {
    let pending = Buffer.alloc(0);
    let sawPreface = false;
    let fragments: Buffer[] = [];
    let blockStream = 0;
    socket.on('data', chunk => {
      pending = Buffer.concat([pending, chunk]);
      if (!sawPreface) {
        if (pending.length < PREFACE.length) return;
        if (!pending.subarray(0, PREFACE.length).equals(PREFACE)) throw new Error('bad client preface');
        pending = pending.subarray(PREFACE.length);
        sawPreface = true;
      }
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const type = pending[3];
        const flags = pending[4];
        const streamId = pending.readUInt32BE(5) & 0x7fffffff;
        let payload = pending.subarray(9, 9 + length);
        pending = pending.subarray(9 + length);
        if (type === FRAME_SETTINGS && !(flags & FLAG_ACK)) {
          socket.write(Buffer.concat([frame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0)), frame(FRAME_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0))]));
        } else if (type === FRAME_HEADERS) {
          if (flags & FLAG_PADDED) payload = payload.subarray(1, payload.length - payload[0]);
          if (flags & FLAG_PRIORITY) payload = payload.subarray(5);
          fragments = [payload];
          blockStream = streamId;
        } else if (type === FRAME_CONTINUATION) {
          fragments.push(payload);
        } else {
          continue;
        }
        if ((type === FRAME_HEADERS || type === FRAME_CONTINUATION) && flags & FLAG_END_HEADERS) {
          onBlock(socket, blockStream, Buffer.concat(fragments));
          fragments = [];
        }
      }
    });
    socket.on('error', () => undefined);
  });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('HPACK interop with node:http2', () => {
  it('decodes the header blocks of node client requests (Huffman, dynamic table, CONTINUATION)', async () => {
    const decoder = new HpackDecoder();
    const blocks: { streamId: number; size: number; raw: Buffer; headers: Header[] }[] = [];
    let done: () => void;
    const allSeen = new Promise<void>(resolve => (done = resolve));
    const requests: http2.OutgoingHttpHeaders[] = [];
    const server = rawH2Server((_socket, streamId, block) => {
      blocks.push({ streamId, size: block.length, raw: block, headers: decoder.decode(block) });
      if (blocks.length === requests.length) done();
    });
    const port = await listen(server);
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => undefined);
    try {
      const grpc = {
        ':method': 'POST',
        ':scheme': 'http',
        ':path': '/mk8s.core.v1.Pods/Watch',
        ':authority': `127.0.0.1:${port}`,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '30S',
        'user-agent': 'mk8s-test/1.0',
      };
      requests.push(grpc, grpc, grpc);
      requests.push({ ...grpc, ':path': '/mk8s.core.v1.Pods/List', 'x-trace-bin': Buffer.from([0, 0xff, 0x10, 0x80]).toString('base64') });
      requests.push({ ...grpc, 'x-latin1': 'caf\xe9 na\xefve', 'x-empty': '' });
      // 20,000 octets: more than the 16,384 default frame size, so the block needs CONTINUATION.
      requests.push({ ...grpc, 'x-long': 'L'.repeat(20_000) });
      requests.push(grpc);
      for (const headers of requests) client.request(headers, { endStream: true }).on('error', () => undefined);
      await allSeen;
    } finally {
      client.destroy();
      server.close();
    }
    const sorted = (list: Header[]) => [...list].sort((a, b) => (a[0] + '\0' + a[1] < b[0] + '\0' + b[1] ? -1 : 1));
    blocks.forEach((b, i) => {
      const sent = Object.entries(requests[i]).map(([n, v]) => [n, String(v)] as Header);
      expect(sorted(b.headers)).toEqual(sorted(sent));
      expect(b.streamId).toBe(1 + 2 * i);
    });
    // The repeated requests are sent as references into the dynamic table: a few octets only.
    // The repeated request refers into the dynamic table (nghttp2 never indexes :path, hence not tiny):
    // a decoder without the first block's state must reject it.
    expect(blocks[1].size).toBeLessThan(blocks[0].size / 2);
    expectHpackError(new HpackDecoder(), blocks[1].raw, /past the table/);
    expect(blocks[5].size).toBeGreaterThan(16_384);
    expect(decoder.tableSize).toBeGreaterThan(0);
  });

  it('node client accepts a response header block from HpackEncoder', async () => {
    const encoder = new HpackEncoder();
    const response: Header[] = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '0'],
      ['grpc-message', 'all good'],
      ['cache-control', ''],
      ['x-latin1', 'caf\xe9'],
      ['x-long', 'r'.repeat(300)],
    ];
    const server = rawH2Server((socket, streamId) => {
      socket.write(frame(FRAME_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, streamId, encoder.encode(response)));
    });
    const port = await listen(server);
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => undefined);
    try {
      const got = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': '/x' }, { endStream: true });
        req.on('response', resolve);
        req.on('error', reject);
      });
      expect(got[':status']).toBe(200);
      expect(got['content-type']).toBe('application/grpc');
      expect(got['grpc-status']).toBe('0');
      expect(got['grpc-message']).toBe('all good');
      expect(got['cache-control']).toBe('');
      expect(got['x-latin1']).toBe('caf\xe9');
      expect(got['x-long']).toBe('r'.repeat(300));
    } finally {
      client.destroy();
      server.close();
    }
  });
});
