// The server against real clients on loopback: our GrpcChannel, a raw node:http2 client (to see the wire), and
// a bare TCP socket that speaks just enough HTTP/2 to go silent (a dead peer).
import http2 from 'node:http2';
import net from 'node:net';
import { GrpcChannel, StreamHandler } from './channel';
import { frameMessage, MessageDecoder } from './framing';
import { Code, GrpcError } from './status';
import { GrpcServer, ServerStream, parseGrpcTimeout } from './server';

const caught = async (p: Promise<unknown>): Promise<GrpcError> => {
  try { await p; } catch (e) { return e as GrpcError; }
  throw new Error('expected the call to fail');
};
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('condition not met in time'); await sleep(5); }
}

/** Collects a streaming call's messages and its end. */
function collector(): StreamHandler & { messages: string[]; ended: Promise<GrpcError | null> } {
  let done!: (e: GrpcError | null) => void;
  const ended = new Promise<GrpcError | null>(r => { done = r; });
  const messages: string[] = [];
  return { messages, ended, onMessage: m => { messages.push(m.toString()); }, onEnd: e => done(e) };
}

interface RawReply { headers: http2.IncomingHttpHeaders; trailers?: http2.IncomingHttpHeaders; messages: Buffer[]; data: number }
/** One request on a raw http2 session; what came back, frame by frame. */
function raw(port: number, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const s = session.request({ ':method': 'POST', ':path': '/t.S/Echo', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const out: RawReply = { headers: {}, messages: [], data: 0 };
    const d = new MessageDecoder();
    s.on('response', h => { out.headers = h; });
    s.on('trailers', t => { out.trailers = t; });
    s.on('data', (c: Buffer) => { out.data++; d.push(c, { onMessage: m => out.messages.push(Buffer.from(m)) }); });
    s.on('error', reject);
    s.on('close', () => { session.close(); resolve(out); });
    s.end(body);
  });
}

let server: GrpcServer;
let port: number;
let channel: GrpcChannel;
const streams: ServerStream[] = [];
let unaryCancels = 0;
let seenCall: { ua: string; md: Record<string, unknown>; deadline?: number } | undefined;

beforeAll(async () => {
  server = new GrpcServer({ maxReceiveMessageBytes: 1024 });
  server.addUnary('/t.S/Echo', (req, call) => {
    seenCall = { ua: call.userAgent, md: call.metadata, deadline: call.deadline };
    return Buffer.concat([Buffer.from('echo:'), req]);
  });
  server.addUnary('/t.S/Async', async req => { await sleep(20); return Buffer.from(`later:${req}`); });
  server.addUnary('/t.S/Fail', () => {
    throw new GrpcError(Code.NOT_FOUND, 'no such thing: ünïcode %', { 'grpc-status-details-bin': Buffer.from([0, 1, 2, 250]) });
  });
  server.addUnary('/t.S/Crash', () => { throw new Error('boom'); });
  server.addUnary('/t.S/Never', (_req, call) => { call.onCancel(() => { unaryCancels++; }); return new Promise<Buffer>(() => undefined); });
  server.addServerStream('/t.S/Count', (req, call) => {
    const n = Number(req.toString());
    for (let i = 0; i < n; i++) call.write(Buffer.from(`m${i}`));
    call.end();
  });
  server.addServerStream('/t.S/CountThenFail', (_req, call) => {
    call.write(Buffer.from('one'));
    call.writeFramed(frameMessage(Buffer.from('two')));
    call.fail(new GrpcError(Code.ABORTED, 'gave up'));
  });
  server.addServerStream('/t.S/FailAtOnce', () => { throw new GrpcError(Code.INVALID_ARGUMENT, 'bad selector'); });
  server.addServerStream('/t.S/Hold', (_req, call) => { streams.push(call); call.write(Buffer.from('hello')); });
  port = await server.listen(0);
  channel = new GrpcChannel(`127.0.0.1:${port}`, { userAgent: 'kubelet/v1.32 (linux)' });
});
afterAll(async () => {
  channel.close();
  server.forceClose();
});

