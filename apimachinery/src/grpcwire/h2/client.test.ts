// The client connection against node's own HTTP/2 server (nghttp2) as the peer.
import http2 from 'node:http2';
import net from 'node:net';
import { H2ClientConnection, H2ClientStream, ResponseHeaders } from './client';
import { H2Code } from './frames';
import type { Header } from './hpack';
import { GrpcChannel } from '../channel';
import { frameMessage } from '../framing';

interface Peer { port: number; sessions: Set<http2.ServerHttp2Session>; close(): Promise<void> }

async function peer(onStream: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void, settings?: http2.Settings): Promise<Peer> {
  const server = http2.createServer({ settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', s => { sessions.add(s); s.on('close', () => sessions.delete(s)); s.on('error', () => undefined); });
  server.on('stream', (s, h) => { s.on('error', () => undefined); onStream(s, h); });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port, sessions,
    close: () => new Promise<void>(r => { for (const s of sessions) s.destroy(); server.close(() => r()); }),
  };
}

/** Reads the request body, answers with its length and a sha-free checksum (sum of bytes), then trailers. */
function echoLength(s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders): void {
  let n = 0, sum = 0;
  s.on('data', (c: Buffer) => { n += c.length; for (const b of c) sum = (sum + b) % 65521; });
  s.on('end', () => {
    if (s.closed) return;
    s.respond({ ':status': 200, 'x-path': String(h[':path']) }, { waitForTrailers: true });
    s.once('wantTrailers', () => s.sendTrailers({ 'x-done': 'yes' }));
    s.end(`${n}:${sum}`);
  });
}

interface Reply { headers?: ResponseHeaders; trailers?: ResponseHeaders; body: Buffer; stream: H2ClientStream }

function collect(s: H2ClientStream): Promise<Reply> {
  const parts: Buffer[] = [];
  const r: Reply = { body: Buffer.alloc(0), stream: s };
  return new Promise(resolve => {
    s.onheaders = (h, end) => { if (!r.headers) { r.headers = h; if (end) r.trailers = h; } else r.trailers = h; };
    s.ondata = c => parts.push(Buffer.from(c));
    s.onclose = () => { r.body = Buffer.concat(parts); resolve(r); };
  });
}

const reqHeaders = (port: number, path: string, extra: Header[] = []): Header[] =>
  [[':method', 'POST'], [':scheme', 'http'], [':authority', `127.0.0.1:${port}`], [':path', path], ...extra];

function connect(port: number, more: Partial<ConstructorParameters<typeof H2ClientConnection>[0]> = {}): Promise<H2ClientConnection> {
  return new Promise((resolve, reject) => {
    const c = new H2ClientConnection({ host: '127.0.0.1', port, onConnect: () => resolve(c), onClose: err => reject(err), ...more });
  });
}

const sumOf = (b: Buffer) => { let s = 0; for (const x of b) s = (s + x) % 65521; return s; };
const patterned = (n: number) => { const b = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 10)) & 0xff; return b; };

