// InterPodAffinity: required podAffinity must find a matching pod in the node's topology domain (or the pod is
// the first of a group that matches itself), required podAntiAffinity must find none, and no existing pod's
// required anti-affinity may select the incoming pod in that domain (Filter). Preferred terms of both sides,
// plus existing pods' required affinity at hardPodAffinityWeight, give a min-max normalised Score.
import type { Handle, Plugin } from '../framework';
import { CycleState, MAX_NODE_SCORE, Status } from '../framework';
import type { NodeInfo } from '../nodeinfo';
import { AffinityTerm, PodInfo, termMatches } from '../podinfo';

export const NAME = 'InterPodAffinity';
const FILTER_KEY = 'PreFilterInterPodAffinity';
const SCORE_KEY = 'PreScoreInterPodAffinity';

type Counts = Map<string, number>; // `${topologyKey}\u0000${value}` -> count
const pair = (key: string, value: string) => `${key}\u0000${value}`;
const bump = (m: Counts, key: string, value: string, by: number) => m.set(pair(key, value), (m.get(pair(key, value)) ?? 0) + by);

interface FilterState { affinity: Counts; antiAffinity: Counts; existingAnti: Counts; affinityMatchesSelf: boolean }

export function interPodAffinity(args: { hardPodAffinityWeight?: number } | undefined, handle: Handle): Plugin {
  const hardWeight = args?.hardPodAffinityWeight ?? 1;
  if (!(hardWeight >= 0 && hardWeight <= 100)) throw new Error('InterPodAffinity: hardPodAffinityWeight must be in 0..100');
  const ns = (n: string) => handle.namespaceLabels(n);
  const matchesAll = (terms: AffinityTerm[], p: PodInfo) => terms.every(t => termMatches(t, p.pod, ns));
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeLabel', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
    preFilter(state: CycleState, pod, nodes) {
      const s: FilterState = { affinity: new Map(), antiAffinity: new Map(), existingAnti: new Map(), affinityMatchesSelf: false };
      // existing pods whose required anti-affinity selects the incoming pod: each distinct term once (the cache
      // keeps, per term, how many pods carry it on each node)
      const cache = handle.cache;
      for (const { term, perNode } of cache.antiTerms.values()) {
        if (!termMatches(term, pod.pod, ns)) continue;
        for (const [nodeName, n] of perNode) {
          const tv = cache.nodeInfo(nodeName)?.labels[term.topologyKey];
          if (tv !== undefined) bump(s.existingAnti, term.topologyKey, tv, n);
        }
      }
      const req = pod.requiredAffinity; const anti = pod.requiredAntiAffinity;
      if (req.length || anti.length) {
        // pods with the same namespace and labels answer alike: match each label set once
        for (const { sample, perNode } of cache.labelSets.values()) {
          const aff = req.length > 0 && matchesAll(req, sample);
          const antiHits = anti.filter(t => termMatches(t, sample.pod, ns));
          if (!aff && antiHits.length === 0) continue;
          for (const [nodeName, n] of perNode) {
            const labels = cache.nodeInfo(nodeName)?.labels;
            if (!labels) continue;
            if (aff) for (const t of req) { const tv = labels[t.topologyKey]; if (tv !== undefined) bump(s.affinity, t.topologyKey, tv, n); }
            for (const t of antiHits) { const tv = labels[t.topologyKey]; if (tv !== undefined) bump(s.antiAffinity, t.topologyKey, tv, n); }
          }
        }
        s.affinityMatchesSelf = matchesAll(req, pod);
      }
      state.write(FILTER_KEY, s);
      return null;
    },
    filter(state, pod, node) {
      const s = state.read<FilterState>(FILTER_KEY);
      if (!s) return null;
      if (pod.requiredAffinity.length) {
        let exist = true;
        for (const t of pod.requiredAffinity) {
          const tv = node.labels[t.topologyKey];
          if (tv === undefined) return Status.unresolvable("node(s) didn't match pod affinity rules");
          if (!((s.affinity.get(pair(t.topologyKey, tv)) ?? 0) > 0)) exist = false;
        }
        // the first pod of a group whose terms select itself may go anywhere with the topology labels
        if (!exist && !(s.affinity.size === 0 && s.affinityMatchesSelf)) return Status.unresolvable("node(s) didn't match pod affinity rules");
      }
      for (const t of pod.requiredAntiAffinity) {
        const tv = node.labels[t.topologyKey];
        if (tv !== undefined && (s.antiAffinity.get(pair(t.topologyKey, tv)) ?? 0) > 0) return Status.unschedulable("node(s) didn't match pod anti-affinity rules");
      }
      if (s.existingAnti.size) {
        for (const [k, v] of Object.entries(node.labels)) {
          if ((s.existingAnti.get(pair(k, v)) ?? 0) > 0) return Status.unschedulable("node(s) didn't satisfy existing pods anti-affinity rules");
        }
      }
      return null;
    },
    preScore(state, pod, _filtered) {
      const hasPreferred = pod.preferredAffinity.length + pod.preferredAntiAffinity.length > 0;
      const scores: Counts = new Map();
      const add = (node: NodeInfo, key: string, w: number) => { const tv = node.labels[key]; if (tv !== undefined && w !== 0) bump(scores, key, tv, w); };
      for (const node of handle.cache.nodeList()) {
        const pods = hasPreferred ? node.pods.values() : node.podsWithAffinity.values();
        for (const ex of pods) {
          for (const t of pod.preferredAffinity) if (termMatches(t, ex.pod, ns)) add(node, t.topologyKey, t.weight);
          for (const t of pod.preferredAntiAffinity) if (termMatches(t, ex.pod, ns)) add(node, t.topologyKey, -t.weight);
          if (hardWeight > 0) for (const t of ex.requiredAffinity) if (termMatches(t, pod.pod, ns)) add(node, t.topologyKey, hardWeight);
          for (const t of ex.preferredAffinity) if (termMatches(t, pod.pod, ns)) add(node, t.topologyKey, t.weight);
          for (const t of ex.preferredAntiAffinity) if (termMatches(t, pod.pod, ns)) add(node, t.topologyKey, -t.weight);
        }
      }
      if (scores.size === 0) return Status.skip();
      state.write(SCORE_KEY, scores);
      return null;
    },
    score(state, _pod, node) {
      const scores = state.read<Counts>(SCORE_KEY);
      if (!scores) return 0;
      let s = 0;
      for (const [k, v] of Object.entries(node.labels)) s += scores.get(pair(k, v)) ?? 0;
      return s;
    },
    normalizeScore(_state, _pod, scores) {
      let min = Infinity; let max = -Infinity;
      for (const s of scores) { if (s < min) min = s; if (s > max) max = s; }
      const diff = max - min;
      for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * (scores[i] - min) / diff) : 0;
    },
  };
}