describe('unary calls', () => {
  it('hands the request and its metadata to the handler and the reply to the client', async () => {
    const reply = await channel.unary('/t.S/Echo', Buffer.from('hi'), { metadata: { 'x-thing': 'a', 'x-raw-bin': Buffer.from([255, 0, 7]) }, deadlineMs: 5000 });
    expect(reply.toString()).toBe('echo:hi');
    expect(seenCall!.ua).toBe('kubelet/v1.32 (linux)');
    expect(seenCall!.md['x-thing']).toBe('a');
    expect(seenCall!.md['x-raw-bin']).toEqual(Buffer.from([255, 0, 7]));
    expect(seenCall!.md[':path']).toBeUndefined();
    expect(seenCall!.deadline! - Date.now()).toBeGreaterThan(3000);
    expect((await channel.unary('/t.S/Async', Buffer.from('x'))).toString()).toBe('later:x');
  });

  it('sends an empty reply and a large one intact', async () => {
    const big = Buffer.alloc(900, 7);
    expect((await channel.unary('/t.S/Echo', big)).subarray(5)).toEqual(big);
    expect((await channel.unary('/t.S/Echo', Buffer.alloc(0))).toString()).toBe('echo:');
  });

  it('sends a handler error as a trailers-only status with its message and -bin details', async () => {
    const err = await caught(channel.unary('/t.S/Fail', Buffer.from('x')));
    expect(err.code).toBe(Code.NOT_FOUND);
    expect(err.details).toBe('no such thing: ünïcode %');
    expect(err.statusDetails).toEqual(Buffer.from([0, 1, 2, 250]));
    const r = await raw(port, { ':path': '/t.S/Fail' }, frameMessage(Buffer.from('x')));
    expect(r.headers['grpc-status']).toBe('5');
    expect(r.headers['content-type']).toBe('application/grpc');
    expect(r.data).toBe(0);
    expect(r.trailers).toBeUndefined();
  });

  it('answers a successful call with headers, one message and grpc-status 0 in the trailers', async () => {
    const r = await raw(port, {}, frameMessage(Buffer.from('abc')));
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['grpc-status']).toBeUndefined();
    expect(r.messages.map(String)).toEqual(['echo:abc']);
    expect(r.trailers?.['grpc-status']).toBe('0');
  });

  it('turns other thrown errors into UNKNOWN', async () => {
    const err = await caught(channel.unary('/t.S/Crash', Buffer.from('x')));
    expect(err.code).toBe(Code.UNKNOWN);
    expect(err.details).toBe('boom');
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const err = await caught(channel.unary('/t.S/Nope', Buffer.from('x')));
    expect(err.code).toBe(Code.UNIMPLEMENTED);
    expect(err.details).toContain('/t.S/Nope');
  });

  it('refuses a compressed message and an unknown message encoding', async () => {
    const msg = frameMessage(Buffer.from('x'));
    msg[0] = 1;
    const r = await raw(port, {}, msg);
    expect(r.headers['grpc-status']).toBe(String(Code.INTERNAL));
    expect(r.headers['grpc-message']).toContain('compressed');
    const g = await raw(port, { 'grpc-encoding': 'gzip' }, frameMessage(Buffer.from('x')));
    expect(g.headers['grpc-status']).toBe(String(Code.UNIMPLEMENTED));
    expect(g.headers['grpc-accept-encoding']).toBe('identity');
  });

  it('refuses a request above the size limit, none, or more than one', async () => {
    expect((await caught(channel.unary('/t.S/Echo', Buffer.alloc(2000)))).code).toBe(Code.RESOURCE_EXHAUSTED);
    const none = await raw(port, {});
    expect(none.headers['grpc-status']).toBe(String(Code.INTERNAL));
    const two = await raw(port, {}, Buffer.concat([frameMessage(Buffer.from('a')), frameMessage(Buffer.from('b'))]));
    expect(two.headers['grpc-status']).toBe(String(Code.INTERNAL));
    const cut = await raw(port, {}, frameMessage(Buffer.from('abcdef')).subarray(0, 8));
    expect(cut.headers['grpc-message']).toContain('inside a message');
  });

  it('answers what is not gRPC with plain HTTP statuses', async () => {
    expect((await raw(port, { ':method': 'GET' })).headers[':status']).toBe(405);
    expect((await raw(port, { 'content-type': 'application/json' }, Buffer.from('{}'))).headers[':status']).toBe(415);
  });

  it('ends a call at its grpc-timeout with DEADLINE_EXCEEDED and tells the handler', async () => {
    const before = unaryCancels;
    const started = Date.now();
    const r = await raw(port, { ':path': '/t.S/Never', 'grpc-timeout': '80m' }, frameMessage(Buffer.from('x')));
    expect(r.headers['grpc-status']).toBe(String(Code.DEADLINE_EXCEEDED));
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(unaryCancels).toBe(before + 1);
    const bad = await raw(port, { 'grpc-timeout': 'soon' }, frameMessage(Buffer.from('x')));
    expect(bad.headers['grpc-status']).toBe(String(Code.INTERNAL));
    expect(bad.headers['grpc-message']).toContain('grpc-timeout');
  });

  it('tells the handler when the client cancels', async () => {
    const before = unaryCancels;
    const p = caught(channel.unary('/t.S/Never', Buffer.from('x'), { deadlineMs: 50 }));
    expect((await p).code).toBe(Code.DEADLINE_EXCEEDED);
    await until(() => unaryCancels === before + 1);
    await until(() => server.openCalls === 0);
  });
});

