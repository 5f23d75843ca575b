import { DATA, FrameReader, H2Error, PING, frame } from './frames';

type Got = [number, number, number, string];
function readAll(chunks: Buffer[], max = 1 << 20): Got[] {
  const r = new FrameReader(max);
  const got: Got[] = [];
  for (const c of chunks) r.push(c, (t, f, id, p) => { got.push([t, f, id, p.toString()]); });
  return got;
}

test('frames come out whole however the bytes are cut', () => {
  const bytes = Buffer.concat([frame(DATA, 1, 3, Buffer.from('hello')), frame(PING, 0, 0, Buffer.from('12345678')), frame(DATA, 0, 5, Buffer.alloc(0))]);
  const want: Got[] = [[DATA, 1, 3, 'hello'], [PING, 0, 0, '12345678'], [DATA, 0, 5, '']];
  expect(readAll([bytes])).toEqual(want);
  for (let cut = 1; cut < bytes.length; cut++) expect(readAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(want);
  expect(readAll([...bytes].map(b => Buffer.from([b])))).toEqual(want);
});

test('a large frame in many reads is joined once it is complete', () => {
  const big = frame(DATA, 0, 1, Buffer.alloc(300_000, 'z'));
  const chunks: Buffer[] = [];
  for (let at = 0; at < big.length; at += 65_536) chunks.push(big.subarray(at, at + 65_536));
  const got = readAll(chunks);
  expect(got.length).toBe(1);
  expect(got[0][3]).toBe('z'.repeat(300_000));
});

test('a frame over the limit is refused from its header alone', () => {
  const r = new FrameReader(16_384);
  const header = frame(DATA, 0, 1, Buffer.alloc(20_000)).subarray(0, 9);
  expect(() => r.push(header.subarray(0, 4), () => undefined)).not.toThrow();
  expect(() => r.push(header.subarray(4), () => undefined)).toThrow(H2Error);
});
