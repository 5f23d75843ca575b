import { MessageDecoder, frameMessage, MESSAGE_HEADER_BYTES } from './framing';
import { GrpcError, percentDecode, percentEncode, statusFromHeaders, Code } from './status';

function collect(chunks: Buffer[], max?: number): Buffer[] {
  const out: Buffer[] = [];
  const d = new MessageDecoder(max);
  for (const c of chunks) d.push(c, { onMessage: m => out.push(Buffer.from(m)) });
  expect(d.partial).toBe(false);
  return out;
}
/** Buffer-wise comparison (jest's toEqual walks 70 KB buffers byte by byte, slowly). */
const same = (a: Buffer[], b: Buffer[]) => a.length === b.length && a.every((x, i) => x.equals(b[i]));

describe('gRPC message framing', () => {
  const msgs = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('x')];
  const wire = Buffer.concat(msgs.map(frameMessage));

  it('prefixes a message with flag 0 and its big-endian length', () => {
    const f = frameMessage(Buffer.from('abc'));
    expect([...f.subarray(0, MESSAGE_HEADER_BYTES)]).toEqual([0, 0, 0, 0, 3]);
    expect(f.subarray(5).toString()).toBe('abc');
  });

  it('reads several messages from one chunk', () => {
    expect(same(collect([wire]), msgs)).toBe(true);
  });

  it('reads messages split at every possible chunk size, including inside the 5-byte prefix', () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 13, 4096, 65_535]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
      expect(same(collect(chunks), msgs)).toBe(true);
    }
  });

  it('hands a message held whole by one chunk over without copying', () => {
    const chunk = frameMessage(Buffer.from('view'));
    let got: Buffer | undefined;
    new MessageDecoder().push(chunk, { onMessage: m => (got = m) });
    expect(got!.buffer).toBe(chunk.buffer);
  });

  it('reports a partial message', () => {
    const d = new MessageDecoder();
    d.push(frameMessage(Buffer.from('abcdef')).subarray(0, 7), { onMessage: () => { throw new Error('no message yet'); } });
    expect(d.partial).toBe(true);
  });

  it('refuses compressed messages and bad flags', () => {
    const f = frameMessage(Buffer.from('z'));
    f[0] = 1;
    expect(() => collect([f])).toThrow(/compressed/);
    f[0] = 9;
    expect(() => collect([f])).toThrow(/flag byte 9/);
  });

  it('refuses a message above the size limit before buffering it', () => {
    const f = frameMessage(Buffer.alloc(100));
    try { collect([f.subarray(0, 10)], 50); throw new Error('expected a throw'); } catch (e) {
      expect(e).toBeInstanceOf(GrpcError);
      expect((e as GrpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
    }
  });
});

describe('gRPC status', () => {
  it('percent-decodes grpc-message, leaving malformed escapes', () => {
    expect(percentDecode('a%20b%C3%A9%')).toBe('a bé%');
    expect(percentDecode('100%zz')).toBe('100%zz');
    expect(percentDecode(percentEncode('50% done: é\n'))).toBe('50% done: é\n');
    expect(percentEncode('a%b')).toBe('a%25b');
  });

  it('reads the status, message and binary details from trailers', () => {
    const err = statusFromHeaders({ 'grpc-status': '9', 'grpc-message': 'etcdserver:%20mvcc', 'grpc-status-details-bin': Buffer.from([1, 2, 3]).toString('base64'), 'x-extra': 'v' })!;
    expect(err).toBeInstanceOf(GrpcError);
    expect(err.code).toBe(9);
    expect(err.details).toBe('etcdserver: mvcc');
    expect(err.message).toBe('9 FAILED_PRECONDITION: etcdserver: mvcc');
    expect([...err.statusDetails!]).toEqual([1, 2, 3]);
    expect(err.metadata['x-extra']).toBe('v');
  });

  it('is null for OK and UNKNOWN for a garbled grpc-status', () => {
    expect(statusFromHeaders({ 'grpc-status': '0' })).toBeNull();
    expect(statusFromHeaders({ 'grpc-status': 'abc' })!.code).toBe(Code.UNKNOWN);
  });
});
