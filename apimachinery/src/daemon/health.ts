// /healthz, /readyz and /metrics for every mk8s daemon (scheduler, controller-manager, kubelet, proxy).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';

export interface HealthServerOptions {
  port: number; bindAddress?: string;
  /** Named readiness checks: return undefined when fine, else the reason. */
  ready?: Record<string, () => string | undefined | Promise<string | undefined>>;
  registry?: client.Registry;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const registry = opts.registry ?? client.register;
  const server = http.createServer(async (req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (p === '/healthz' || p === '/livez') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return; }
    if (p === '/readyz') {
      const failed: string[] = [];
      for (const [name, check] of Object.entries(opts.ready ?? {})) {
        const why = await check();
        if (why) failed.push(`[-]${name} failed: ${why}`);
      }
      res.writeHead(failed.length ? 503 : 200, { 'Content-Type': 'text/plain' });
      res.end(failed.length ? `${failed.join('\n')}\nreadyz check failed` : 'ok');
      return;
    }
    if (p === '/metrics') { res.writeHead(200, { 'Content-Type': registry.contentType }); res.end(await registry.metrics()); return; }
    res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not found');
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port, opts.bindAddress ?? '127.0.0.1', resolve); });
  return { server, port: (server.address() as AddressInfo).port, close: () => new Promise(r => server.close(() => r())) };
}

/** `--name=value` flags; unknown flags are an error naming the known ones. */
export function parseFlags(program: string, argv: string[], known: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`${program}: unexpected argument ${JSON.stringify(a)} (flags are --name=value)`);
    if (!known.includes(m[1])) throw new Error(`${program}: unknown flag --${m[1]}; known: ${known.map(k => '--' + k).join(' ')}`);
    out[m[1]] = m[2] ?? 'true';
  }
  return out;
}
