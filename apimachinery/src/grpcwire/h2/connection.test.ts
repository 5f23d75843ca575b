// The HTTP/2 connection layer against real peers on loopback: node's http2 client (flow control with small
// windows, CONTINUATION, many streams) and a raw socket writing frames by hand (protocol errors).
import http2 from 'node:http2';
import net, { AddressInfo } from 'node:net';
import { H2Connection, H2Stream, encodeHeaders } from './connection';
import { CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY, H2Code, HEADERS, PING, PREFACE, RST_STREAM, SETTINGS, WINDOW_UPDATE, frame } from './frames';
import { HpackEncoder } from './hpack';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const OK = encodeHeaders([[':status', '200']]);
const TRAILERS = encodeHeaders([['x-end', 'yes']]);

type Handler = (s: H2Stream) => void;
let server: net.Server;
let port: number;
let handler: Handler;
const conns = new Set<H2Connection>();
let maxStreams = 100;

beforeAll(async () => {
  server = net.createServer(sock => {
    const c = new H2Connection(sock, {
      maxConcurrentStreams: maxStreams, streamWindow: 65_535, connectionWindow: 1 << 20, maxFrameSize: 16_384,
      maxHeaderBlockBytes: 64 * 1024, onStream: s => handler(s), onClose: x => conns.delete(x),
    });
    conns.add(c);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const c of conns) c.destroy();
  await new Promise(r => server.close(r));
});

/** Echo: collects the request body, answers with it (in `times` writes) and trailers. */
const echo = (times = 1): Handler => s => {
  const parts: Buffer[] = [];
  s.ondata = d => parts.push(Buffer.from(d));
  s.onend = () => {
    const body = Buffer.concat(parts);
    s.respond(OK);
    for (let i = 0; i < times; i++) s.write(body);
    s.end(TRAILERS);
  };
};

function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer) {
  return new Promise<{ status?: number; headers: http2.IncomingHttpHeaders; body: Buffer; trailers?: http2.IncomingHttpHeaders; rst?: number }>((resolve, reject) => {
    const st = session.request({ ':method': 'POST', ':path': '/x', ...headers });
    const chunks: Buffer[] = [];
    let h: http2.IncomingHttpHeaders = {}, trailers: http2.IncomingHttpHeaders | undefined;
    st.on('response', x => { h = x; });
    st.on('trailers', t => { trailers = t; });
    st.on('data', (d: Buffer) => chunks.push(d));
    st.on('error', () => { /* close tells */ });
    st.on('close', () => resolve({ status: Number(h[':status']), headers: h, body: Buffer.concat(chunks), trailers, rst: st.rstCode }));
    st.on('aborted', () => reject(new Error('aborted')));
    st.end(body);
  });
}

test('echoes bodies larger than every window: both directions wait for WINDOW_UPDATE', async () => {
  handler = echo(3);
  // the client's own windows are node's default 65,535 per stream: the 3 × 200 KB reply must wait for them
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const body = Buffer.alloc(200_000, 'a');
    for (let i = 0; i < body.length; i += 997) body[i] = i % 251;
    const r = await request(session, {}, body);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(3 * body.length);
    expect(r.body.equals(Buffer.concat([body, body, body]))).toBe(true);
    expect(r.trailers?.['x-end']).toBe('yes');
  } finally { session.close(); }
});

test('many concurrent streams on one connection keep their bytes apart', async () => {
  handler = echo(2);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => request(session, { 'x-n': String(i) }, Buffer.alloc(5000 + i, String(i % 10)))));
    rs.forEach((r, i) => {
      expect(r.body.length).toBe(2 * (5000 + i));
      expect(r.body.every(b => b === String(i % 10).charCodeAt(0))).toBe(true);
    });
  } finally { session.close(); }
});

test('request headers arrive decoded, a large header block through CONTINUATION frames', async () => {
  let seen: H2Stream | undefined;
  handler = s => { seen = s; s.onend = () => { s.respondAndEnd(encodeHeaders([[':status', '200'], ['x-big', 'v'.repeat(40_000)]])); }; };
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    // a 30 KB header: node splits the block into HEADERS + CONTINUATION at our 16 KB frame size
    const r = await request(session, { 'x-long': 'L'.repeat(30_000), 'x-rep': ['a', 'b'], 'user-agent': 'ua/1' });
    expect(seen!.headers[':method']).toBe('POST');
    expect(seen!.headers[':path']).toBe('/x');
    expect(seen!.headers['x-long']).toBe('L'.repeat(30_000));
    expect(seen!.headers['x-rep']).toEqual(['a', 'b']);
    expect(seen!.headers['user-agent']).toBe('ua/1');
    // and ours the other way: a 40 KB response header in HEADERS + CONTINUATION
    expect(r.headers['x-big']).toBe('v'.repeat(40_000));
  } finally { session.close(); }
});

