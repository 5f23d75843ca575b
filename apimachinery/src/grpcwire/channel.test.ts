// The channel against in-process HTTP/2 servers on loopback (a fake gRPC server written on node:http2).
import http2 from 'node:http2';
import net from 'node:net';
import { GrpcChannel, parseTarget, StreamHandler } from './channel';
import { frameMessage, MessageDecoder } from './framing';
import { Code, GrpcError, percentEncode } from './status';
import { MessageQueue } from './queue';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, messages: MessageQueue) => void;

interface Fake { port: number; target: string; sessions: Set<http2.ServerHttp2Session>; close(): Promise<void> }

/** A server that hands each stream's decoded request messages to the handler for its path. */
async function fakeServer(routes: Record<string, Handler>): Promise<Fake> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', s => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  server.on('stream', (stream, headers) => {
    const q = new MessageQueue();
    const d = new MessageDecoder();
    stream.on('data', (c: Buffer) => d.push(c, q));
    stream.on('end', () => q.onEnd(null));
    stream.on('error', () => undefined);
    const h = routes[headers[':path'] as string];
    if (!h) { stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' }, { endStream: true }); return; }
    h(stream, headers, q);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port, target: `127.0.0.1:${port}`, sessions,
    close: () => new Promise<void>(r => { for (const s of sessions) s.destroy(); server.close(() => r()); }),
  };
}

const ok = (stream: http2.ServerHttp2Stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
const endWith = (stream: http2.ServerHttp2Stream, code: number, message = '') => {
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(code), ...(message ? { 'grpc-message': percentEncode(message) } : {}) }));
  stream.end();
};

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise(r => s.close(r));
  return port;
}

const caught = async (p: Promise<unknown>): Promise<GrpcError> => {
  try { await p; } catch (e) { return e as GrpcError; }
  throw new Error('expected the call to fail');
};

let fake: Fake;
const seen: http2.IncomingHttpHeaders[] = [];
beforeAll(async () => {
  fake = await fakeServer({
    '/t.S/Echo': async (stream, headers, q) => {
      seen.push(headers);
      const m = (await q.next())!;
      ok(stream);
      // the reply split over three writes, the prefix itself cut in two
      const f = frameMessage(Buffer.concat([Buffer.from('echo:'), m]));
      stream.write(f.subarray(0, 2)); stream.write(f.subarray(2, 6)); stream.write(f.subarray(6));
      endWith(stream, 0);
    },
    '/t.S/Fail': (stream) => { ok(stream); endWith(stream, Code.FAILED_PRECONDITION, 'mvcc: 100% compacted'); },
    '/t.S/TrailersOnly': (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not%20here' }, { endStream: true });
    },
    '/t.S/Never': () => undefined,
    '/t.S/Big': async (stream, _h, q) => {
      const n = (await q.next())!.readUInt32BE(0);
      ok(stream);
      stream.write(frameMessage(Buffer.alloc(n, 0x61)));
      endWith(stream, 0);
    },
    '/t.S/Count': async (stream, _h, q) => {
      const n = (await q.next())!.readUInt32BE(0);
      ok(stream);
      // several messages per write
      const all = Buffer.concat(Array.from({ length: n }, (_, i) => frameMessage(Buffer.from(`m${i}`))));
      stream.write(all);
      endWith(stream, 0);
    },
    '/t.S/Chat': async (stream, _h, q) => {
      ok(stream);
      for await (const m of q) stream.write(frameMessage(Buffer.from(`re:${m}`)));
      endWith(stream, 0); // after the client half-closed
    },
    '/t.S/Hold': (stream) => {
      ok(stream);
      stream.write(frameMessage(Buffer.from('first')));
      stream.on('close', () => { cancelledCodes.push(stream.rstCode); });
    },
    '/t.S/Drop': (stream) => { ok(stream); stream.write(frameMessage(Buffer.from('x')).subarray(0, 3)); setTimeout(() => stream.session?.destroy(), 20); },
    '/t.S/Slow': (stream) => { setTimeout(() => { if (stream.closed) return; ok(stream); stream.write(frameMessage(Buffer.from('late'))); endWith(stream, 0); }, 150); },
    '/t.S/NotGrpc': (stream) => { stream.respond({ ':status': 503, 'content-type': 'text/plain' }); stream.end('busy'); },
  });
});
afterAll(() => fake.close());
const cancelledCodes: (number | undefined)[] = [];

class Collect implements StreamHandler {
  msgs: string[] = [];
  end?: GrpcError | null;
  ended: Promise<void>;
  private done!: () => void;
  constructor() { this.ended = new Promise(r => (this.done = r)); }
  onMessage(m: Buffer) { this.msgs.push(m.toString()); }
  onEnd(e: GrpcError | null) { this.end = e; this.done(); }
}