describe('server-streaming calls', () => {
  it('delivers the messages in order, one DATA chunk per message when sent apart, then OK', async () => {
    const c = collector();
    channel.serverStream('/t.S/Count', Buffer.from('500'), c);
    expect(await c.ended).toBeNull();
    expect(c.messages).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    const r = await raw(port, { ':path': '/t.S/Count' }, frameMessage(Buffer.from('3')));
    expect(r.messages.map(String)).toEqual(['m0', 'm1', 'm2']);
    expect(r.trailers?.['grpc-status']).toBe('0');
  });

  it('ends with an error status after messages, or trailers-only before any', async () => {
    const c = collector();
    channel.serverStream('/t.S/CountThenFail', Buffer.from(''), c);
    const err = await c.ended;
    expect(c.messages).toEqual(['one', 'two']);
    expect(err?.code).toBe(Code.ABORTED);
    expect(err?.details).toBe('gave up');
    const r = await raw(port, { ':path': '/t.S/FailAtOnce' }, frameMessage(Buffer.from('')));
    expect(r.headers['grpc-status']).toBe(String(Code.INVALID_ARGUMENT));
    expect(r.data).toBe(0);
  });

  it('reports backpressure and drains once the client reads', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const s = session.request({ ':method': 'POST', ':path': '/t.S/Hold', 'content-type': 'application/grpc', te: 'trailers' });
    s.end(frameMessage(Buffer.from('')));
    s.pause();
    await until(() => streams.length === 1);
    const call = streams.pop()!;
    let drained = 0;
    call.onDrain(() => { drained++; });
    const chunk = Buffer.alloc(16 * 1024, 1);
    let writes = 0;
    while (call.write(chunk)) if (++writes > 10_000) throw new Error('never backpressured');
    expect(drained).toBe(0);
    let got = 0;
    s.on('data', (b: Buffer) => { got += b.length; });
    s.resume();
    await until(() => drained > 0);
    call.end();
    await new Promise(r => s.on('close', r));
    expect(got).toBeGreaterThanOrEqual((writes + 1) * chunk.length);
    session.close();
  });

  it('tells the handler when the client cancels or the connection dies, and takes no more writes', async () => {
    const c = collector();
    const clientCall = channel.serverStream('/t.S/Hold', Buffer.from(''), c);
    await until(() => streams.length === 1 && c.messages.length === 1);
    const call = streams.pop()!;
    let cancels = 0;
    call.onCancel(() => { cancels++; });
    clientCall.cancel();
    await until(() => cancels === 1);
    expect(call.cancelled).toBe(true);
    expect(call.write(Buffer.from('late'))).toBe(false);
    call.end();
    call.onCancel(() => { cancels++; });
    expect(cancels).toBe(2); // a late registration hears at once

    const session = http2.connect(`http://127.0.0.1:${port}`);
    const s = session.request({ ':method': 'POST', ':path': '/t.S/Hold', 'content-type': 'application/grpc', te: 'trailers' });
    s.on('error', () => undefined);
    s.end(frameMessage(Buffer.from('')));
    await until(() => streams.length === 1);
    const call2 = streams.pop()!;
    let lost = false;
    call2.onCancel(() => { lost = true; });
    session.destroy();
    await until(() => lost);
    await until(() => server.openCalls === 0);
  });
});