test('streams above SETTINGS_MAX_CONCURRENT_STREAMS wait in node\'s client until one closes; a reset tells the owner', async () => {
  const open: H2Stream[] = [];
  let closedByPeer = 0;
  handler = s => { open.push(s); s.onclose = () => { closedByPeer++; }; };
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise(r => session.once('remoteSettings', r));
    const sts = Array.from({ length: maxStreams + 1 }, () => {
      const st = session.request({ ':method': 'POST', ':path': '/x' });
      st.on('error', () => undefined);
      return st;
    });
    await until(() => open.length === maxStreams);
    await sleep(50);
    expect(open.length).toBe(maxStreams);
    sts[0].close(http2.constants.NGHTTP2_CANCEL);
    await until(() => closedByPeer === 1 && open.length === maxStreams + 1);
    for (const s of open) s.reset();
  } finally { session.destroy(); }
});

test('a write blocked by flow control returns false and drains when the peer reads', async () => {
  let results: boolean[] = [];
  let drained = 0;
  handler = s => {
    s.respond(OK);
    results = [s.write(Buffer.alloc(60_000)), s.write(Buffer.alloc(60_000))];
    s.ondrain = () => { drained++; s.end(); };
  };
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const st = session.request({ ':method': 'POST', ':path': '/x' }, { endStream: true });
    st.pause(); // nothing read: the window stays spent
    await sleep(100);
    expect(results).toEqual([true, false]);
    expect(drained).toBe(0);
    let got = 0;
    st.on('data', (d: Buffer) => { got += d.length; });
    const closed = new Promise(r => st.on('close', r));
    st.resume();
    await closed;
    expect(got).toBe(120_000);
    expect(drained).toBe(1);
  } finally { session.close(); }
});

// ---- a raw peer ----
interface Frame { type: number; flags: number; id: number; payload: Buffer }
function rawPeer(): Promise<{ sock: net.Socket; frames: Frame[]; closed: Promise<void>; send: (...b: Buffer[]) => void }> {
  return new Promise(resolve => {
    const sock = net.connect(port, '127.0.0.1', () => resolve({ sock, frames, closed, send: (...b) => sock.write(Buffer.concat(b)) }));
    const frames: Frame[] = [];
    let buf = Buffer.alloc(0);
    sock.on('data', d => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        frames.push({ type: buf[3], flags: buf[4], id: buf.readUInt32BE(5), payload: buf.subarray(9, 9 + len) });
        buf = buf.subarray(9 + len);
      }
    });
    sock.on('error', () => undefined);
    const closed = new Promise<void>(r => sock.on('close', () => r()));
  });
}
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('condition not met in time'); await sleep(5); }
}
const goawayCode = (frames: Frame[]) => frames.find(f => f.type === GOAWAY)?.payload.readUInt32BE(4);
const reqBlock = new HpackEncoder().encode([[':method', 'POST'], [':scheme', 'http'], [':path', '/x'], [':authority', 'a']]);
const settings = frame(SETTINGS, 0, 0);

test.each([
  ['a bad preface', () => [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], H2Code.PROTOCOL_ERROR],
  ['a first frame that is not SETTINGS', () => [PREFACE, frame(PING, 0, 0, Buffer.alloc(8))], H2Code.PROTOCOL_ERROR],
  ['an even stream id', () => [PREFACE, settings, frame(HEADERS, END_HEADERS, 2, reqBlock)], H2Code.PROTOCOL_ERROR],
  ['a frame over our max frame size', () => [PREFACE, settings, frame(DATA, 0, 1, Buffer.alloc(20_000))], H2Code.FRAME_SIZE_ERROR],
  ['an undecodable header block', () => [PREFACE, settings, frame(HEADERS, END_HEADERS, 1, Buffer.from([0x80]))], H2Code.COMPRESSION_ERROR],
  ['a header block interrupted', () => [PREFACE, settings, frame(HEADERS, 0, 1, reqBlock.subarray(0, 2)), frame(PING, 0, 0, Buffer.alloc(8))], H2Code.PROTOCOL_ERROR],
  ['a CONTINUATION without HEADERS', () => [PREFACE, settings, frame(CONTINUATION, END_HEADERS, 1, reqBlock)], H2Code.PROTOCOL_ERROR],
  ['a connection WINDOW_UPDATE past 2^31-1', () => { const p = Buffer.alloc(4); p.writeUInt32BE(2 ** 31 - 1); return [PREFACE, settings, frame(WINDOW_UPDATE, 0, 0, p)]; }, H2Code.FLOW_CONTROL_ERROR],
  ['DATA on an idle stream', () => [PREFACE, settings, frame(DATA, 0, 7, Buffer.alloc(3))], H2Code.PROTOCOL_ERROR],
  ['a PING of the wrong size', () => [PREFACE, settings, frame(PING, 0, 0, Buffer.alloc(3))], H2Code.FRAME_SIZE_ERROR],
])('%s is a connection error: GOAWAY with its code, then the socket closes', async (_name, frames, code) => {
  handler = s => { s.onend = () => s.respondAndEnd(OK); };
  const p = await rawPeer();
  p.send(...(frames as () => Buffer[])());
  await p.closed;
  if (code === H2Code.PROTOCOL_ERROR && _name === 'a bad preface') expect(p.frames.filter(f => f.type === GOAWAY).length).toBeLessThanOrEqual(1);
  else expect(goawayCode(p.frames)).toBe(code);
});

