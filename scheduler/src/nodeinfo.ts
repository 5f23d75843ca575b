// NodeInfo: one node with the aggregates filters and scores read (upstream framework.NodeInfo): pods on it,
// summed requests (real and "non-zero"), host ports in use, pods with affinity terms, images. Updated
// incrementally as pods come and go, so a scheduling cycle never re-sums anything.
import type { Node, Taint } from 'kubernetes-types/core/v1';
import { addResources, cloneResources, emptyResources, hasAffinity, HostPort, PodInfo, quantity, Resources, toResources } from './podinfo';

export const DEFAULT_MAX_PODS = 110;

export class NodeInfo {
  node?: Node;
  name: string;
  labels: Record<string, string> = {};
  allocatable: Resources = emptyResources();
  allowedPods = DEFAULT_MAX_PODS;
  taints: Taint[] = [];
  unschedulable = false;
  /** Image name -> size in bytes, from node.status.images. */
  images = new Map<string, number>();

  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  nonZeroCPU = 0;
  nonZeroMemory = 0;
  /** `${protocol}/${port}` -> hostIP -> number of pods using it. */
  readonly usedPorts = new Map<string, Map<string, number>>();
  readonly podsWithAffinity = new Set<PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  /** Bumped on every change (lets tests and the preemption dry run see that something moved). */
  generation = 0;

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  /** Replaces the Node object; throws on an unparsable allocatable quantity. */
  setNode(node: Node): void {
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    const allocatable = toResources(alloc as Record<string, string>);
    const pods = (alloc as Record<string, string>).pods;
    this.allowedPods = pods === undefined ? DEFAULT_MAX_PODS : quantity(pods).value;
    this.allocatable = allocatable;
    this.node = node;
    this.name = node.metadata?.name ?? this.name;
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.unschedulable = node.spec?.unschedulable === true;
    this.images = new Map();
    for (const img of node.status?.images ?? []) for (const n of img.names ?? []) this.images.set(normalizedImageName(n), img.sizeBytes ?? 0);
    this.generation++;
  }

  addPod(p: PodInfo): void {
    this.pods.set(p.key, p);
    addResources(this.requested, p.requests);
    this.nonZeroCPU += p.nonZeroCPU;
    this.nonZeroMemory += p.nonZeroMemory;
    for (const hp of p.hostPorts) this.changePort(hp, 1);
    if (hasAffinity(p)) this.podsWithAffinity.add(p);
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.add(p);
    this.generation++;
  }

  /** Removes the pod with this key; false when it was not here. */
  removePod(key: string): boolean {
    const p = this.pods.get(key);
    if (!p) return false;
    this.pods.delete(key);
    addResources(this.requested, p.requests, -1);
    this.nonZeroCPU -= p.nonZeroCPU;
    this.nonZeroMemory -= p.nonZeroMemory;
    for (const hp of p.hostPorts) this.changePort(hp, -1);
    this.podsWithAffinity.delete(p);
    this.podsWithRequiredAntiAffinity.delete(p);
    this.generation++;
    return true;
  }

  private changePort(hp: HostPort, by: number) {
    const k = `${hp.protocol}/${hp.hostPort}`;
    let ips = this.usedPorts.get(k);
    if (!ips) this.usedPorts.set(k, ips = new Map());
    const n = (ips.get(hp.hostIP) ?? 0) + by;
    if (n > 0) ips.set(hp.hostIP, n); else ips.delete(hp.hostIP);
    if (ips.size === 0) this.usedPorts.delete(k);
  }

  /** True when hp clashes with a port in use: same protocol and port, and same IP or either side 0.0.0.0. */
  portInUse(hp: HostPort): boolean {
    const ips = this.usedPorts.get(`${hp.protocol}/${hp.hostPort}`);
    if (!ips) return false;
    if (hp.hostIP === '0.0.0.0') return true;
    return ips.has(hp.hostIP) || ips.has('0.0.0.0');
  }

  /** A copy that can lose pods without touching this one (preemption dry runs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node; c.labels = this.labels; c.allocatable = this.allocatable; c.allowedPods = this.allowedPods;
    c.taints = this.taints; c.unschedulable = this.unschedulable; c.images = this.images;
    for (const p of this.pods.values()) c.addPod(p);
    c.requested = cloneResources(c.requested);
    c.generation = this.generation;
    return c;
  }
}

/** `nginx` -> `nginx:latest`; names with a tag or digest are kept (imagelocality normalizedImageName). */
export function normalizedImageName(name: string): string {
  const lastSlash = name.lastIndexOf('/');
  const tail = name.slice(lastSlash + 1);
  if (name.includes('@') || tail.includes(':')) return name;
  return `${name}:latest`;
}
