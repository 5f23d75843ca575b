// PodTopologySpread: DoNotSchedule constraints are a Filter (placing the pod must keep count(domain) + 1 - min
// over eligible domains <= maxSkew); ScheduleAnyway constraints (and the system defaults for pods without any,
// when a Service or ReplicaSet selects them) are a Score: fewer matching pods in the node's domains = better.
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import { LabelSelector, selectorFromLabelSelector } from '@mk8s/apimachinery';
import type { Handle, Plugin } from '../framework';
import { CycleState, MAX_NODE_SCORE, Status } from '../framework';
import type { NodeInfo } from '../nodeinfo';
import type { PodInfo } from '../podinfo';
import { podMatchesNodeSelectorAndAffinity } from './nodeaffinity';
import { tolerated } from './tainttoleration';

export const NAME = 'PodTopologySpread';
const HOSTNAME = 'kubernetes.io/hostname';
const FILTER_KEY = 'PreFilterPodTopologySpread';
const SCORE_KEY = 'PreScorePodTopologySpread';

interface Constraint {
  maxSkew: number; topologyKey: string; selector: LabelSelector; minDomains: number;
  honorAffinity: boolean; honorTaints: boolean;
}

function compile(pod: Pod, c: TopologySpreadConstraint): Constraint {
  const sel = { matchLabels: { ...(c.labelSelector?.matchLabels ?? {}) }, matchExpressions: [...(c.labelSelector?.matchExpressions ?? [])] };
  const labels = pod.metadata?.labels ?? {};
  for (const k of c.matchLabelKeys ?? []) if (k in labels) sel.matchExpressions.push({ key: k, operator: 'In', values: [labels[k]] });
  return {
    maxSkew: c.maxSkew, topologyKey: c.topologyKey,
    selector: c.labelSelector == null ? selectorFromLabelSelector(null) : selectorFromLabelSelector(sel),
    minDomains: c.minDomains ?? 1,
    honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: c.nodeTaintsPolicy === 'Honor',
  };
}

const constraintsOf = (pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway') =>
  (pod.spec?.topologySpreadConstraints ?? []).filter(c => c.whenUnsatisfiable === when).map(c => compile(pod, c));

/** Matching, non-terminating pods of `ns` on the node. */
function countOnNode(node: NodeInfo, sel: LabelSelector, ns: string): number {
  let n = 0;
  for (const p of node.pods.values()) {
    const md = p.pod.metadata;
    if (md?.deletionTimestamp || (md?.namespace ?? 'default') !== ns) continue;
    if (sel.matches(md?.labels)) n++;
  }
  return n;
}

function eligible(c: Constraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorAffinity && !podMatchesNodeSelectorAndAffinity(pod.pod, node)) return false;
  if (c.honorTaints) {
    const tol = pod.pod.spec?.tolerations ?? [];
    for (const t of node.taints) if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(tol, t)) return false;
  }
  return true;
}

interface FilterState { constraints: Constraint[]; counts: Map<string, number>[]; minMatch: number[] }
interface ScoreState { constraints: Constraint[]; counts: Map<string, number>[]; weights: number[]; ignored: Set<string> }

