// bench scheduler: how fast the scheduler process binds a backlog of pending pods, through the real apiserver
// and etcd (the scheduler_perf way: hollow Node objects, no kubelets).
//   For 100 and for 1,000 hollow nodes (a fresh etcd + apiserver each): create 5,000 pending pods - all with
//   cpu/memory requests, 20 % with a nodeSelector (pool=a, half the nodes), 10 % with required pod
//   anti-affinity on kubernetes.io/hostname inside groups of 50 - then start `node scheduler/dist/main.js`
//   and sample its scheduler_binding_total every 250 ms until all 5,000 are bound.
// Figures: pods/s (bound pods over the time from the first to the last bind), the median of per-second samples,
// p99 of the scheduling attempt (the cycle: filters + scores) and of the e2e pod scheduling latency (queue
// entry to bound; with a 5,000-pod backlog this is mostly waiting in the queue), and the CPU of apiserver, etcd
// and scheduler from /proc/<pid>/stat, which names what bounds the rate.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { clientFromKubeconfig, KubeClient, resources } from '@mk8s/apimachinery';
import { hollowNode } from '@mk8s/scheduler';
import { cluster, Cluster, REPO_ROOT, sessionDir } from '@mk8s/test';

const N_PODS = Number(process.env.BENCH_PODS ?? 5000);
const SIZES = (process.env.BENCH_NODES ?? '100,1000').split(',').map(Number);
const CREATE_CONCURRENCY = 50;
const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; } })();
const NCPU = (() => { try { return fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter(l => l.startsWith('processor')).length || 1; } catch { return 1; } })();

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Busy and total jiffies of the whole machine (/proc/stat), to see what else used the CPUs meanwhile. */
function machineJiffies(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

async function inParallel(n: number, limit: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => { while (next < n) await fn(next++); }));
}

function benchPod(i: number) {
  const cpu = ['100m', '200m', '250m', '500m'][i % 4];
  const memory = ['128Mi', '256Mi', '512Mi'][i % 3];
  const labels: Record<string, string> = { app: `app-${i % 20}` };
  const spec: any = { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu, memory } } }] };
  if (i % 5 === 1) spec.nodeSelector = { pool: 'a' };
  if (i % 10 === 3) {
    const group = `anti-${Math.floor(i / 500)}`; // 10 groups of 50
    labels.group = group;
    spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { group } } }] } };
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, labels }, spec };
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
const counter = (text: string, re: RegExp) => { let s = 0; for (const m of text.matchAll(re)) s += Number(m[1]); return s; };

