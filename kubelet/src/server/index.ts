// The kubelet's HTTP API (upstream pkg/kubelet/server/server.go, plain HTTP for now): /healthz, /pods,
// /containerLogs, /exec and /attach (WebSocket channel protocol), /stats/summary and /metrics.
// The apiserver proxies pods/log, pods/exec and pods/attach here.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Dockerode from 'dockerode';
import { WebSocketServer } from 'ws';
import client from 'prom-client';
import type { Logger } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';
import { LABEL_CONTAINER_NAME, LABEL_DOCKER_TYPE, LABEL_NODE, SANDBOX_CONTAINER_NAME } from '../runtime/naming';
import { HttpError, runningContainer } from './containers';
import { EXEC_PROTOCOLS, runAttach, runExec, type StreamOptions } from './exec';
import { parseBool, serveLogs } from './logs';
import { NodeCpu, summary } from './stats';

export { exitStatus, EXEC_PROTOCOLS, CH as EXEC_CHANNELS } from './exec';
export { HttpError } from './containers';
export type { Summary, PodStats, ContainerStats } from './stats';

export interface KubeletServerOptions {
  port: number;
  bindAddress: string;
  docker: Dockerode;
  nodeName: string;
  log: Logger;
  podsSnapshot: () => Pod[];
}

export interface KubeletServer { port: number; close(): Promise<void> }

