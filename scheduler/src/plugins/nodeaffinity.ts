// NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity must both hold (Filter); preferred
// terms add their weights (Score, normalised so the best node gets 100). Terms are ORed, expressions within a
// term ANDed; matchFields supports metadata.name only (component-helpers nodeaffinity.go).
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from '../nodeinfo';
import type { Plugin, PreFilterResult } from '../framework';
import { CycleState, Status } from '../framework';
import { defaultNormalizeScore } from './normalize';

export const NAME = 'NodeAffinity';
const REASON = "node(s) didn't match Pod's node affinity/selector";

const intValue = (s: string): number | undefined => (/^-?\d+$/.test(s) ? Number(s) : undefined);

/** One requirement against a map (labels or fields); unknown operators and bad Gt/Lt values never match. */
export function requirementMatches(r: NodeSelectorRequirement, values: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(values, r.key);
  const v = values[r.key];
  switch (r.operator) {
    case 'In': return has && (r.values ?? []).includes(v);
    case 'NotIn': return !has || !(r.values ?? []).includes(v);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      if (!has || (r.values ?? []).length !== 1) return false;
      const a = intValue(v); const b = intValue(r.values![0]);
      if (a === undefined || b === undefined) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** A term matches when it has at least one requirement and all hold; fields other than metadata.name never match. */
export function termMatches(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length + fields.length === 0) return false;
  for (const e of exprs) if (!requirementMatches(e, node.labels)) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false;
    if (!requirementMatches(f, { 'metadata.name': node.name })) return false;
  }
  return true;
}

/** nodeSelector AND required affinity: what Filter checks (also used by PodTopologySpread to pick eligible nodes). */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: NodeInfo): boolean {
  const sel = pod.spec?.nodeSelector;
  if (sel) for (const [k, v] of Object.entries(sel)) if (node.labels[k] !== v) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) return (req.nodeSelectorTerms ?? []).some(t => termMatches(t, node));
  return true;
}

// metadata.name In [...] in every term narrows the candidate nodes before any filter runs (PreFilterResult).
function nodeNamesFromTerms(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return undefined;
  let names: Set<string> | undefined = new Set();
  for (const t of terms) {
    const f = (t.matchFields ?? []).find(r => r.key === 'metadata.name' && r.operator === 'In');
    if (!f) return undefined; // one term without a name constraint can match any node
    for (const n of f.values ?? []) names.add(n);
  }
  return names;
}

export function nodeAffinity(): Plugin {
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeLabel'],
    preFilter(_state: CycleState, pod): PreFilterResult | null {
      const nodeNames = nodeNamesFromTerms(pod.pod);
      if (nodeNames && nodeNames.size === 0) return { status: Status.unresolvable(REASON) };
      return nodeNames ? { status: null, nodeNames } : null;
    },
    filter(_state, pod, node) {
      return podMatchesNodeSelectorAndAffinity(pod.pod, node) ? null : Status.unresolvable(REASON);
    },
    score(_state, pod, node) {
      const prefs = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      if (!prefs) return 0;
      let s = 0;
      for (const p of prefs) if (p.weight !== 0 && termMatches(p.preference, node)) s += p.weight;
      return s;
    },
    normalizeScore: (_s, _p, scores) => defaultNormalizeScore(scores, false),
  };
}
