#!/usr/bin/env node
// mk8s-controller-manager: runs the cluster's controllers under one leader-elected process.
import os from 'node:os';
import {
  createLogger, parseFlags, startHealthServer, clientFromKubeconfig, loadKubeconfig, SharedInformer, resources,
  discoverResources, LeaderElector, DiscoveredResource, leaseClient,
} from '@mk8s/apimachinery';

import { NamespaceController } from './namespace';
import { ServiceAccountsController } from './serviceaccount';

const KNOWN = ['kubeconfig', 'port', 'bind-address', 'leader-elect', 'leader-elect-lease-duration', 'leader-elect-renew-deadline',
  'leader-elect-retry-period', 'log-format', 'controllers', 'transport'];

function seconds(s: string | undefined, d: number): number {
  if (!s) return d;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(s);
  if (!m) throw new Error(`controller-manager: bad duration ${JSON.stringify(s)}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

async function main() {
  const f = parseFlags('mk8s-controller-manager', process.argv.slice(2), KNOWN);
  const log = createLogger('controller-manager', f['log-format']);
  const kubeconfig = f.kubeconfig ?? process.env.KUBECONFIG ?? `${os.homedir()}/.mk8s/kubeconfig`;
  const kube = clientFromKubeconfig(kubeconfig, 'kube-controller-manager', f.transport);
  const server = loadKubeconfig(kubeconfig).server;
  let discovered: { at: number; list: DiscoveredResource[] } | undefined;
  const discover = async () => {
    if (!discovered || Date.now() - discovered.at > 30_000) discovered = { at: Date.now(), list: await discoverResources(server) };
    return discovered.list;
  };
  const namespaces = new SharedInformer<any>(kube.listWatcher(resources.namespaces), { name: 'namespaces', resyncPeriodMs: 60_000 });
  const serviceAccounts = new SharedInformer<any>(kube.listWatcher(resources.serviceaccounts), { name: 'serviceaccounts' });
  const wanted = (f.controllers ?? '*').split(',');
  const on = (n: string) => wanted.includes('*') || wanted.includes(n);
  const controllers = [
    ...(on('namespace') ? [new NamespaceController(kube, namespaces, discover, log)] : []),
    ...(on('serviceaccount') ? [new ServiceAccountsController(kube, namespaces, serviceAccounts, log)] : []),
  ];
  let leading = false;
  const health = await startHealthServer({
    port: Number(f.port ?? 10257), bindAddress: f['bind-address'],
    ready: { informers: () => (namespaces.hasSynced() && serviceAccounts.hasSynced() ? undefined : 'informers not synced') },
  });
  log.info('serving health', { port: health.port });

  const runControllers = async (signal: AbortSignal) => {
    leading = true;
    log.info('started leading; running controllers', { controllers: controllers.map(c => c.name) });
    namespaces.run(); serviceAccounts.run();
    await namespaces.waitForSync(signal); await serviceAccounts.waitForSync(signal);
    await Promise.all(controllers.map(c => c.run(2, signal)));
  };
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort()); process.on('SIGINT', () => stop.abort());
  if (f['leader-elect'] === 'false') {
    await runControllers(stop.signal);
  } else {
    const identity = `${os.hostname()}_${process.pid}`;
    const elector = new LeaderElector({
      namespace: 'kube-system', name: 'kube-controller-manager', identity, client: leaseClient(kube),
      leaseDurationMs: seconds(f['leader-elect-lease-duration'], 15_000), renewDeadlineMs: seconds(f['leader-elect-renew-deadline'], 10_000),
      retryPeriodMs: seconds(f['leader-elect-retry-period'], 2_000),
      callbacks: {
        onStartedLeading: (signal: AbortSignal) => { void runControllers(signal); },
        onStoppedLeading: () => { log.error('lost leadership; exiting'); process.exit(1); },
        onNewLeader: (id: string) => log.info('leader is', { identity: id }),
      },
    } as any);
    await elector.run(stop.signal);
  }
  void leading;
  namespaces.stop(); serviceAccounts.stop(); await health.close(); kube.close();
  process.exit(0);
}

main().catch(e => { console.error(`mk8s-controller-manager: ${(e as Error).message}`); process.exit(1); });