/** p-quantile from a Prometheus histogram's cumulative buckets (upper bound of the bucket it falls in). */
function histogramQuantile(text: string, name: string, q: number): number {
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\d+)`, 'gm'))) {
    const le = /le="([^"]+)"/.exec(m[1])![1];
    const b = le === '+Inf' ? Infinity : Number(le);
    buckets.set(b, (buckets.get(b) ?? 0) + Number(m[2]));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  for (const [le, n] of sorted) if (n >= q * total) return le;
  return NaN;
}

interface RunResult {
  nodes: number; podsPerSec: number; medianSampleRate: number; attemptP99Ms: number; e2eP99S: number; wallS: number;
  cpuPct: { apiserver: number; etcd: number; scheduler: number; others: number; machine: number }; bound: string;
}

async function runOne(nodes: number): Promise<RunResult> {
  const c: Cluster = await cluster({ apiserver: { logFormat: 'json' } });
  const kube: KubeClient = clientFromKubeconfig(c.kubeconfig, 'bench-scheduler');
  let sched: ChildProcess | undefined;
  try {
    await inParallel(nodes, CREATE_CONCURRENCY, i => kube.create(resources.nodes, undefined,
      hollowNode(`node-${i}`, { cpu: '32', memory: '128Gi', pods: '110', labels: { pool: i % 2 ? 'b' : 'a', 'topology.kubernetes.io/zone': `zone-${i % 3}` } })));
    await inParallel(N_PODS, CREATE_CONCURRENCY, i => kube.create(resources.pods, 'default', benchPod(i)));
    const log = path.join(sessionDir(), `scheduler-${nodes}.log`);
    const fd = fs.openSync(log, 'a');
    sched = spawn(process.execPath, [path.join(REPO_ROOT, 'scheduler/dist/main.js'), `--kubeconfig=${c.kubeconfig}`, '--port=0', '--leader-elect=false', '--log-format=json'],
      { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    let port = 0;
    for (let t = 0; !port; t++) {
      const m = /"port":(\d+)/.exec(fs.readFileSync(log, 'utf8'));
      if (m) port = Number(m[1]);
      else if (t > 300 || sched.exitCode !== null) throw new Error(`scheduler did not start:\n${fs.readFileSync(log, 'utf8')}`);
      else await new Promise(r => setTimeout(r, 50));
    }
    // the health line comes before the informers: it is fine, the clock starts at the first bind
    const pids = { apiserver: c.apiserver.pid, etcd: c.etcd.pid, scheduler: sched.pid! };
    const cpu0 = { apiserver: cpuSeconds(pids.apiserver), etcd: cpuSeconds(pids.etcd), scheduler: cpuSeconds(pids.scheduler) };
    const wall0 = Date.now();
    const m0 = machineJiffies();
    const samples: { t: number; bound: number }[] = [];
    let text = '';
    const deadline = Date.now() + 300_000;
    for (;;) {
      text = await scrape(port);
      const bound = counter(text, /^scheduler_binding_total\{result="ok"\} (\d+)/gm);
      samples.push({ t: Date.now(), bound });
      if (bound >= N_PODS) break;
      if (Date.now() > deadline) throw new Error(`only ${bound}/${N_PODS} pods bound after 300 s`);
      if (sched.exitCode !== null) throw new Error(`scheduler exited:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
      await new Promise(r => setTimeout(r, 250));
    }
    const wallS = (Date.now() - wall0) / 1000;
    const m1 = machineJiffies();
    const own = {
      apiserver: Math.round((cpuSeconds(pids.apiserver) - cpu0.apiserver) / wallS * 100),
      etcd: Math.round((cpuSeconds(pids.etcd) - cpu0.etcd) / wallS * 100),
      scheduler: Math.round((cpuSeconds(pids.scheduler) - cpu0.scheduler) / wallS * 100),
    };
    const machine = Math.round((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total) * NCPU * 100);
    const cpu = { ...own, others: Math.max(0, machine - own.apiserver - own.etcd - own.scheduler), machine };
    const first = samples.find(s => s.bound > 0)!;
    const prev = samples[samples.indexOf(first) - 1] ?? first;
    const last = samples.at(-1)!;
    const podsPerSec = (last.bound - prev.bound) / Math.max(0.001, (last.t - prev.t) / 1000);
    // per-second samples (scheduler_perf's throughput collector), median
    const perSec: number[] = [];
    for (let i = samples.indexOf(prev), j = i; j < samples.length; j++) {
      if (samples[j].t - samples[i].t >= 1000) { perSec.push((samples[j].bound - samples[i].bound) / ((samples[j].t - samples[i].t) / 1000)); i = j; }
    }
    perSec.sort((a, b) => a - b);
    const unsched = counter(text, /^scheduler_schedule_attempts_total\{result="unschedulable"[^}]*\} (\d+)/gm);
    if (unsched > 0) console.log(`  note: ${unsched} unschedulable attempts on ${nodes} nodes`);
    // what bounds it: a Node process cannot use more than one core; the machine has NCPU
    const top = (Object.entries(own) as [string, number][]).sort((a, b) => b[1] - a[1])[0];
    const bound = top[1] >= 85 ? `${top[0]} CPU (${top[1]}% of one core; a Node process is single-threaded)`
      : cpu.machine >= NCPU * 100 * 0.85 ? `machine CPU (${cpu.machine}% of ${NCPU * 100}% busy, ${cpu.others}% of it other processes; apiserver ${own.apiserver}%, etcd ${own.etcd}%, scheduler ${own.scheduler}%)`
        : `latency/round-trips (no process saturated: ${JSON.stringify(cpu)})`;
    return {
      nodes, podsPerSec: Math.round(podsPerSec), medianSampleRate: Math.round(perSec[Math.floor(perSec.length / 2)] ?? podsPerSec),
      attemptP99Ms: histogramQuantile(text, 'scheduler_scheduling_attempt_duration_seconds', 0.99) * 1000,
      e2eP99S: histogramQuantile(text, 'scheduler_pod_scheduling_sli_duration_seconds', 0.99),
      wallS: Math.round(wallS * 10) / 10, cpuPct: cpu, bound,
    };
  } finally {
    if (sched?.pid && sched.exitCode === null && sched.signalCode === null) process.kill(sched.pid, 'SIGKILL');
    kube.close();
    await c.teardown();
  }
}

export async function main(_args: string[]): Promise<void> {
  const results: RunResult[] = [];
  for (const n of SIZES) {
    console.log(`scheduler bench: ${N_PODS} pending pods on ${n} hollow nodes ...`);
    const r = await runOne(n);
    results.push(r);
    console.log(`  ${r.podsPerSec} pods/s (median 1 s sample ${r.medianSampleRate}), attempt p99 <= ${r.attemptP99Ms} ms, e2e p99 <= ${r.e2eP99S} s, ` +
      `${r.wallS} s; CPU apiserver ${r.cpuPct.apiserver}% etcd ${r.cpuPct.etcd}% scheduler ${r.cpuPct.scheduler}% others ${r.cpuPct.others}% (machine ${r.cpuPct.machine}% of ${NCPU * 100}%); bound by ${r.bound}`);
  }
  const { stopAll } = await import('@mk8s/test');
  await stopAll();
  const figures: Record<string, unknown> = {};
  for (const r of results) {
    figures[`pods_per_sec_${r.nodes}_nodes`] = r.podsPerSec;
    figures[`median_1s_sample_pods_per_sec_${r.nodes}_nodes`] = r.medianSampleRate;
    figures[`attempt_p99_ms_${r.nodes}_nodes`] = r.attemptP99Ms;
    figures[`e2e_p99_s_${r.nodes}_nodes`] = r.e2eP99S;
    figures[`cpu_pct_${r.nodes}_nodes`] = r.cpuPct;
    figures[`bound_by_${r.nodes}_nodes`] = r.bound;
  }
  const goals: Record<string, { target: string; value: number; met: boolean }> = {};
  const goal = (n: number, target: number) => {
    const r = results.find(x => x.nodes === n);
    if (r) goals[`pods_per_sec_${n}_nodes`] = { target: `>= ${target}`, value: r.podsPerSec, met: r.podsPerSec >= target };
  };
  goal(100, 500); goal(1000, 200);
  console.log(JSON.stringify({ bench: 'scheduler', figures, goals }));
}
