// GET /stats/summary: the Summary API shape (k8s.io/kubelet/pkg/apis/stats/v1alpha1) filled from Docker
// stats per container and /proc for the node. CPU rates come from Docker's own two samples (precpu/cpu).
import fs from 'node:fs';
import os from 'node:os';
import type Dockerode from 'dockerode';
import {
  LABEL_CONTAINER_NAME, LABEL_DOCKER_TYPE, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, SANDBOX_CONTAINER_NAME,
} from '../runtime/naming';

export interface CpuStats { time: string; usageNanoCores?: number; usageCoreNanoSeconds: number }
export interface MemoryStats { time: string; availableBytes?: number; usageBytes: number; workingSetBytes: number; rssBytes: number; pageFaults: number; majorPageFaults: number }
export interface ContainerStats { name: string; startTime: string; cpu: CpuStats; memory: MemoryStats }
export interface PodStats { podRef: { name: string; namespace: string; uid: string }; startTime: string; containers: ContainerStats[]; cpu: CpuStats; memory: MemoryStats }
export interface Summary { node: { nodeName: string; startTime: string; cpu: CpuStats; memory: MemoryStats; systemContainers: unknown[] }; pods: PodStats[] }

const CLK_TCK = 100; // USER_HZ on Linux

/** Node CPU seconds from /proc/stat; the rate is taken against the previous call. */
export class NodeCpu {
  private last?: { at: bigint; used: number };
  sample(): CpuStats {
    const now = process.hrtime.bigint();
    let used = 0;
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      // user nice system idle iowait irq softirq steal
      used = ((f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) * 1e9) / CLK_TCK;
    } catch { used = os.cpus().reduce((s, c) => s + (c.times.user + c.times.nice + c.times.sys + c.times.irq) * 1e6, 0); }
    const out: CpuStats = { time: new Date().toISOString(), usageCoreNanoSeconds: Math.round(used) };
    if (this.last && now > this.last.at) out.usageNanoCores = Math.max(0, Math.round(((used - this.last.used) / Number(now - this.last.at)) * 1e9));
    this.last = { at: now, used };
    return out;
  }
}

function nodeMemory(): MemoryStats {
  const info: Record<string, number> = {};
  try {
    for (const l of fs.readFileSync('/proc/meminfo', 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+)/.exec(l);
      if (m) info[m[1]] = Number(m[2]) * 1024;
    }
  } catch { /* fall back to os below */ }
  const total = info.MemTotal ?? os.totalmem();
  const available = info.MemAvailable ?? os.freemem();
  const usage = total - (info.MemFree ?? os.freemem());
  const workingSet = total - available;
  return { time: new Date().toISOString(), availableBytes: available, usageBytes: usage, workingSetBytes: workingSet, rssBytes: workingSet, pageFaults: 0, majorPageFaults: 0 };
}

