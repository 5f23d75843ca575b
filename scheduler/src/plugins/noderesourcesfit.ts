// NodeResourcesFit: Filter checks pod count and every requested resource against allocatable minus what pods on
// the node request; Score is LeastAllocated by default (MostAllocated by config), over "non-zero" requests.
import type { Plugin } from '../framework';
import { MAX_NODE_SCORE, Status } from '../framework';
import type { NodeInfo } from '../nodeinfo';
import type { PodInfo } from '../podinfo';

export const NAME = 'NodeResourcesFit';

export interface ResourceWeight { name: string; weight: number }
export interface FitArgs { scoringStrategy?: { type?: 'LeastAllocated' | 'MostAllocated'; resources?: ResourceWeight[] }; ignoredResources?: string[] }

const DEFAULT_RESOURCES: ResourceWeight[] = [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }];

/** The insufficient resources; `unresolvable` when the request exceeds the node's whole allocatable (no eviction helps). */
export function insufficientResources(pod: PodInfo, node: NodeInfo, ignored: Set<string> = new Set()): { reasons: string[]; unresolvable: boolean } {
  const reasons: string[] = [];
  let unresolvable = false;
  if (node.pods.size + 1 > node.allowedPods) reasons.push('Too many pods');
  const r = pod.requests;
  if (r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && r.scalar.size === 0) return { reasons, unresolvable };
  const a = node.allocatable; const u = node.requested;
  if (r.milliCPU > 0 && a.milliCPU < r.milliCPU + u.milliCPU) { reasons.push('Insufficient cpu'); unresolvable ||= r.milliCPU > a.milliCPU; }
  if (r.memory > 0 && a.memory < r.memory + u.memory) { reasons.push('Insufficient memory'); unresolvable ||= r.memory > a.memory; }
  if (r.ephemeralStorage > 0 && a.ephemeralStorage < r.ephemeralStorage + u.ephemeralStorage) {
    reasons.push('Insufficient ephemeral-storage'); unresolvable ||= r.ephemeralStorage > a.ephemeralStorage;
  }
  for (const [name, v] of r.scalar) {
    if (v === 0 || ignored.has(name)) continue;
    const alloc = a.scalar.get(name) ?? 0;
    if (alloc < v + (u.scalar.get(name) ?? 0)) { reasons.push(`Insufficient ${name}`); unresolvable ||= v > alloc; }
  }
  return { reasons, unresolvable };
}

/** Requested (non-zero for cpu/memory) including the incoming pod, and allocatable, for one resource. */
function amounts(name: string, pod: PodInfo, node: NodeInfo): [number, number] {
  switch (name) {
    case 'cpu': return [node.nonZeroCPU + pod.nonZeroCPU, node.allocatable.milliCPU];
    case 'memory': return [node.nonZeroMemory + pod.nonZeroMemory, node.allocatable.memory];
    case 'ephemeral-storage': return [node.requested.ephemeralStorage + pod.requests.ephemeralStorage, node.allocatable.ephemeralStorage];
    default: return [(node.requested.scalar.get(name) ?? 0) + (pod.requests.scalar.get(name) ?? 0), node.allocatable.scalar.get(name) ?? 0];
  }
}

export const leastRequested = (req: number, cap: number) => (cap === 0 || req > cap ? 0 : Math.trunc((cap - req) * MAX_NODE_SCORE / cap));
export const mostRequested = (req: number, cap: number) => (cap === 0 ? 0 : Math.trunc(Math.min(req, cap) * MAX_NODE_SCORE / cap));

export function nodeResourcesFit(args: FitArgs | undefined): Plugin {
  const type = args?.scoringStrategy?.type ?? 'LeastAllocated';
  if (type !== 'LeastAllocated' && type !== 'MostAllocated') throw new Error(`NodeResourcesFit: scoringStrategy.type ${JSON.stringify(type)} is not supported (LeastAllocated, MostAllocated)`);
  const resources = args?.scoringStrategy?.resources ?? DEFAULT_RESOURCES;
  for (const r of resources) if (!(r.weight > 0)) throw new Error(`NodeResourcesFit: resource ${r.name} weight must be positive`);
  const ignored = new Set(args?.ignoredResources ?? []);
  const fn = type === 'LeastAllocated' ? leastRequested : mostRequested;
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    filter(_state, pod, node) {
      const { reasons, unresolvable } = insufficientResources(pod, node, ignored);
      if (reasons.length === 0) return null;
      return unresolvable ? Status.unresolvable(...reasons) : Status.unschedulable(...reasons);
    },
    score(_state, pod, node) {
      let total = 0; let weights = 0;
      for (const r of resources) {
        const [req, cap] = amounts(r.name, pod, node);
        if (cap === 0) continue;
        total += fn(req, cap) * r.weight;
        weights += r.weight;
      }
      return weights === 0 ? 0 : Math.trunc(total / weights);
    },
  };
}