describe('keepalive', () => {
  it('closes a session whose peer stopped answering PINGs, and keeps one that answers', async () => {
    const ka = new GrpcServer({ keepaliveTimeMs: 60, keepaliveTimeoutMs: 60 });
    const kaPort = await ka.listen(0);
    try {
      // a live client: node answers PINGs; its session outlives many keepalive intervals
      const live = http2.connect(`http://127.0.0.1:${kaPort}`);
      let pinged = 0, liveClosed = false;
      live.on('ping', () => { pinged++; });
      live.on('close', () => { liveClosed = true; });
      live.on('error', () => undefined); // forceClose below may reset it
      await new Promise(r => live.on('connect', r));

      // a dead one: the preface and SETTINGS, then silence (no SETTINGS ack, no PING ack)
      const dead = net.connect(kaPort, '127.0.0.1');
      const frames: number[] = [];
      let buf = Buffer.alloc(0);
      dead.on('data', (b: Buffer) => {
        buf = Buffer.concat([buf, b]);
        while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) { frames.push(buf[3]); buf = buf.subarray(9 + buf.readUIntBE(0, 3)); }
      });
      const deadClosed = new Promise(r => dead.on('close', r));
      dead.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
      await deadClosed;
      expect(frames).toContain(6); // a PING came before the close
      expect(frames).toContain(7); // and a GOAWAY with it
      await sleep(300);
      expect(pinged).toBeGreaterThan(0);
      expect(liveClosed).toBe(false);
      live.close();
    } finally {
      ka.forceClose();
    }
  });
});

describe('shutdown', () => {
  it('lets unary calls finish, ends streams with OK, refuses new connections', async () => {
    const s = new GrpcServer();
    let release!: () => void;
    const gate = new Promise<void>(r => { release = r; });
    s.addUnary('/t.S/Slow', async () => { await gate; return Buffer.from('finished'); });
    let streamCancelled = false;
    s.addServerStream('/t.S/Watch', (_r, call) => { call.onCancel(() => { streamCancelled = true; }); call.write(Buffer.from('ev')); });
    const p = await s.listen(0);
    const ch = new GrpcChannel(`127.0.0.1:${p}`);
    try {
      const watch = collector();
      ch.serverStream('/t.S/Watch', Buffer.from(''), watch);
      const slow = ch.unary('/t.S/Slow', Buffer.from(''));
      await until(() => s.openCalls === 2 && watch.messages.length === 1);
      const down = s.shutdown();
      expect(await watch.ended).toBeNull();
      expect(streamCancelled).toBe(true);
      let downDone = false;
      void down.then(() => { downDone = true; });
      await sleep(30);
      expect(downDone).toBe(false);
      release();
      expect((await slow).toString()).toBe('finished');
      await down;
      const err = await caught(new GrpcChannel(`127.0.0.1:${p}`, { connectTimeoutMs: 500 }).unary('/t.S/Slow', Buffer.from('')));
      expect(err.code).toBe(Code.UNAVAILABLE);
    } finally {
      ch.close();
      s.forceClose();
    }
  });

  it('forceClose cancels open calls; the client sees UNAVAILABLE', async () => {
    const s = new GrpcServer();
    let cancelled = false;
    s.addServerStream('/t.S/Watch', (_r, call) => { call.onCancel(() => { cancelled = true; }); call.write(Buffer.from('ev')); });
    const p = await s.listen(0);
    const ch = new GrpcChannel(`127.0.0.1:${p}`);
    try {
      const watch = collector();
      ch.serverStream('/t.S/Watch', Buffer.from(''), watch);
      await until(() => watch.messages.length === 1);
      s.forceClose();
      expect((await watch.ended)?.code).toBe(Code.UNAVAILABLE);
      expect(cancelled).toBe(true);
    } finally {
      ch.close();
    }
  });
});

describe('registration and parsing', () => {
  it('refuses bad and duplicate method paths', () => {
    const s = new GrpcServer();
    expect(() => s.addUnary('Get', () => Buffer.alloc(0))).toThrow(/invalid gRPC method path/);
    s.addUnary('/a.B/C', () => Buffer.alloc(0));
    expect(() => s.addServerStream('/a.B/C', () => undefined)).toThrow(/already registered/);
  });

  it('parses grpc-timeout in every unit', () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout('2H')).toBe(7_200_000);
    expect(parseGrpcTimeout('3M')).toBe(180_000);
    expect(parseGrpcTimeout('4S')).toBe(4000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('1500u')).toBe(1.5);
    expect(parseGrpcTimeout('2000000n')).toBe(2);
    expect(parseGrpcTimeout('123456789m')).toBeNaN();
    expect(parseGrpcTimeout('5x')).toBeNaN();
  });
});
