// Node registration, status and Lease heartbeat (upstream kubelet_node_status.go, nodestatus/setters.go,
// component-helpers lease controller): register with backoff, report every 10 s but write only on change
// (or every 5 min), renew kube-node-lease/<node> every 10 s.
import fs from 'node:fs';
import os from 'node:os';
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1';
import { KubeClient, Logger, resources, StatusError } from '@mk8s/apimachinery';
import type { DockerRuntime } from '../runtime/docker';

export const MAX_PODS = 110;
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
const namespaces = resources.namespaces;

export interface NodeStatusOptions {
  kube: KubeClient; runtime: DockerRuntime; log: Logger;
  nodeName: string; nodeIP: string; rootDir: string; labels: Record<string, string>; taints: Taint[];
  kubeletPort: number; podCIDR?: string;
  /** --max-pods (default 110). */
  maxPods?: number;
  /** undefined when healthy, else why the node is not ready. */
  runtimeProblem: () => string | undefined;
}

/** `key=value:Effect,key2:Effect` (--register-with-taints). */
export function parseTaints(s: string | undefined): Taint[] {
  if (!s) return [];
  return s.split(',').filter(Boolean).map(part => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(part.trim());
    if (!m) throw new Error(`--register-with-taints: ${JSON.stringify(part)} is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    return { key: m[1], ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] };
  });
}

/** `k=v,k2=v2` (--node-labels). */
export function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`--node-labels: ${JSON.stringify(part)} is not key=value`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export function nodeCapacity(maxPods = MAX_PODS): { cpu: string; memory: string; pods: string; 'ephemeral-storage'?: string } {
  return { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: String(maxPods) };
}

export function nodeAllocatable(maxPods = MAX_PODS): { cpu: string; memory: string; pods: string } {
  return { cpu: String(os.cpus().length), memory: `${Math.floor((os.totalmem() - EVICTION_MEMORY_BYTES) / 1024)}Ki`, pods: String(maxPods) };
}

const readOr = (f: string, d: string) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch { return d; } };
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class NodeStatusReporter {
  uid?: string;
  private lastWritten?: string;
  private lastWriteAt = 0;
  private conditions = new Map<string, NodeCondition>();
  private timers: NodeJS.Timeout[] = [];
  private runtimeVersion = 'docker://unknown';

  constructor(private readonly o: NodeStatusOptions) {}

  private initialNode(): Node {
    return {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name: this.o.nodeName,
        labels: { 'kubernetes.io/hostname': this.o.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': os.arch() === 'x64' ? 'amd64' : os.arch(), ...this.o.labels },
        annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: { ...(this.o.taints.length ? { taints: this.o.taints } : {}), ...(this.o.podCIDR ? { podCIDR: this.o.podCIDR, podCIDRs: [this.o.podCIDR] } : {}) },
    };
  }

  /** POST the Node, or reconcile labels/taints of an existing one; retried with backoff until it works. */
  async register(signal?: AbortSignal): Promise<void> {
    try { this.runtimeVersion = `docker://${await this.o.runtime.version()}`; } catch { /* reported as not ready */ }
    let delay = 100;
    for (;;) {
      try {
        const created = await this.o.kube.create<Node>(resources.nodes, undefined, this.initialNode()).catch(async e => {
          if (!(e instanceof StatusError && e.code === 409)) throw e;
          const want = this.initialNode();
          return this.o.kube.patch<Node>(resources.nodes, undefined, this.o.nodeName, 'merge', {
            metadata: { labels: want.metadata!.labels }, ...(this.o.taints.length ? { spec: { taints: this.o.taints } } : {}),
          });
        });
        this.uid = created.metadata?.uid;
        this.o.log.info('node registered', { node: this.o.nodeName });
        return;
      } catch (e) {
        this.o.log.warn('node registration failed; retrying', { error: (e as Error).message, retryMs: delay });
        if (signal?.aborted) throw e;
        await new Promise(r => setTimeout(r, delay));
        delay = Math.min(delay * 2, 7000);
      }
    }
  }

  start(): void {
    const every = (fn: () => Promise<void>, ms: number) => {
      void fn().catch(() => undefined);
      this.timers.push(setInterval(() => void fn().catch(e => this.o.log.warn('node heartbeat failed', { error: (e as Error).message })), ms));
    };
    every(() => this.updateStatus(), 10_000);
    every(() => this.renewLease(), 10_000);
  }

  stop(): void { for (const t of this.timers) clearInterval(t); }

  private condition(type: string, ok: boolean, trueReason: string, falseReason: string, trueMsg: string, falseMsg: string): NodeCondition {
    const status = ok ? 'True' : 'False';
    const prev = this.conditions.get(type);
    const c: NodeCondition = {
      type, status, reason: ok ? trueReason : falseReason, message: ok ? trueMsg : falseMsg,
      lastHeartbeatTime: now(), lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now(),
    };
    this.conditions.set(type, c);
    return c;
  }

  async updateStatus(): Promise<void> {
    const problem = this.o.runtimeProblem();
    const memFree = os.freemem();
    let diskFree = 1;
    try { const s = fs.statfsSync(fs.existsSync(this.o.rootDir) ? this.o.rootDir : '/'); diskFree = s.bavail / s.blocks; } catch { /* unknown: assume fine */ }
    const memPressure = memFree < EVICTION_MEMORY_BYTES;
    const diskPressure = diskFree < 0.1;
    const conditions = [
      this.condition('MemoryPressure', memPressure, 'KubeletHasInsufficientMemory', 'KubeletHasSufficientMemory', 'kubelet has insufficient memory available', 'kubelet has sufficient memory available'),
      this.condition('DiskPressure', diskPressure, 'KubeletHasDiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has disk pressure', 'kubelet has no disk pressure'),
      this.condition('PIDPressure', false, 'KubeletHasInsufficientPID', 'KubeletHasSufficientPID', 'kubelet has insufficient PID available', 'kubelet has sufficient PID available'),
      this.condition('Ready', !problem, 'KubeletReady', 'KubeletNotReady', 'kubelet is posting ready status', problem ?? ''),
    ];
    let images: { names: string[]; sizeBytes: number }[] = [];
    try { images = await this.o.runtime.images(); } catch { /* docker down: Ready says so */ }
    const status = {
      capacity: nodeCapacity(this.o.maxPods), allocatable: nodeAllocatable(this.o.maxPods), conditions,
      addresses: [{ type: 'InternalIP', address: this.o.nodeIP }, { type: 'Hostname', address: this.o.nodeName }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.o.kubeletPort } },
      nodeInfo: {
        machineID: readOr('/etc/machine-id', ''), systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''), bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
        kernelVersion: os.release(), osImage: osImage(), containerRuntimeVersion: this.runtimeVersion, kubeletVersion: 'v1.32.0-mk8s',
        kubeProxyVersion: '', operatingSystem: 'linux', architecture: os.arch() === 'x64' ? 'amd64' : os.arch(),
      },
      images,
    };
    const sig = JSON.stringify({ ...status, conditions: conditions.map(c => [c.type, c.status, c.message]) });
    if (sig === this.lastWritten && Date.now() - this.lastWriteAt < 5 * 60_000) return;
    await this.o.kube.patch(resources.nodes, undefined, this.o.nodeName, 'merge', { status }, { subresource: 'status' });
    this.lastWritten = sig; this.lastWriteAt = Date.now();
  }

  async renewLease(): Promise<void> {
    const ns = 'kube-node-lease';
    const spec = { holderIdentity: this.o.nodeName, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') };
    try {
      const cur = await this.o.kube.get<any>(resources.leases, ns, this.o.nodeName);
      await this.o.kube.update(resources.leases, ns, { ...cur, spec: { ...cur.spec, ...spec } });
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
      const lease = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.o.nodeName, namespace: ns, ...(this.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.uid }] } : {}) },
        spec,
      };
      try { await this.o.kube.create(resources.leases, ns, lease); } catch (e2) {
        if (!(e2 instanceof StatusError && e2.code === 404)) throw e2;
        await this.o.kube.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch(() => undefined);
        await this.o.kube.create(resources.leases, ns, lease);
      }
    }
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readOr('/etc/os-release', ''));
  return m ? m[1] : 'Linux';
}
