import { DATA, END_STREAM, FrameReader, H2Error, PADDED, PING, frame } from './frames';

type Got = [number, number, number, string, boolean];
function readAll(chunks: Buffer[], max = 1 << 20): Got[] {
  const r = new FrameReader(max);
  const got: Got[] = [];
  for (const c of chunks) r.push(c, (t, f, id, p, more) => { got.push([t, f, id, p.toString(), more]); });
  return got;
}
/** The pieces of each DATA frame joined again (pieces with more=true end at the next more=false). */
function joined(got: Got[]): [number, number, number, string][] {
  const out: [number, number, number, string][] = [];
  let acc = '';
  for (const [t, f, id, p, more] of got) {
    if (more) { expect(f & END_STREAM).toBe(0); acc += p; continue; }
    out.push([t, f, id, acc + p]);
    acc = '';
  }
  return out;
}

test('frames come out whole however the bytes are cut (DATA possibly in pieces)', () => {
  const bytes = Buffer.concat([frame(DATA, 1, 3, Buffer.from('hello')), frame(PING, 0, 0, Buffer.from('12345678')), frame(DATA, 0, 5, Buffer.alloc(0))]);
  const want: [number, number, number, string][] = [[DATA, 1, 3, 'hello'], [PING, 0, 0, '12345678'], [DATA, 0, 5, '']];
  expect(readAll([bytes]).map(g => g.slice(0, 4))).toEqual(want);
  for (let cut = 1; cut < bytes.length; cut++) expect(joined(readAll([bytes.subarray(0, cut), bytes.subarray(cut)]))).toEqual(want);
  expect(joined(readAll([...bytes].map(b => Buffer.from([b]))))).toEqual(want);
});

test('a large DATA frame over many reads is handed over in pieces, END_STREAM on the last; a padded one is joined', () => {
  const big = frame(DATA, END_STREAM, 1, Buffer.alloc(300_000, 'z'));
  const chunks: Buffer[] = [];
  for (let at = 0; at < big.length; at += 65_536) chunks.push(big.subarray(at, at + 65_536));
  const got = readAll(chunks);
  expect(got.length).toBe(chunks.length);
  expect(got.slice(0, -1).every(g => g[4] === true)).toBe(true);
  expect(joined(got)).toEqual([[DATA, END_STREAM, 1, 'z'.repeat(300_000)]]);

  const padded = frame(DATA, PADDED, 3, Buffer.concat([Buffer.from([4]), Buffer.from('abc'), Buffer.alloc(4)]));
  const pieces = readAll([padded.subarray(0, 11), padded.subarray(11)]);
  expect(pieces.length).toBe(1);
  expect(pieces[0][4]).toBe(false);
});

test('a frame over the limit is refused from its header alone', () => {
  const r = new FrameReader(16_384);
  const header = frame(PING, 0, 0, Buffer.alloc(20_000)).subarray(0, 9);
  expect(() => r.push(header.subarray(0, 4), () => undefined)).not.toThrow();
  expect(() => r.push(header.subarray(4), () => undefined)).toThrow(H2Error);
});
