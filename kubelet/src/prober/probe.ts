// One probe or lifecycle-hook action: exec in the container, httpGet / tcpSocket / grpc health to the pod IP
// (upstream pkg/probe/{exec,http,tcp,grpc}). Never throws: every problem is a failure with a message.
import http from 'node:http';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Container, LifecycleHandler, Probe } from 'kubernetes-types/core/v1';
import type { DockerRuntime } from '../runtime/docker';

export interface ProbeTarget { runtime: DockerRuntime; containerId: string; podIP?: string; container: Container }
export interface ProbeOutcome { ok: boolean; output: string }

export function resolvePort(port: number | string | undefined, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find(p => p.name === port)?.containerPort;
}

export async function runHandler(h: Probe | LifecycleHandler, t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  try {
    if (h.exec) {
      const cmd = h.exec.command ?? [];
      const r = await t.runtime.exec(t.containerId, cmd, timeoutMs);
      if (r.timedOut) return { ok: false, output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
      return { ok: r.exitCode === 0, output: r.output.trim() || (r.exitCode === 0 ? '' : `command ${JSON.stringify(cmd.join(' '))} exited with ${r.exitCode}`) };
    }
    if (h.httpGet) return await httpProbe(h.httpGet as any, t, timeoutMs);
    if (h.tcpSocket) {
      const port = resolvePort(h.tcpSocket.port as any, t.container);
      if (port === undefined) return { ok: false, output: `unknown port ${JSON.stringify(h.tcpSocket.port)}` };
      return await tcpProbe(h.tcpSocket.host || t.podIP || '127.0.0.1', port, timeoutMs);
    }
    if ((h as Probe).grpc) {
      const g = (h as Probe).grpc!;
      return await grpcProbe(t.podIP || '127.0.0.1', g.port, g.service ?? '', timeoutMs);
    }
    if ((h as LifecycleHandler).sleep) {
      await new Promise(r => setTimeout(r, Math.min(timeoutMs, ((h as LifecycleHandler).sleep!.seconds ?? 0) * 1000)));
      return { ok: true, output: '' };
    }
    return { ok: false, output: 'probe has no handler' };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}

function httpProbe(g: { host?: string; path?: string; port: number | string; scheme?: string; httpHeaders?: { name: string; value: string }[] },
                   t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(g.port, t.container);
  if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port ${JSON.stringify(g.port)}` });
  if (g.scheme && g.scheme !== 'HTTP') return Promise.resolve({ ok: false, output: `scheme ${g.scheme} is not supported by this kubelet` });
  const host = g.host || t.podIP || '127.0.0.1';
  const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
  const url = `http://${host}:${port}${path}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise(resolve => {
    const req = http.request({ host, port, path, method: 'GET', headers, timeout: timeoutMs }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', d => { if (body.length < 10_240) body += d; });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true, output: body } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
    });
    req.on('timeout', () => { req.destroy(); resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }); });
    req.on('error', e => resolve({ ok: false, output: `Get "${url}": ${dialError(e, host, port)}` }));
    req.end();
  });
}

function dialError(e: any, host: string, port: number): string {
  if (e?.code === 'ECONNREFUSED') return `dial tcp ${host}:${port}: connect: connection refused`;
  if (e?.code === 'EHOSTUNREACH') return `dial tcp ${host}:${port}: connect: no route to host`;
  return `dial tcp ${host}:${port}: ${e?.message ?? e}`;
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise(resolve => {
    const s = net.connect({ host, port });
    const done = (o: ProbeOutcome) => { s.destroy(); resolve(o); };
    s.setTimeout(timeoutMs, () => done({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` }));
    s.on('connect', () => done({ ok: true, output: '' }));
    s.on('error', e => done({ ok: false, output: dialError(e, host, port) }));
  });
}

// grpc.health.v1.Health/Check without a .proto: HealthCheckRequest{string service = 1},
// HealthCheckResponse{ServingStatus status = 1} (SERVING = 1), encoded by hand.
function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  if (s.length === 0) return Buffer.alloc(0);
  const len: number[] = []; let n = s.length;
  while (n > 127) { len.push((n & 127) | 128); n >>>= 7; } len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), s]);
}
function decodeStatus(b: Buffer): number {
  for (let i = 0; i < b.length;) {
    const tag = b[i++];
    let v = 0, shift = 0;
    if ((tag & 7) === 0) { while (i < b.length) { const x = b[i++]; v |= (x & 127) << shift; shift += 7; if (!(x & 128)) break; } if (tag >> 3 === 1) return v; }
    else if ((tag & 7) === 2) { let l = 0; shift = 0; while (i < b.length) { const x = b[i++]; l |= (x & 127) << shift; shift += 7; if (!(x & 128)) break; } i += l; }
    else break;
  }
  return 0;
}
const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise(resolve => {
    const client = new grpc.Client(`${host}:${port}`, grpc.credentials.createInsecure());
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', (x: string) => encodeRequest(x), (b: Buffer) => decodeStatus(b), service,
      new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, status) => {
        client.close();
        if (err) {
          resolve({ ok: false, output: err.code === grpc.status.DEADLINE_EXCEEDED
            ? `timeout: health rpc did not complete within ${timeoutMs / 1000}s`
            : `error: health rpc probe failed: ${err.details || err.message}` });
          return;
        }
        resolve(status === 1 ? { ok: true, output: '' } : { ok: false, output: `service unhealthy (responded with "${STATUS[status ?? 0] ?? status}")` });
      });
  });
}
