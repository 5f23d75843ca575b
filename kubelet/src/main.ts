#!/usr/bin/env node
// mk8s-kubelet: runs the pods bound to this node in Docker and reports the node.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clientFromKubeconfig, createLogger, EventRecorder, eventSink, parseFlags, startHealthServer,
} from '@mk8s/apimachinery';
import { DockerRuntime } from './runtime/docker';
import { KubeletCore } from './kubelet';
import { hostResolvConf } from './pod/dns';
import { NodeStatusReporter, nodeAllocatable, parseLabels, parseTaints } from './node/node-status';
import { VolumeManager } from './volumes';
import { StaticPodSource } from './static';

const KNOWN = ['kubeconfig', 'node-name', 'hostname-override', 'node-ip', 'docker-host', 'root-dir', 'pod-manifest-path',
  'cluster-dns', 'cluster-domain', 'node-labels', 'register-with-taints', 'port', 'address', 'healthz-port',
  'healthz-bind-address', 'log-format', 'pod-cidr', 'pod-infra-container-image', 'resolv-conf', 'transport', 'max-pods'];

// Loopback unless told otherwise (--node-ip): the kubelet API and hostPorts listen on the node IP, and these
// machines may only receive traffic on loopback and on the project's own namespaces.
function defaultNodeIP(): string {
  return '127.0.0.1';
}

function port(v: string | undefined, d: number, flag: string): number {
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag}: ${JSON.stringify(v)} is not a port number`);
  return n;
}

async function main() {
  const f = parseFlags('mk8s-kubelet', process.argv.slice(2), KNOWN);
  const log = createLogger('kubelet', f['log-format']);
  const nodeName = (f['node-name'] ?? f['hostname-override'] ?? os.hostname()).toLowerCase();
  const nodeIP = f['node-ip'] ?? defaultNodeIP();
  const rootDir = f['root-dir'] ?? (process.env.MK8S_HOME ? path.join(process.env.MK8S_HOME, 'kubelet') : '/var/lib/mk8s-kubelet');
  fs.mkdirSync(path.join(rootDir, 'pods'), { recursive: true });
  const kubeconfig = f.kubeconfig ?? process.env.KUBECONFIG ?? `${os.homedir()}/.mk8s/kubeconfig`;
  const kube = clientFromKubeconfig(kubeconfig, `kubelet/${nodeName}`, f.transport);
  const runtime = new DockerRuntime(nodeName, f['docker-host'] ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
  const labels = parseLabels(f['node-labels']);
  const taints = parseTaints(f['register-with-taints']);
  const clusterDNS = (f['cluster-dns'] ?? '').split(',').map(s => s.trim()).filter(Boolean);
  const recorder = new EventRecorder(eventSink(kube), { component: 'kubelet', host: nodeName }, {
    onError: (err, what) => log.debug(`event: ${what}`, { error: (err as Error)?.message }),
  });
  const volumes = new VolumeManager({ rootDir, kube, nodeName, log });
  const maxPods = f['max-pods'] === undefined ? undefined : Number(f['max-pods']);
  if (maxPods !== undefined && (!Number.isInteger(maxPods) || maxPods < 1)) throw new Error(`--max-pods: ${JSON.stringify(f['max-pods'])} is not a positive integer`);
  const alloc = nodeAllocatable(maxPods);
  let reporter: NodeStatusReporter | undefined;
  const core = new KubeletCore({
    kube, runtime, log, recorder, volumes, nodeName, nodeIP, rootDir, clusterDNS,
    clusterDomain: f['cluster-domain'] ?? 'cluster.local', pauseImage: f['pod-infra-container-image'] ?? 'mk8s/pause:3.9',
    hostDns: hostResolvConf(f['resolv-conf']), allocatable: { cpu: alloc.cpu, memory: alloc.memory, pods: alloc.pods }, nodeUid: () => reporter?.uid,
  });

  let dockerOk: string | undefined = 'container runtime not checked yet';
  const checkDocker = async () => {
    try { await runtime.docker.ping(); dockerOk = undefined; } catch (e) { dockerOk = `container runtime is down: ${(e as Error).message}`; }
  };
  await checkDocker();
  const dockerTimer = setInterval(() => void checkDocker(), 5000);

  // kubelet API (logs, exec, pods, stats): kubelet-io-helper's module, when present
  const kubeletPort = port(f.port, 10250, 'port');
  let server: { port: number; close(): Promise<void> } | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require('./server');
    server = await mod.startKubeletServer({ port: kubeletPort, bindAddress: f.address ?? nodeIP, docker: runtime.docker, nodeName, log,
      podsSnapshot: () => core.podsSnapshot() });
    log.info('kubelet API listening', { port: server!.port });
  } catch (e) {
    log.warn('kubelet API not started', { error: (e as Error).message });
  }

  reporter = new NodeStatusReporter({
    kube, runtime, log, nodeName, nodeIP, rootDir, labels, taints, kubeletPort: server?.port ?? kubeletPort, podCIDR: f['pod-cidr'], maxPods,
    runtimeProblem: () => dockerOk ?? (Date.now() - core.lastRelist > 180_000
      ? `PLEG is not healthy: pleg was last seen active ${Math.round((Date.now() - core.lastRelist) / 1000)}s ago; threshold is 3m0s` : undefined),
  });
  const health = await startHealthServer({
    port: port(f['healthz-port'], 10248, 'healthz-port'), bindAddress: f['healthz-bind-address'] ?? '127.0.0.1',
    ready: { runtime: () => dockerOk, pods: () => (core.informer.hasSynced() ? undefined : 'pod informer not synced') },
  });
  log.info('serving health', { port: health.port, node: nodeName, nodeIP });
  let stopping = false;

  // static pods run whether or not the apiserver answers: registration waits in the background
  let staticSource: StaticPodSource | undefined;
  if (f['pod-manifest-path']) {
    staticSource = new StaticPodSource({ dir: f['pod-manifest-path'], nodeName, log });
    staticSource.start(pods => core.setStaticPods(pods));
  } else core.markStaticLoaded();
  await core.start();
  log.info('kubelet started', { node: nodeName });
  const registered = reporter.register().then(() => { if (!stopping) reporter!.start(); });
  void registered.catch(e => log.error('node registration gave up', { error: (e as Error).message }));

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // containers keep running: a restarted kubelet adopts them
    core.stop(); reporter?.stop(); staticSource?.stop(); clearInterval(dockerTimer);
    await recorder.flush();
    await Promise.all([health.close(), server?.close()]);
    kube.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

process.on('unhandledRejection', e => { console.error(`mk8s-kubelet: unhandled rejection: ${(e as Error)?.stack ?? e}`); });
main().catch(e => { console.error(`mk8s-kubelet: ${(e as Error).message}`); process.exit(1); });
