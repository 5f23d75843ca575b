#!/usr/bin/env node
// mk8s-scheduler: assigns pending pods to nodes (kube-scheduler). Informers start at once so a standby has a warm
// cache; only the holder of Lease kube-system/kube-scheduler schedules.
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { clientFromKubeconfig, createLogger, LeaderElector, leaseClient, parseFlags, startHealthServer } from '@mk8s/apimachinery';
import { ConfigError, loadConfig } from './config';
import { Scheduler } from './scheduler';

const KNOWN = ['kubeconfig', 'config', 'port', 'bind-address', 'leader-elect', 'leader-elect-lease-duration', 'leader-elect-renew-deadline',
  'leader-elect-retry-period', 'leader-elect-resource-namespace', 'leader-elect-resource-name', 'log-format', 'transport', 'bind-concurrency'];

/** `15s`, `500ms`, `1m`, `1.5s` or a bare number of seconds. */
export function durationMs(flag: string, s: string | undefined, dflt: number): number {
  if (s === undefined) return dflt;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) throw new ConfigError(`--${flag}: bad duration ${JSON.stringify(s)} (e.g. 15s, 500ms, 1m)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

async function main() {
  const f = parseFlags('mk8s-scheduler', process.argv.slice(2), KNOWN);
  const log = createLogger('scheduler', f['log-format']);
  const config = loadConfig(f.config);
  const kubeconfig = f.kubeconfig ?? process.env.KUBECONFIG ?? `${os.homedir()}/.mk8s/kubeconfig`;
  const leaderElect = (f['leader-elect'] ?? 'true') !== 'false';
  const leaseDurationMs = durationMs('leader-elect-lease-duration', f['leader-elect-lease-duration'], 15_000);
  const renewDeadlineMs = durationMs('leader-elect-renew-deadline', f['leader-elect-renew-deadline'], 10_000);
  const retryPeriodMs = durationMs('leader-elect-retry-period', f['leader-elect-retry-period'], 2_000);
  const bindConcurrency = f['bind-concurrency'] === undefined ? 256 : Number(f['bind-concurrency']);
  if (!Number.isInteger(bindConcurrency) || bindConcurrency < 1) throw new ConfigError(`--bind-concurrency must be a positive integer, got ${f['bind-concurrency']}`);
  const port = Number(f.port ?? 10259);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0..65535, got ${f.port}`);

  const kube = clientFromKubeconfig(kubeconfig, 'kube-scheduler', f.transport);
  const identity = `${os.hostname()}_${randomUUID()}`;
  const scheduler = new Scheduler({ kube, config, log, bindConcurrency, identity });
  let leading = !leaderElect;
  const health = await startHealthServer({
    port, bindAddress: f['bind-address'], registry: scheduler.metrics.registry,
    ready: { informers: () => (scheduler.informersSynced() ? undefined : 'informers not synced') },
  });
  // one line tests and tools can read to find the port when --port=0
  log.info('serving health', { port: health.port, identity, leaderElect });
  scheduler.startInformers();

  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort()); process.on('SIGINT', () => stop.abort());
  if (!leaderElect) {
    await scheduler.run(stop.signal);
  } else {
    const elector = new LeaderElector({
      namespace: f['leader-elect-resource-namespace'] ?? 'kube-system', name: f['leader-elect-resource-name'] ?? 'kube-scheduler',
      identity, client: leaseClient(kube), leaseDurationMs, renewDeadlineMs, retryPeriodMs, releaseOnCancel: true,
      callbacks: {
        onStartedLeading: (signal: AbortSignal) => {
          leading = true;
          log.info('started leading', { identity });
          void scheduler.run(signal);
        },
        onStoppedLeading: () => {
          if (stop.signal.aborted) return;
          log.error('lost leadership; exiting');
          process.exit(1);
        },
        onNewLeader: (id: string) => log.info('leader is', { identity: id }),
      },
      onError: (err: unknown, what: string) => log.warn('leader election', { what, error: (err as Error).message }),
    });
    await elector.run(stop.signal);
  }
  void leading;
  scheduler.stop();
  await scheduler.flushEvents();
  await health.close();
  kube.close();
  process.exit(0);
}

if (require.main === module) {
  main().catch(e => {
    console.error(`mk8s-scheduler: ${(e as Error).message}`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  });
}
