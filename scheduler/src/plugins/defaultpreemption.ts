// DefaultPreemption (PostFilter): when no node fits, look for a node where evicting lower-priority pods makes
// room. Nodes rejected as UnschedulableAndUnresolvable are skipped ("Preemption is not helpful"); on the others,
// remove every lower-priority pod, check the pod fits, then reprieve victims from the most important down while
// it still fits. The best candidate has the lowest highest-victim priority, then lowest priority sum, then
// fewest victims. The scheduler deletes the victims and nominates the node.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Handle, Plugin } from '../framework';
import { Code, CycleState, fitErrorMessage, Status } from '../framework';
import type { PodInfo } from '../podinfo';

export const NAME = 'DefaultPreemption';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

interface Candidate { node: string; victims: PodInfo[]; maxPriority: number; sum: number }

const startTime = (p: PodInfo) => Date.parse(p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp ?? '') || 0;

export function defaultPreemption(_args: unknown, handle: Handle): Plugin {
  return {
    name: NAME,
    postFilter(state: CycleState, pod, statuses) {
      if ((pod.pod.spec?.preemptionPolicy ?? 'PreemptLowerPriority') === 'Never') {
        return { status: Status.unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
      }
      const nodes = handle.cache.nodeList();
      const result = new Map<string, Status>();
      const candidates: Candidate[] = [];
      for (const node of nodes) {
        const st = statuses.get(node.name);
        if (!st || st.code === Code.UnschedulableAndUnresolvable) { result.set(node.name, Status.unresolvable(NOT_HELPFUL)); continue; }
        const lower = [...node.pods.values()].filter(p => p.priority < pod.priority);
        if (lower.length === 0) { result.set(node.name, Status.unresolvable('No preemption victims found for incoming pod')); continue; }
        const trial = node.clone();
        for (const v of lower) trial.removePod(v.key);
        const fits = handle.runFilters(state, pod, trial);
        if (fits) { result.set(node.name, fits); continue; }
        // most important first: they get the first chance to stay
        lower.sort((a, b) => b.priority - a.priority || startTime(a) - startTime(b));
        const victims: PodInfo[] = [];
        for (const v of lower) {
          trial.addPod(v);
          if (handle.runFilters(state, pod, trial)) { trial.removePod(v.key); victims.push(v); }
        }
        candidates.push({ node: node.name, victims, maxPriority: Math.max(...victims.map(v => v.priority)), sum: victims.reduce((a, v) => a + v.priority, 0) });
      }
      if (candidates.length === 0) {
        const msg = fitErrorMessage(nodes.length, result, undefined, undefined, Status.unresolvable(NOT_HELPFUL));
        return { status: Status.unschedulable(`preemption: ${msg}`) };
      }
      candidates.sort((a, b) => a.maxPriority - b.maxPriority || a.sum - b.sum || a.victims.length - b.victims.length);
      const best = candidates[0];
      return { status: new Status(Code.Success), nominatedNodeName: best.node, victims: best.victims.map(v => v.pod as Pod) };
    },
  };
}