test('PING is answered with its payload; SETTINGS is acknowledged; a malformed request is reset, not the connection', async () => {
  let streams = 0;
  handler = s => { streams++; s.onend = () => s.respondAndEnd(OK); };
  const p = await rawPeer();
  const bad = new HpackEncoder().encode([[':method', 'POST'], [':path', '/x']]); // no :scheme
  p.send(PREFACE, settings, frame(PING, 0, 0, Buffer.from('12345678')), frame(HEADERS, END_HEADERS | END_STREAM, 1, bad),
    frame(HEADERS, END_HEADERS | END_STREAM, 3, reqBlock));
  await until(() => p.frames.some(f => f.type === HEADERS && f.id === 3));
  expect(p.frames.some(f => f.type === SETTINGS && f.flags === 1)).toBe(true);
  const pong = p.frames.find(f => f.type === PING);
  expect(pong?.flags).toBe(1);
  expect(pong?.payload.toString()).toBe('12345678');
  const rst = p.frames.find(f => f.type === RST_STREAM && f.id === 1);
  expect(rst?.payload.readUInt32BE(0)).toBe(H2Code.PROTOCOL_ERROR);
  expect(streams).toBe(1);
  p.sock.destroy();
});

test('a peer that opens more streams than allowed gets REFUSED_STREAM; DATA after END_STREAM gets STREAM_CLOSED', async () => {
  const open: H2Stream[] = [];
  handler = s => { open.push(s); };
  const p = await rawPeer();
  const hs = Array.from({ length: maxStreams + 1 }, (_, i) => frame(HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, reqBlock));
  p.send(PREFACE, settings, ...hs);
  const last = 2 * maxStreams + 1;
  await until(() => p.frames.some(f => f.type === RST_STREAM && f.id === last));
  expect(p.frames.find(f => f.type === RST_STREAM && f.id === last)!.payload.readUInt32BE(0)).toBe(H2Code.REFUSED_STREAM);
  expect(open.length).toBe(maxStreams);
  p.send(frame(DATA, 0, 1, Buffer.from('late')));
  await until(() => p.frames.some(f => f.type === RST_STREAM && f.id === 1));
  expect(p.frames.find(f => f.type === RST_STREAM && f.id === 1)!.payload.readUInt32BE(0)).toBe(H2Code.STREAM_CLOSED);
  expect(p.frames.some(f => f.type === GOAWAY)).toBe(false);
  p.sock.destroy();
});

test('close() sends GOAWAY, lets the open stream finish, refuses new ones, then ends the socket', async () => {
  let held: H2Stream | undefined;
  handler = s => { held = s; };
  const p = await rawPeer();
  p.send(PREFACE, settings, frame(HEADERS, END_HEADERS | END_STREAM, 1, reqBlock));
  await until(() => held !== undefined);
  const conn = [...conns].find(c => c.openStreams === 1)!;
  conn.close();
  await until(() => p.frames.some(f => f.type === GOAWAY));
  expect(goawayCode(p.frames)).toBe(H2Code.NO_ERROR);
  p.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, reqBlock));
  await until(() => p.frames.some(f => f.type === RST_STREAM && f.id === 3));
  expect(p.frames.find(f => f.type === RST_STREAM && f.id === 3)!.payload.readUInt32BE(0)).toBe(H2Code.REFUSED_STREAM);
  held!.respond(OK);
  held!.write(Buffer.from('bye'));
  held!.end(TRAILERS);
  await p.closed;
  const data = p.frames.find(f => f.type === DATA && f.id === 1);
  expect(data?.payload.toString()).toBe('bye');
  expect(p.frames.some(f => f.type === HEADERS && f.id === 1 && (f.flags & END_STREAM) !== 0)).toBe(true);
});

test('encodeHeaders refuses what HTTP/2 cannot carry', () => {
  expect(() => encodeHeaders([['x-a', 'line\r\nbreak']])).toThrow(/invalid value/);
  expect(() => encodeHeaders([['X-Upper', 'v']])).toThrow(/invalid header name/);
  expect(() => encodeHeaders([['x-a', ' padded']])).toThrow(/invalid value/);
});
