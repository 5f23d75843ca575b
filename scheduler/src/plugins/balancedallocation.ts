// NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in equal fractions after
// placing the pod: score = (1 - stddev of requested/allocatable fractions) * 100, real requests, fractions capped at 1.
import type { Plugin } from '../framework';
import { MAX_NODE_SCORE, Status } from '../framework';
import type { NodeInfo } from '../nodeinfo';
import type { PodInfo } from '../podinfo';

export const NAME = 'NodeResourcesBalancedAllocation';

function fraction(name: string, pod: PodInfo, node: NodeInfo): number | undefined {
  let req: number; let cap: number;
  if (name === 'cpu') { req = node.requested.milliCPU + pod.requests.milliCPU; cap = node.allocatable.milliCPU; }
  else if (name === 'memory') { req = node.requested.memory + pod.requests.memory; cap = node.allocatable.memory; }
  else { req = (node.requested.scalar.get(name) ?? 0) + (pod.requests.scalar.get(name) ?? 0); cap = node.allocatable.scalar.get(name) ?? 0; }
  if (cap === 0) return undefined;
  return Math.min(req / cap, 1);
}

export function balancedAllocation(args: { resources?: { name: string }[] } | undefined): Plugin {
  const resources = (args?.resources ?? [{ name: 'cpu' }, { name: 'memory' }]).map(r => r.name);
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    // a pod requesting none of the resources changes no balance: skip it (PreScore Skip)
    preScore(_state, pod) {
      const any = resources.some(n => (n === 'cpu' ? pod.requests.milliCPU : n === 'memory' ? pod.requests.memory : pod.requests.scalar.get(n) ?? 0) > 0);
      return any ? null : Status.skip();
    },
    score(_state, pod, node) {
      const f: number[] = [];
      for (const n of resources) { const x = fraction(n, pod, node); if (x !== undefined) f.push(x); }
      if (f.length === 0) return 0;
      let std: number;
      if (f.length === 2) std = Math.abs(f[0] - f[1]) / 2;
      else {
        const mean = f.reduce((a, b) => a + b, 0) / f.length;
        std = Math.sqrt(f.reduce((a, b) => a + (b - mean) ** 2, 0) / f.length);
      }
      return Math.trunc((1 - std) * MAX_NODE_SCORE);
    },
  };
}