/** Docker's stats document -> Summary CPU and memory (cgroup v1 and v2 field names). */
export function fromDockerStats(s: any): { cpu: CpuStats; memory: MemoryStats } {
  const time = s.read && !s.read.startsWith('0001') ? new Date(s.read).toISOString() : new Date().toISOString();
  const total = Number(s.cpu_stats?.cpu_usage?.total_usage ?? 0);
  const cpuDelta = total - Number(s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = Number(s.cpu_stats?.system_cpu_usage ?? 0) - Number(s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = Number(s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || os.cpus().length);
  const cpu: CpuStats = { time, usageCoreNanoSeconds: total };
  // system_cpu_usage sums all CPUs: wall time of the interval = sysDelta / cpus
  if (sysDelta > 0 && s.precpu_stats?.system_cpu_usage) cpu.usageNanoCores = Math.max(0, Math.round((cpuDelta / (sysDelta / cpus)) * 1e9));
  const ms = s.memory_stats ?? {};
  const st = ms.stats ?? {};
  const usage = Number(ms.usage ?? 0);
  const inactive = Number(st.total_inactive_file ?? st.inactive_file ?? 0);
  const memory: MemoryStats = {
    time, usageBytes: usage, workingSetBytes: Math.max(0, usage - inactive), rssBytes: Number(st.total_rss ?? st.rss ?? st.anon ?? 0),
    pageFaults: Number(st.total_pgfault ?? st.pgfault ?? 0), majorPageFaults: Number(st.total_pgmajfault ?? st.pgmajfault ?? 0),
  };
  if (ms.limit && ms.limit < Number.MAX_SAFE_INTEGER / 2 && ms.limit < os.totalmem()) memory.availableBytes = Math.max(0, ms.limit - memory.workingSetBytes);
  return { cpu, memory };
}

const sumCpu = (xs: CpuStats[]): CpuStats => ({
  time: new Date().toISOString(),
  usageCoreNanoSeconds: xs.reduce((a, x) => a + x.usageCoreNanoSeconds, 0),
  ...(xs.every(x => x.usageNanoCores !== undefined) ? { usageNanoCores: xs.reduce((a, x) => a + (x.usageNanoCores ?? 0), 0) } : {}),
});
const sumMem = (xs: MemoryStats[]): MemoryStats => ({
  time: new Date().toISOString(),
  usageBytes: xs.reduce((a, x) => a + x.usageBytes, 0), workingSetBytes: xs.reduce((a, x) => a + x.workingSetBytes, 0),
  rssBytes: xs.reduce((a, x) => a + x.rssBytes, 0), pageFaults: xs.reduce((a, x) => a + x.pageFaults, 0), majorPageFaults: xs.reduce((a, x) => a + x.majorPageFaults, 0),
});

const startedAt = new Date(Date.now() - os.uptime() * 1000).toISOString();

/** Running containers of this node's pods, stats fetched in parallel (Docker takes ~1 s for the two samples). */
export async function summary(docker: Dockerode, nodeName: string, nodeCpu: NodeCpu): Promise<Summary> {
  const list = await docker.listContainers({ filters: { label: [`${LABEL_NODE}=${nodeName}`, LABEL_DOCKER_TYPE], status: ['running'] } });
  const stats = await Promise.all(list.map(async c => {
    try {
      const [s, info] = await Promise.all([docker.getContainer(c.Id).stats({ stream: false }), docker.getContainer(c.Id).inspect()]);
      return { c, s: fromDockerStats(s), started: info.State?.StartedAt ?? new Date(c.Created * 1000).toISOString() };
    } catch { return undefined; } // gone between list and stats
  }));
  const pods = new Map<string, PodStats & { all: { cpu: CpuStats; memory: MemoryStats }[] }>();
  for (const x of stats) {
    if (!x) continue;
    const l = x.c.Labels ?? {};
    const uid = l[LABEL_POD_UID];
    if (!uid) continue;
    let p = pods.get(uid);
    if (!p) {
      p = { podRef: { name: l[LABEL_POD_NAME] ?? '', namespace: l[LABEL_POD_NAMESPACE] ?? '', uid }, startTime: x.started, containers: [], cpu: undefined as any, memory: undefined as any, all: [] };
      pods.set(uid, p);
    }
    if (x.started < p.startTime) p.startTime = x.started;
    p.all.push(x.s);
    if (l[LABEL_CONTAINER_NAME] !== SANDBOX_CONTAINER_NAME && l[LABEL_DOCKER_TYPE] === 'container') {
      p.containers.push({ name: l[LABEL_CONTAINER_NAME] ?? '', startTime: x.started, cpu: x.s.cpu, memory: x.s.memory });
    }
  }
  const out: PodStats[] = [];
  for (const { all, ...p } of pods.values()) {
    p.cpu = sumCpu(all.map(a => a.cpu));
    p.memory = sumMem(all.map(a => a.memory));
    p.containers.sort((a, b) => a.name.localeCompare(b.name));
    out.push(p);
  }
  out.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));
  return { node: { nodeName, startTime: startedAt, cpu: nodeCpu.sample(), memory: nodeMemory(), systemContainers: [] }, pods: out };
}
