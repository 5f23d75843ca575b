// The network probe handlers against real servers on loopback. grpc: no image here can serve grpc health, so
// the prober is tested against a real @grpc/grpc-js server implementing grpc.health.v1.Health/Check.
import http from 'node:http';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Container } from 'kubernetes-types/core/v1';
import { runHandler, ProbeTarget } from './probe';

const target: ProbeTarget = { runtime: undefined as any, containerId: 'x', podIP: '127.0.0.1', container: { name: 'c', ports: [{ name: 'web', containerPort: 0 }] } as Container };

// HealthCheckRequest{string service = 1} / HealthCheckResponse{ServingStatus status = 1}, protobuf by hand
const decodeService = (b: Buffer) => ({ service: b.length > 2 && b[0] === 0x0a ? b.subarray(2, 2 + b[1]).toString('utf8') : '' });
const encodeStatus = (s: number) => Buffer.from([0x08, s]);

let grpcServer: grpc.Server;
let grpcPort: number;
const statuses: Record<string, number> = { '': 1, sick: 2 };
let slow = false;

beforeAll(async () => {
  grpcServer = new grpc.Server();
  grpcServer.addService({
    Check: {
      path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
      requestDeserialize: decodeService, responseSerialize: (s: number) => encodeStatus(s),
      requestSerialize: () => Buffer.alloc(0), responseDeserialize: () => 0,
    },
  } as any, {
    Check: (call: any, cb: any) => {
      const st = statuses[call.request.service];
      if (st === undefined) { cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' }); return; }
      if (slow) setTimeout(() => cb(null, st), 1500); else cb(null, st);
    },
  });
  grpcPort = await new Promise<number>((res, rej) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
});
afterAll(() => grpcServer.forceShutdown());

describe('grpc health probe', () => {
  it('SERVING is success; NOT_SERVING, unknown service, a closed port and a timeout are failures with upstream wording', async () => {
    const probe = (service?: string, port = grpcPort, timeoutMs = 1000) => runHandler({ grpc: { port, ...(service !== undefined ? { service } : {}) } }, target, timeoutMs);
    expect(await probe()).toEqual({ ok: true, output: '' });
    expect(await probe('sick')).toEqual({ ok: false, output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await probe('nosuch')).toEqual({ ok: false, output: 'error: health rpc probe failed: unknown service' });
    const closed = await new Promise<number>(r => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
    expect((await probe(undefined, closed)).ok).toBe(false);
    slow = true;
    try { expect(await probe(undefined, grpcPort, 300)).toEqual({ ok: false, output: 'timeout: health rpc did not complete within 0.3s' }); } finally { slow = false; }
  });
});

describe('tcpSocket and httpGet probes', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/ok') { res.end(`ua=${req.headers['user-agent']} x=${req.headers['x-probe']}`); return; }
      res.statusCode = 503; res.end('down');
    });
    port = await new Promise(r => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
    target.container.ports![0].containerPort = port;
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('tcpSocket connects by number or named port; a closed port is refused', async () => {
    expect(await runHandler({ tcpSocket: { port } }, target, 1000)).toEqual({ ok: true, output: '' });
    expect(await runHandler({ tcpSocket: { port: 'web' } as any }, target, 1000)).toEqual({ ok: true, output: '' });
    expect(await runHandler({ tcpSocket: { port: 'nope' } as any }, target, 1000)).toEqual({ ok: false, output: 'unknown port "nope"' });
    await new Promise<void>(r => server.close(() => r()));
    expect(await runHandler({ tcpSocket: { port } }, target, 1000)).toEqual({ ok: false, output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
    await new Promise<void>(r => server.listen(port, '127.0.0.1', () => r()));
  });

  it('httpGet: 2xx/3xx succeed with the kube-probe agent and headers; 503 fails', async () => {
    expect(await runHandler({ httpGet: { port, path: '/ok', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, target, 1000))
      .toEqual({ ok: true, output: 'ua=kube-probe/1.32 x=yes' });
    expect(await runHandler({ httpGet: { port: 'web', path: '/bad' } as any }, target, 1000)).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 503' });
  });
});