export function podTopologySpread(_args: unknown, handle: Handle): Plugin {
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeLabel', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
    preFilter(state: CycleState, pod, nodes) {
      const constraints = constraintsOf(pod.pod, 'DoNotSchedule');
      if (constraints.length === 0) return null;
      const ns = pod.pod.metadata?.namespace ?? 'default';
      const counts = constraints.map(() => new Map<string, number>());
      for (const node of nodes) {
        if (!constraints.every(c => c.topologyKey in node.labels)) continue;
        constraints.forEach((c, i) => {
          if (!eligible(c, pod, node)) return;
          const tv = node.labels[c.topologyKey];
          counts[i].set(tv, (counts[i].get(tv) ?? 0) + countOnNode(node, c.selector, ns));
        });
      }
      const minMatch = constraints.map((c, i) => {
        if (counts[i].size < c.minDomains) return 0;
        let m = Infinity;
        for (const v of counts[i].values()) if (v < m) m = v;
        return m === Infinity ? 0 : m;
      });
      state.write(FILTER_KEY, { constraints, counts, minMatch } satisfies FilterState);
      return null;
    },
    filter(state, pod, node) {
      const s = state.read<FilterState>(FILTER_KEY);
      if (!s) return null;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        const tv = node.labels[c.topologyKey];
        if (tv === undefined) return Status.unresolvable("node(s) didn't match pod topology spread constraints (missing required label)");
        const self = c.selector.matches(pod.pod.metadata?.labels) ? 1 : 0;
        const skew = (s.counts[i].get(tv) ?? 0) + self - s.minMatch[i];
        if (skew > c.maxSkew) return Status.unschedulable("node(s) didn't match pod topology spread constraints");
      }
      return null;
    },
    preScore(state, pod, filtered) {
      let constraints = constraintsOf(pod.pod, 'ScheduleAnyway');
      const explicit = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0;
      if (!explicit) {
        const sel = handle.ownerSelector(pod.pod);
        if (!sel || sel.empty()) return Status.skip();
        constraints = [
          { maxSkew: 3, topologyKey: HOSTNAME, selector: sel, minDomains: 1, honorAffinity: true, honorTaints: false },
          { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', selector: sel, minDomains: 1, honorAffinity: true, honorTaints: false },
        ];
      }
      if (constraints.length === 0) return Status.skip();
      const ns = pod.pod.metadata?.namespace ?? 'default';
      const ignored = new Set<string>();
      const counts = constraints.map(() => new Map<string, number>());
      let hostCount = 0;
      for (const n of filtered) {
        if (explicit && !constraints.every(c => c.topologyKey in n.labels)) { ignored.add(n.name); continue; }
        hostCount++;
        constraints.forEach((c, i) => { const tv = n.labels[c.topologyKey]; if (tv !== undefined && c.topologyKey !== HOSTNAME) counts[i].set(tv, 0); });
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? hostCount : counts[i].size) + 2));
      for (const node of handle.cache.nodeList()) {
        constraints.forEach((c, i) => {
          if (c.topologyKey === HOSTNAME) return;
          const tv = node.labels[c.topologyKey];
          if (tv === undefined || !counts[i].has(tv) || !eligible(c, pod, node)) return;
          counts[i].set(tv, counts[i].get(tv)! + countOnNode(node, c.selector, ns));
        });
      }
      state.write(SCORE_KEY, { constraints, counts, weights, ignored } satisfies ScoreState);
      return null;
    },
    score(state, pod, node) {
      const s = state.read<ScoreState>(SCORE_KEY);
      if (!s || s.ignored.has(node.name)) return 0;
      const ns = pod.pod.metadata?.namespace ?? 'default';
      let score = 0;
      s.constraints.forEach((c, i) => {
        const tv = node.labels[c.topologyKey];
        if (tv === undefined) return;
        const cnt = c.topologyKey === HOSTNAME ? countOnNode(node, c.selector, ns) : s.counts[i].get(tv) ?? 0;
        score += cnt * s.weights[i] + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalizeScore(state, _pod, scores, nodes) {
      const s = state.read<ScoreState>(SCORE_KEY);
      if (!s) return;
      let min = Infinity; let max = 0;
      for (let i = 0; i < scores.length; i++) {
        if (s.ignored.has(nodes[i].name)) continue;
        if (scores[i] < min) min = scores[i];
        if (scores[i] > max) max = scores[i];
      }
      for (let i = 0; i < scores.length; i++) {
        if (s.ignored.has(nodes[i].name)) { scores[i] = 0; continue; }
        scores[i] = max === 0 ? MAX_NODE_SCORE : Math.trunc(MAX_NODE_SCORE * (max + min - scores[i]) / max);
      }
    },
  };
}