function status(code: number, message: string) {
  const reason = ({ 400: 'BadRequest', 404: 'NotFound', 405: 'MethodNotAllowed', 500: 'InternalError' } as Record<number, string>)[code] ?? 'InternalError';
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

// Errors are Status JSON: the apiserver passes the kubelet's answer through, and kubectl prints a Status well.
function sendError(res: http.ServerResponse, e: unknown, log: Logger) {
  const code = e instanceof HttpError ? e.code : 500;
  const msg = (e as Error)?.message ?? String(e);
  if (code >= 500) log.error('kubelet API request failed', { error: msg });
  if (res.headersSent) { res.destroy(); return; }
  const body = JSON.stringify(status(code, msg));
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function rejectUpgrade(sock: Socket, code: number, message: string) {
  const body = JSON.stringify(status(code, message));
  const text = code === 404 ? 'Not Found' : code === 400 ? 'Bad Request' : 'Internal Server Error';
  sock.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** `/<kind>/<ns>/<pod>/<container>` with each part URL-decoded; undefined when the shape is wrong. */
function containerPath(pathname: string, kind: string): [string, string, string] | undefined {
  const parts = pathname.split('/').slice(1);
  if (parts[0] !== kind || parts.length !== 4 || parts.slice(1).some(p => !p)) return undefined;
  try { return parts.slice(1).map(decodeURIComponent) as [string, string, string]; } catch { return undefined; }
}

function streamOptions(q: URLSearchParams): StreamOptions {
  const o = { stdin: parseBool(q, 'stdin'), stdout: parseBool(q, 'stdout'), stderr: parseBool(q, 'stderr'), tty: parseBool(q, 'tty') };
  if (o.tty && o.stderr) o.stderr = false; // a terminal has one output stream (upstream ignores stderr with tty)
  if (!o.stdin && !o.stdout && !o.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return o;
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const { docker, nodeName, log } = opts;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({ name: 'kubelet_http_requests_total', help: 'Number of HTTP requests received since the server started', labelNames: ['method', 'path', 'server_type', 'long_running'], registers: [registry] });
  const inflight = new client.Gauge({ name: 'kubelet_http_inflight_requests', help: 'Number of in-flight HTTP requests', labelNames: ['method', 'path', 'server_type', 'long_running'], registers: [registry] });
  new client.Gauge({
    name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox', registers: [registry],
    async collect() {
      const l = await docker.listContainers({ filters: { label: [`${LABEL_NODE}=${nodeName}`, `${LABEL_DOCKER_TYPE}=podsandbox`], status: ['running'] } }).catch(() => []);
      this.set(l.length);
    },
  });
  new client.Gauge({
    name: 'kubelet_running_containers', help: 'Number of containers currently running', labelNames: ['container_state'], registers: [registry],
    async collect() {
      const l = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeName}`, `${LABEL_DOCKER_TYPE}=container`] } }).catch(() => []);
      this.reset();
      const counts: Record<string, number> = { running: 0, exited: 0, created: 0, unknown: 0 };
      for (const c of l) if (c.Labels?.[LABEL_CONTAINER_NAME] !== SANDBOX_CONTAINER_NAME) counts[c.State in counts ? c.State : 'unknown']++;
      for (const [k, v] of Object.entries(counts)) this.set({ container_state: k }, v);
    },
  });
  const desired = new client.Gauge({ name: 'kubelet_desired_pods', help: 'The number of pods the kubelet is being instructed to run', registers: [registry] });
  const nodeCpu = new NodeCpu();
  nodeCpu.sample();

  const route = (pathname: string) => pathname.split('/')[1] || '/';
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const labels = { method: req.method ?? '', path: route(url.pathname), server_type: 'readwrite', long_running: String(url.searchParams.has('follow')) };
    requests.inc(labels);
    inflight.inc(labels);
    res.once('close', () => inflight.dec(labels));
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} is not allowed on ${url.pathname}`);
      if (url.pathname === '/healthz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return; }
      if (url.pathname === '/pods' || url.pathname === '/pods/') {
        const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: opts.podsSnapshot() });
        res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(body); return;
      }
      if (url.pathname === '/metrics') {
        desired.set(opts.podsSnapshot().length);
        const text = await registry.metrics();
        res.writeHead(200, { 'Content-Type': registry.contentType }); res.end(text); return;
      }
      if (url.pathname === '/stats/summary' || url.pathname === '/stats/summary/') {
        const body = JSON.stringify(await summary(docker, nodeName, nodeCpu));
        res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(body); return;
      }
      const logPath = containerPath(url.pathname, 'containerLogs');
      if (logPath) { await serveLogs(docker, nodeName, opts.podsSnapshot(), ...logPath, url.searchParams, req, res); return; }
      if (containerPath(url.pathname, 'exec') || containerPath(url.pathname, 'attach')) {
        throw new HttpError(400, 'exec and attach need a WebSocket upgrade (Upgrade: websocket, Sec-WebSocket-Protocol: v5.channel.k8s.io or v4.channel.k8s.io)');
      }
      throw new HttpError(404, `404 page not found: ${url.pathname}`);
    } catch (e) {
      sendError(res, e, log);
    }
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: protocols => EXEC_PROTOCOLS.find(p => protocols.has(p)) ?? false,
  });
  server.on('upgrade', async (req, sock: Socket, head) => {
    sock.on('error', () => sock.destroy());
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const kind = url.pathname.split('/')[1];
    requests.inc({ method: req.method ?? '', path: kind || '/', server_type: 'readwrite', long_running: 'true' });
    try {
      const parts = containerPath(url.pathname, kind);
      if ((kind !== 'exec' && kind !== 'attach') || !parts) throw new HttpError(404, `404 page not found: ${url.pathname}`);
      const o = streamOptions(url.searchParams);
      const command = url.searchParams.getAll('command');
      if (kind === 'exec' && !command.length) throw new HttpError(400, 'you must specify at least one command for the container');
      const found = await runningContainer(docker, nodeName, opts.podsSnapshot(), ...parts);
      // Checked last: kubectl retries a failed WebSocket upgrade over SPDY and shows that answer, so the
      // SPDY attempt must carry the real problem (no such container, ...) when there is one.
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw new HttpError(400, `upgrade to ${req.headers.upgrade} is not supported: this kubelet speaks WebSocket (${EXEC_PROTOCOLS.join(', ')}), not SPDY`);
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map(s => s.trim());
      if (!EXEC_PROTOCOLS.some(p => offered.includes(p))) throw new HttpError(400, `no supported WebSocket subprotocol offered (${offered.join(', ') || 'none'}); this kubelet speaks ${EXEC_PROTOCOLS.join(', ')}`);
      wss.handleUpgrade(req, sock, head, ws => {
        ws.on('error', e => log.debug('exec websocket error', { error: e.message }));
        const run = kind === 'exec' ? runExec(ws, docker, found.id, command, o, log) : runAttach(ws, docker, found.id, o, log);
        run.catch(e => { log.error('exec session failed', { error: (e as Error).message }); ws.terminate(); });
      });
    } catch (e) {
      const code = e instanceof HttpError ? e.code : 500;
      if (code >= 500) log.error('kubelet upgrade failed', { error: (e as Error).message });
      rejectUpgrade(sock, code, (e as Error).message);
    }
  });

  const sockets = new Set<Socket>();
  server.on('connection', s => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  log.info('kubelet API listening', { address: opts.bindAddress, port });
  return {
    port,
    close: () => new Promise<void>(resolve => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.close(() => resolve());
      for (const s of sockets) s.destroy(); // follow streams and exec sessions would hold close() forever
    }),
  };
}
