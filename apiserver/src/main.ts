#!/usr/bin/env node
// mk8s-apiserver: the only process that touches etcd.
import { ApiServer, ServerOptions } from './server';

function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) { console.error(`mk8s-apiserver: unexpected argument ${JSON.stringify(a)} (flags are --name=value)`); process.exit(2); }
    out[m[1]] = m[2] ?? 'true';
  }
  return out;
}

function duration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(s);
  if (!m) { console.error(`mk8s-apiserver: bad duration ${JSON.stringify(s)} (e.g. 5m, 30s, 0)`); process.exit(2); }
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] as number);
}

const KNOWN = ['etcd-servers', 'etcd-prefix', 'bind-address', 'port', 'secure-port', 'grpc-port', 'service-cluster-ip-range',
  'service-node-port-range', 'etcd-compaction-interval', 'watch-cache-size', 'log-format', 'service-account-signing-key-file'];

async function main() {
  const f = parseFlags(process.argv.slice(2));
  for (const k of Object.keys(f)) if (!KNOWN.includes(k)) { console.error(`mk8s-apiserver: unknown flag --${k}; known: ${KNOWN.map(x => '--' + x).join(' ')}`); process.exit(2); }
  const opts: ServerOptions = {
    etcdServers: (f['etcd-servers'] ?? 'http://127.0.0.1:2379').split(',').map(s => s.replace(/^https?:\/\//, '')),
    etcdPrefix: f['etcd-prefix'] ?? '/registry',
    bindAddress: f['bind-address'] ?? '127.0.0.1',
    port: Number(f.port ?? f['secure-port'] ?? process.env.MK8S_API_PORT ?? 6443),
    grpcPort: Number(f['grpc-port'] ?? process.env.MK8S_GRPC_PORT ?? 6444),
    serviceClusterIPRange: f['service-cluster-ip-range'] ?? '10.96.0.0/12',
    serviceNodePortRange: f['service-node-port-range'] ?? '30000-32767',
    compactionIntervalMs: duration(f['etcd-compaction-interval'] ?? '5m'),
    watchCacheSize: f['watch-cache-size'] ? Number(f['watch-cache-size']) : undefined,
    logFormat: f['log-format'],
    serviceAccountSigningKeyFile: f['service-account-signing-key-file'],
  };
  const server = new ApiServer(opts);
  await server.start();
  const stop = async (sig: string) => {
    server.log.info('shutting down', { signal: sig });
    await server.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch(e => { console.error(`mk8s-apiserver: ${(e as Error).stack ?? e}`); process.exit(1); });
