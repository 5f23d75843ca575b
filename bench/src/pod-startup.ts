// bench pod-startup: time from pod create to Running (all containers started) through etcd + apiserver + the
// kubelet process + the host dockerd, against the floor of the same pause + app containers created directly
// with dockerode.
//   serial: BENCH_SERIAL pods (default 20) one at a time; burst: 50 pods created at once on one node.
//   Latency is measured from the create request to the first watch event showing the pod Running with every
//   container running. The raw floor per pod = create+start pause (bridge, ipc shareable) then create+start
//   busybox joined to its net/ipc namespaces; burst floor = 50 such pods in parallel.
// Also prints the kubelet's RSS with the 50 (+serial) pods running after 10 s idle, and its heap and external memory
// (from its /metrics) to show where the RSS goes. The kubelet runs with KUBELET_NODE_FLAGS, as deploy/up.sh starts it.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import Docker from 'dockerode';
import { clientFromKubeconfig, KubeClient, resources } from '@mk8s/apimachinery';
import { cluster, Cluster, freePorts, KUBELET_NODE_FLAGS, REPO_ROOT } from '@mk8s/test';

const SERIAL = Number(process.env.BENCH_SERIAL ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 50);
const APP_IMAGE = 'busybox:1.28';
const PAUSE_IMAGE = 'mk8s/pause:3.9';

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };
const r1 = (x: number) => Math.round(x * 10) / 10;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function benchPod(name: string, node: string) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: APP_IMAGE, command: ['sleep', '3600'] }] },
  };
}

/** Resolves per pod name when the watch shows it Running with all containers running. */
class RunningWatch {
  private waiters = new Map<string, (t: number) => void>();
  private done = new Map<string, number>();
  private stop?: { close?: () => void } | (() => void);
  constructor(kube: KubeClient) {
    this.stop = kube.watch(resources.pods, 'default', {}, (ev: any) => {
      const p = ev.object;
      const name = p?.metadata?.name;
      if (!name || this.done.has(name)) return;
      const ok = p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).length > 0 && p.status.containerStatuses.every((s: any) => s.state?.running);
      if (!ok) return;
      const t = performance.now();
      this.done.set(name, t);
      this.waiters.get(name)?.(t);
    }, () => undefined) as any;
  }
  wait(name: string, timeoutMs = 60_000): Promise<number> {
    const t = this.done.get(name);
    if (t !== undefined) return Promise.resolve(t);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not Running after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(name, x => { clearTimeout(timer); resolve(x); });
    });
  }
  close() { const s: any = this.stop; if (typeof s === 'function') s(); else s?.close?.(); }
}

async function rawPod(docker: Docker, i: number, label: string): Promise<number> {
  const t0 = performance.now();
  const labels = { 'mk8s.bench.raw': label };
  const pause = await docker.createContainer({ name: `mk8s-bench-raw-pause-${label}-${i}`, Image: PAUSE_IMAGE, Labels: labels, HostConfig: { NetworkMode: 'bridge', IpcMode: 'shareable' } });
  await pause.start();
  const mode = `container:${pause.id}`;
  const app = await docker.createContainer({ name: `mk8s-bench-raw-app-${label}-${i}`, Image: APP_IMAGE, Cmd: ['sleep', '3600'], Labels: labels, HostConfig: { NetworkMode: mode, IpcMode: mode } });
  await app.start();
  return performance.now() - t0;
}

function removeLabelled(filter: string) {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${filter}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) execFileSync('docker', ['rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
}

/** Where the kubelet's RSS goes, from its own /metrics (prom-client's Node.js collectors). */
async function kubeletMemory(apiPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  const mb = (name: string) => { const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text); return m ? r1(Number(m[1]) / 2 ** 20) : NaN; };
  return { kubelet_heap_used_mb: mb('nodejs_heap_size_used_bytes'), kubelet_heap_total_mb: mb('nodejs_heap_size_total_bytes'), kubelet_external_mb: mb('nodejs_external_memory_bytes') };
}

async function startKubelet(c: Cluster, node: string, dir: string): Promise<ChildProcess & { apiPort?: number }> {
  const [port, hp] = await freePorts(2);
  const fd = fs.openSync(path.join(dir, 'kubelet.log'), 'a');
  const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...KUBELET_NODE_FLAGS, path.join(REPO_ROOT, 'kubelet', 'dist', 'main.js'),
    `--kubeconfig=${c.kubeconfig}`, `--node-name=${node}`, '--node-ip=127.0.0.1', `--root-dir=${path.join(dir, 'root')}`,
    `--port=${port}`, '--address=127.0.0.1', `--healthz-port=${hp}`, '--log-format=json'], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  for (let i = 0; i < 100; i++) {
    const r = await c.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    if (r.stdout.trim() === 'True') return Object.assign(child, { apiPort: port });
    await new Promise(res => setTimeout(res, 200));
  }
  throw new Error(`kubelet did not register; log: ${fs.readFileSync(path.join(dir, 'kubelet.log'), 'utf8').slice(-2000)}`);
}