describe('GrpcChannel', () => {
  let ch: GrpcChannel;
  beforeAll(() => { ch = new GrpcChannel(fake.target); });
  afterAll(() => ch.close());

  it('parses targets and refuses bad ones', () => {
    expect(parseTarget('http://127.0.0.1:2379')).toEqual({ authority: '127.0.0.1:2379', url: 'http://127.0.0.1:2379', host: '127.0.0.1', port: 2379 });
    expect(parseTarget('[::1]:80')).toMatchObject({ authority: '[::1]:80', host: '::1', port: 80 });
    expect(() => parseTarget('localhost')).toThrow(/host:port/);
    expect(() => parseTarget('https://a:1')).toThrow(/TLS/);
    expect(() => new GrpcChannel([])).toThrow(/at least one target/);
  });

  it('makes a unary call, sending grpc headers, metadata and the timeout', async () => {
    const r = await ch.unary('/t.S/Echo', Buffer.from('hi'), { deadlineMs: 3000, metadata: { 'x-who': 'me', 'x-raw-bin': Buffer.from([0, 1]) } });
    expect(r.toString()).toBe('echo:hi');
    const h = seen[seen.length - 1];
    expect(h['content-type']).toBe('application/grpc');
    expect(h.te).toBe('trailers');
    expect(h['x-who']).toBe('me');
    expect(h['x-raw-bin']).toBe(Buffer.from([0, 1]).toString('base64'));
    expect(h['grpc-timeout']).toMatch(/^\d+m$/);
    expect(Number(String(h['grpc-timeout']).slice(0, -1))).toBeLessThanOrEqual(3000);
  });

  it('refuses reserved metadata keys and a framed request without room for the prefix', async () => {
    expect((await caught(ch.unary('/t.S/Echo', Buffer.from('x'), { metadata: { ':path': '/evil' } }))).message).toMatch(/reserved/);
    expect((await caught(ch.unary('/t.S/Echo', Buffer.alloc(3), { framed: true }))).message).toMatch(/5 bytes/);
    expect(() => ch.bidiStream('/t.S/Chat', new Collect(), { metadata: { te: 'x' } })).toThrow(/reserved/);
  });

  it('accepts a request framed by the caller', async () => {
    const req = Buffer.alloc(5 + 3);
    req.write('abc', 5);
    expect((await ch.unary('/t.S/Echo', req, { framed: true })).toString()).toBe('echo:abc');
  });

  it('turns trailers into a GrpcError with the percent-decoded message', async () => {
    const e = await caught(ch.unary('/t.S/Fail', Buffer.alloc(0)));
    expect(e).toBeInstanceOf(GrpcError);
    expect(e.code).toBe(Code.FAILED_PRECONDITION);
    expect(e.details).toBe('mvcc: 100% compacted');
  });

  it('reads a trailers-only response and an unknown method', async () => {
    const e = await caught(ch.unary('/t.S/TrailersOnly', Buffer.alloc(0)));
    expect([e.code, e.details]).toEqual([Code.NOT_FOUND, 'not here']);
    expect((await caught(ch.unary('/t.S/Nope', Buffer.alloc(0)))).code).toBe(Code.UNIMPLEMENTED);
  });

  it('maps a non-gRPC HTTP answer by its status', async () => {
    expect((await caught(ch.unary('/t.S/NotGrpc', Buffer.alloc(0)))).code).toBe(Code.UNAVAILABLE);
  });

  it('fails with DEADLINE_EXCEEDED when the deadline passes', async () => {
    const t0 = Date.now();
    const e = await caught(ch.unary('/t.S/Never', Buffer.alloc(0), { deadlineMs: 150 }));
    expect(e.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('receives a 20 MB message spread over many DATA frames', async () => {
    const n = Buffer.alloc(4); n.writeUInt32BE(20 * 1024 * 1024);
    const r = await ch.unary('/t.S/Big', n, { deadlineMs: 10_000 });
    expect(r.length).toBe(20 * 1024 * 1024);
    expect(r[0]).toBe(0x61);
    expect(r[r.length - 1]).toBe(0x61);
  });

  it('sends a request larger than the copy limit', async () => {
    const big = Buffer.alloc(300_000, 0x62);
    const r = await ch.unary('/t.S/Echo', big);
    expect(r.length).toBe(300_005);
    expect(r.subarray(5).equals(big)).toBe(true);
  });

  it('streams server messages, several per DATA frame, in order', async () => {
    const n = Buffer.alloc(4); n.writeUInt32BE(500);
    const c = new Collect();
    ch.serverStream('/t.S/Count', n, c);
    await c.ended;
    expect(c.end).toBeNull();
    expect(c.msgs).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  });

  it('runs a bidi call to its end after the client half-closes', async () => {
    const c = new Collect();
    const call = ch.bidiStream('/t.S/Chat', c);
    call.write(Buffer.from('a'));
    call.write(Buffer.from('b'));
    call.end();
    expect(call.write(Buffer.from('late'))).toBe(false);
    await c.ended;
    expect(c.end).toBeNull();
    expect(c.msgs).toEqual(['re:a', 're:b']);
  });

  it('cancels with RST_STREAM CANCEL and reports CANCELLED', async () => {
    const c = new Collect();
    const call = ch.serverStream('/t.S/Hold', Buffer.alloc(0), c);
    while (!c.msgs.length) await new Promise(r => setTimeout(r, 5));
    call.cancel();
    await c.ended;
    expect(c.end!.code).toBe(Code.CANCELLED);
    while (!cancelledCodes.length) await new Promise(r => setTimeout(r, 5));
    expect(cancelledCodes[0]).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('fails open calls with UNAVAILABLE when the connection drops, then reconnects', async () => {
    const c = new Collect();
    ch.serverStream('/t.S/Drop', Buffer.alloc(0), c);
    await c.ended;
    expect(c.end!.code).toBe(Code.UNAVAILABLE);
    expect(c.end!.message).toContain('UNAVAILABLE');
    expect((await ch.unary('/t.S/Echo', Buffer.from('again'))).toString()).toBe('echo:again');
  });

  it('moves to a new session after GOAWAY', async () => {
    await ch.unary('/t.S/Echo', Buffer.from('1'));
    const before = [...fake.sessions];
    for (const s of before) s.goaway();
    await new Promise(r => setTimeout(r, 50));
    expect((await ch.unary('/t.S/Echo', Buffer.from('2'))).toString()).toBe('echo:2');
    expect([...fake.sessions].some(s => !before.includes(s))).toBe(true);
  });

  it('lets a call finish on a session draining after GOAWAY while new calls use a new one', async () => {
    await ch.unary('/t.S/Echo', Buffer.from('warm'));
    const slow = ch.unary('/t.S/Slow', Buffer.alloc(0), { deadlineMs: 3000 });
    await new Promise(r => setTimeout(r, 30));
    for (const s of fake.sessions) s.goaway(0, 1 << 30); // last stream id: everything open may finish
    await new Promise(r => setTimeout(r, 20));
    expect((await ch.unary('/t.S/Echo', Buffer.from('new'))).toString()).toBe('echo:new');
    expect((await slow).toString()).toBe('late');
  });
});

describe('GrpcChannel connection failures', () => {
  it('fails with UNAVAILABLE when nothing listens', async () => {
    const ch = new GrpcChannel(`127.0.0.1:${await freePort()}`);
    const e = await caught(ch.unary('/t.S/Echo', Buffer.from('x'), { deadlineMs: 2000 }));
    expect(e.code).toBe(Code.UNAVAILABLE);
    expect(e.message).toMatch(/UNAVAILABLE.*ECONNREFUSED/);
    ch.close();
  });

  it('fails over from a dead first target to a live one', async () => {
    const ch = new GrpcChannel([`http://127.0.0.1:${await freePort()}`, fake.target]);
    for (let i = 0; i < 5; i++) expect((await ch.unary('/t.S/Echo', Buffer.from(`${i}`), { deadlineMs: 2000 })).toString()).toBe(`echo:${i}`);
    ch.close();
  });

  it('goes round-robin over live targets', async () => {
    const other = await fakeServer({ '/t.S/Echo': async (stream, _h, q) => { const m = (await q.next())!; ok(stream); stream.write(frameMessage(Buffer.from(`other:${m}`))); endWith(stream, 0); } });
    const ch = new GrpcChannel([fake.target, other.target]);
    const replies = new Set<string>();
    for (let i = 0; i < 6; i++) replies.add((await ch.unary('/t.S/Echo', Buffer.from('r'))).toString());
    expect([...replies].sort()).toEqual(['echo:r', 'other:r']);
    ch.close();
    await other.close();
  });

  it('closes a session whose peer stops answering keepalive pings', async () => {
    // accepts TCP and never speaks HTTP/2: the request is sent, nothing ever comes back
    const socks: net.Socket[] = [];
    const mute = net.createServer(sock => { socks.push(sock); sock.on('error', () => undefined); });
    await new Promise<void>(r => mute.listen(0, '127.0.0.1', r));
    const ch = new GrpcChannel(`127.0.0.1:${(mute.address() as net.AddressInfo).port}`, { keepaliveTimeMs: 100, keepaliveTimeoutMs: 100 });
    const t0 = Date.now();
    const c = new Collect();
    ch.serverStream('/t.S/Hold', Buffer.alloc(0), c);
    await c.ended;
    expect(c.end!.code).toBe(Code.UNAVAILABLE);
    expect(c.end!.message).toMatch(/keepalive/);
    expect(Date.now() - t0).toBeLessThan(2000);
    ch.close();
    for (const s of socks) s.destroy();
    await new Promise(r => mute.close(r));
  });

  it('fails calls on a closed channel', async () => {
    const ch = new GrpcChannel(fake.target);
    ch.close();
    expect((await caught(ch.unary('/t.S/Echo', Buffer.from('x')))).code).toBe(Code.UNAVAILABLE);
  });
});