describe('H2ClientConnection', () => {
  let p: Peer;
  beforeAll(async () => {
    p = await peer((s, h) => {
      const path = String(h[':path']);
      if (path === '/big') {
        const n = Number(h['x-size']);
        s.respond({ ':status': 200 });
        s.end(patterned(n));
      } else if (path === '/bigheaders') {
        s.respond({ ':status': 200, 'x-large': 'v'.repeat(40_000), 'x-seen': String((h['x-huge'] as string | undefined)?.length ?? 0) }, { endStream: true });
      } else if (path === '/reset') {
        s.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      } else if (path === '/early') {
        // answers before the request has ended: the client resets its side (NO_ERROR) and the stream closes
        s.respond({ ':status': 200 }, { endStream: true });
      } else echoLength(s, h);
    });
  });
  afterAll(() => p.close());

  it('makes a request and reads headers, body and trailers', async () => {
    const c = await connect(p.port);
    const s = c.request(reqHeaders(p.port, '/echo', [['x-a', 'b']]));
    const r = collect(s);
    s.end(Buffer.from('hello'));
    const rep = await r;
    expect(rep.headers![':status']).toBe('200');
    expect(rep.headers!['x-path']).toBe('/echo');
    expect(rep.body.toString()).toBe(`5:${sumOf(Buffer.from('hello'))}`);
    expect(rep.trailers!['x-done']).toBe('yes');
    expect(s.id).toBe(1);
    expect(s.rstCode).toBeUndefined();
    c.destroy();
  });

  it('receives a body much larger than its windows, granting window back as it reads', async () => {
    const c = await connect(p.port, { streamWindow: 65_535, connectionWindow: 65_535, maxFrameSize: 16_384 });
    const n = 20 * 1024 * 1024;
    const s = c.request(reqHeaders(p.port, '/big', [['x-size', String(n)]]));
    const r = collect(s);
    s.end();
    const rep = await r;
    expect(rep.body.length).toBe(n);
    expect(rep.body.equals(patterned(n))).toBe(true);
    c.destroy();
  });

  it('sends a body larger than the server windows, both ways at once on several streams', async () => {
    const small = await peer(echoLength, { initialWindowSize: 1000, maxFrameSize: 16_384 });
    const c = await connect(small.port);
    const bodies = [patterned(3 * 1024 * 1024), patterned(100_000).reverse(), Buffer.alloc(0)];
    const replies = bodies.map(b => {
      const s = c.request(reqHeaders(small.port, '/echo'));
      const r = collect(s);
      // in pieces, the first larger than any window
      s.write(b.subarray(0, b.length >> 1));
      s.end(b.subarray(b.length >> 1));
      return r;
    });
    const got = await Promise.all(replies);
    got.forEach((rep, i) => expect(rep.body.toString()).toBe(`${bodies[i].length}:${sumOf(bodies[i])}`));
    c.destroy();
    await small.close();
  });

  it('splits a large request header block into CONTINUATION frames and joins a large response one', async () => {
    const c = await connect(p.port);
    const s = c.request(reqHeaders(p.port, '/bigheaders', [['x-huge', 'h'.repeat(50_000)]]));
    const r = collect(s);
    s.end();
    const rep = await r;
    expect(rep.headers!['x-seen']).toBe('50000');
    expect(rep.headers!['x-large']).toBe('v'.repeat(40_000));
    c.destroy();
  });

  it('refuses a header HTTP/2 cannot carry before anything is sent', async () => {
    const c = await connect(p.port);
    expect(() => c.request(reqHeaders(p.port, '/echo', [['x-bad', 'a\nb']]))).toThrow(/invalid value for header x-bad/);
    expect(() => c.request(reqHeaders(p.port, '/echo', [['X-Upper', 'a']]))).toThrow(/invalid header name/);
    const s = c.request(reqHeaders(p.port, '/echo'));
    const r = collect(s);
    s.end();
    expect(s.id).toBe(1); // the refused ones took no id
    expect((await r).headers![':status']).toBe('200');
    c.destroy();
  });

  it('reports the server RST_STREAM code, and keeps the connection', async () => {
    const c = await connect(p.port);
    const s = c.request(reqHeaders(p.port, '/reset'));
    const r = collect(s);
    s.end();
    expect((await r).stream.rstCode).toBe(H2Code.ENHANCE_YOUR_CALM);
    expect(s.refused).toBe(false);
    const s2 = c.request(reqHeaders(p.port, '/echo'));
    const r2 = collect(s2);
    s2.end(Buffer.from('x'));
    expect((await r2).body.toString()).toBe(`1:${sumOf(Buffer.from('x'))}`);
    c.destroy();
  });

  it('closes a stream answered before its request ended', async () => {
    const c = await connect(p.port);
    const s = c.request(reqHeaders(p.port, '/early'));
    const r = collect(s);
    s.write(Buffer.from('part'));
    const rep = await r;
    expect(rep.headers![':status']).toBe('200');
    expect(s.closed && s.remoteEnded).toBe(true);
    expect(s.write(Buffer.from('more'))).toBe(false);
    c.destroy();
  });

  it('cancels a stream with RST_STREAM CANCEL', async () => {
    let serverSaw: Promise<number | undefined> = Promise.resolve(undefined);
    const held = await peer(s => { serverSaw = new Promise(r => s.on('close', () => r(s.rstCode))); });
    const c = await connect(held.port);
    const s = c.request(reqHeaders(held.port, '/hold'));
    const closed = collect(s);
    s.write(Buffer.from('x'));
    await new Promise(r => setTimeout(r, 30));
    s.reset();
    await closed;
    expect(await serverSaw).toBe(http2.constants.NGHTTP2_CANCEL);
    c.destroy();
    await held.close();
  });

  it('runs many streams at once with odd increasing ids', async () => {
    const c = await connect(p.port);
    const streams = Array.from({ length: 300 }, (_, i) => {
      const s = c.request(reqHeaders(p.port, `/echo/${i}`));
      const r = collect(s);
      s.end(Buffer.from(String(i)));
      return { s, r };
    });
    const ids = streams.map(x => x.s.id);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => 2 * i + 1));
    const got = await Promise.all(streams.map(x => x.r));
    got.forEach((rep, i) => { expect(rep.headers!['x-path']).toBe(`/echo/${i}`); expect(rep.body.toString()).toBe(`${String(i).length}:${sumOf(Buffer.from(String(i)))}`); });
    expect(c.activeStreams).toBe(0);
    c.destroy();
  });

  it('queues streams beyond the server MAX_CONCURRENT_STREAMS', async () => {
    let open = 0, most = 0;
    const one = await peer((s, h) => {
      open++; most = Math.max(most, open);
      s.on('close', () => open--);
      setTimeout(() => echoLength(s, h), 10);
    }, { maxConcurrentStreams: 1 });
    const c = await connect(one.port);
    // the server's SETTINGS must have come before the limit is known
    await new Promise(r => setTimeout(r, 30));
    const replies = Array.from({ length: 5 }, (_, i) => {
      const s = c.request(reqHeaders(one.port, `/q${i}`));
      const r = collect(s);
      s.end(Buffer.from(`body${i}`));
      return r;
    });
    expect(c.activeStreams).toBe(5);
    const got = await Promise.all(replies);
    expect(got.map(g => g.headers!['x-path'])).toEqual(['/q0', '/q1', '/q2', '/q3', '/q4']);
    expect(got.map(g => g.stream.id)).toEqual([1, 3, 5, 7, 9]);
    expect(most).toBe(1);
    c.destroy();
    await one.close();
  });

  it('on GOAWAY finishes streams up to its last id and refuses the later ones', async () => {
    const waiting: http2.ServerHttp2Stream[] = [];
    const g = await peer(s => { waiting.push(s); });
    let goaway: [number, number] | undefined;
    const c = await connect(g.port, { onGoaway: (code, last) => { goaway = [code, last]; } });
    const a = c.request(reqHeaders(g.port, '/a')), b = c.request(reqHeaders(g.port, '/b'));
    const ra = collect(a), rb = collect(b);
    a.end(); b.end();
    while (waiting.length < 2) await new Promise(r => setTimeout(r, 5));
    for (const s of g.sessions) s.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    const repB = await rb;
    expect(goaway).toEqual([0, 1]);
    expect(repB.stream.refused).toBe(true);
    expect(() => c.request(reqHeaders(g.port, '/c'))).toThrow(/no new streams/);
    // stream 1 is still served
    waiting[0].respond({ ':status': 200 });
    waiting[0].end('done');
    const repA = await ra;
    expect(repA.body.toString()).toBe('done');
    expect(repA.stream.refused).toBe(false);
    await g.close();
  });

  it('answers the server PINGs and gets its own answered', async () => {
    const c = await connect(p.port);
    await new Promise<void>((resolve, reject) => c.ping(err => (err ? reject(err) : resolve())));
    const session = [...p.sessions].pop()!;
    const rtt = await new Promise<number>((resolve, reject) => session.ping((err, d) => (err ? reject(err) : resolve(d))));
    expect(rtt).toBeGreaterThanOrEqual(0);
    c.destroy();
  });

  it('tells open streams and pings why the connection went away', async () => {
    const p2 = await peer(() => undefined);
    let closedWith: Error | undefined;
    const c = await connect(p2.port, { onClose: e => { closedWith = e; } });
    const s = c.request(reqHeaders(p2.port, '/hang'));
    const r = collect(s);
    s.end();
    const pinged = new Promise<Error | null>(res => c.ping(res));
    await new Promise(res => setTimeout(res, 20));
    c.destroy(new Error('gave up'));
    await r;
    expect(s.connectionError?.message).toBe('gave up');
    expect(closedWith?.message).toBe('gave up');
    // the ping may have been answered before the destroy
    const pe = await pinged;
    if (pe) expect(pe.message).toBe('gave up');
    await p2.close();
  });

  it('reports a refused TCP connection', async () => {
    const srv = net.createServer();
    await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise(r => srv.close(r));
    const err = await connect(port).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/ECONNREFUSED/);
  });

  it('closes with a GOAWAY when the server breaks the protocol', async () => {
    // a "server" that sends a DATA frame as its first frame instead of SETTINGS
    const bad = net.createServer(sock => { sock.on('error', () => undefined); sock.resume(); sock.write(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0, 1, 0x61])); });
    await new Promise<void>(r => bad.listen(0, '127.0.0.1', r));
    let closedWith: Error | undefined;
    const closed = new Promise<void>(res => { void connect((bad.address() as net.AddressInfo).port, { onClose: e => { closedWith = e; res(); } }).catch(() => undefined); });
    await closed;
    expect(closedWith?.message).toMatch(/first frame must be SETTINGS/);
    await new Promise(r => bad.close(r));
  });

  it('lets GrpcChannel send a stream above GOAWAY last id again on a new connection', async () => {
    let sessionsSeen = 0;
    const answered: string[] = [];
    const seenSessions = new Map<http2.Http2Session, number>();
    const g = await peer((s, h) => {
      const sess = s.session!;
      if (!seenSessions.has(sess)) seenSessions.set(sess, ++sessionsSeen);
      const n = seenSessions.get(sess)!;
      const reply = () => {
        if (s.closed) return;
        answered.push(`${h[':path']}@${n}`);
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
        s.end(frameMessage(Buffer.from(`${h[':path']}@${n}`)));
      };
      s.resume();
      // on the first connection: stream 3 makes the server go away with last id 1 (stream 3 unprocessed)
      if (n === 1 && s.id === 3) { sess.goaway(http2.constants.NGHTTP2_NO_ERROR, 1); return; }
      if (n === 1) { setTimeout(reply, 50); return; }
      reply();
    });
    const ch = new GrpcChannel(`127.0.0.1:${g.port}`);
    const a = ch.unary('/a', Buffer.from('x'));
    await new Promise(r => setTimeout(r, 10));
    const b = ch.unary('/b', Buffer.from('y'));
    expect((await b).toString()).toBe('/b@2');
    expect((await a).toString()).toBe('/a@1');
    expect(answered.sort()).toEqual(['/a@1', '/b@2']);
    ch.close();
    await g.close();
  });
});