export async function main(): Promise<void> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const run = Math.random().toString(36).slice(2, 8);
  const node = `mk8s-bench-node-${run}`;
  const dir = fs.mkdtempSync('/tmp/mk8s-bench-pod-startup-');
  let c: Cluster | undefined;
  let kubelet: (ChildProcess & { apiPort?: number }) | undefined;
  try {
    // raw floor first (nothing else running)
    const rawSerial: number[] = [];
    for (let i = 0; i < SERIAL; i++) rawSerial.push(await rawPod(docker, i, `${run}-s`));
    removeLabelled(`mk8s.bench.raw=${run}-s`);
    const tb = performance.now();
    const rawBurst = await Promise.all(Array.from({ length: BURST }, (_x, i) => rawPod(docker, i, `${run}-b`)));
    const rawBurstTotal = performance.now() - tb;
    removeLabelled(`mk8s.bench.raw=${run}-b`);

    c = await cluster();
    kubelet = await startKubelet(c, node, dir);
    const kube = clientFromKubeconfig(c.kubeconfig, 'bench-pod-startup');
    const watch = new RunningWatch(kube);
    await new Promise(r => setTimeout(r, 500));

    const serial: number[] = [];
    for (let i = 0; i < SERIAL; i++) {
      const name = `mk8s-bench-s-${i}`;
      const t0 = performance.now();
      await kube.create(resources.pods, 'default', benchPod(name, node));
      serial.push((await watch.wait(name)) - t0);
    }
    const t1 = performance.now();
    const burst = await Promise.all(Array.from({ length: BURST }, async (_x, i) => {
      const name = `mk8s-bench-b-${i}`;
      const t0 = performance.now();
      await kube.create(resources.pods, 'default', benchPod(name, node));
      return (await watch.wait(name, 120_000)) - t0;
    }));
    const burstTotal = performance.now() - t1;
    await new Promise(r => setTimeout(r, 10_000));
    const rss = rssMb(kubelet.pid!);
    const mem = await kubeletMemory(kubelet.apiPort!);
    watch.close(); kube.close();

    const f = {
      serial_p50_ms: r1(pct(serial, 50)), serial_p99_ms: r1(pct(serial, 99)),
      raw_serial_p50_ms: r1(pct(rawSerial, 50)), raw_serial_p99_ms: r1(pct(rawSerial, 99)),
      serial_p50_over_raw_ms: r1(pct(serial, 50) - pct(rawSerial, 50)),
      burst_p50_ms: r1(pct(burst, 50)), burst_p99_ms: r1(pct(burst, 99)), burst_total_ms: r1(burstTotal),
      raw_burst_p50_ms: r1(pct(rawBurst, 50)), raw_burst_p99_ms: r1(pct(rawBurst, 99)), raw_burst_total_ms: r1(rawBurstTotal),
      burst_total_ratio: r1(burstTotal / rawBurstTotal * 100) / 100,
      kubelet_rss_mb: r1(rss), ...mem, running_pods: SERIAL + BURST,
    };
    // Every goal in the shape all benches print: { target, value, met }.
    const goal = (target: string, value: number, met: boolean) => ({ target, value, met });
    const goals = {
      serial_p50_over_raw_ms: goal('<= 150', f.serial_p50_over_raw_ms, f.serial_p50_over_raw_ms <= 150),
      serial_p99_ms: goal('<= 1000', f.serial_p99_ms, f.serial_p99_ms <= 1000),
      burst_total_ratio: goal('<= 1.5', f.burst_total_ratio, f.burst_total_ratio <= 1.5),
      kubelet_rss_mb: goal('<= 120', f.kubelet_rss_mb, f.kubelet_rss_mb <= 120),
    };
    console.log('pod create -> Running (ms)        p50      p99    total');
    console.log(`serial kubelet (${SERIAL})          ${f.serial_p50_ms.toString().padStart(7)}  ${f.serial_p99_ms.toString().padStart(7)}`);
    console.log(`serial raw dockerode             ${f.raw_serial_p50_ms.toString().padStart(7)}  ${f.raw_serial_p99_ms.toString().padStart(7)}`);
    console.log(`burst kubelet (${BURST} at once)     ${f.burst_p50_ms.toString().padStart(7)}  ${f.burst_p99_ms.toString().padStart(7)}  ${f.burst_total_ms}`);
    console.log(`burst raw dockerode              ${f.raw_burst_p50_ms.toString().padStart(7)}  ${f.raw_burst_p99_ms.toString().padStart(7)}  ${f.raw_burst_total_ms}`);
    console.log(`burst ratio ${f.burst_total_ratio}; kubelet RSS with ${f.running_pods} pods: ${f.kubelet_rss_mb} MB`);
    console.log(JSON.stringify({ bench: 'pod-startup', figures: f, goals }));
  } finally {
    kubelet?.kill('SIGKILL');
    removeLabelled(`mk8s.kubelet.node=${node}`);
    removeLabelled(`mk8s.bench.raw=${run}-s`); removeLabelled(`mk8s.bench.raw=${run}-b`);
    await c?.teardown();
    const { stopAll } = await import('@mk8s/test');
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
