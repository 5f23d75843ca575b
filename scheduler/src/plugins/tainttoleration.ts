// TaintToleration: Filter rejects nodes with an untolerated NoSchedule/NoExecute taint; Score prefers nodes
// with fewer untolerated PreferNoSchedule taints (upstream plugins/tainttoleration, v1helper.TolerationsTolerateTaint).
import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import type { Plugin } from '../framework';
import { Status } from '../framework';
import { defaultNormalizeScore } from './normalize';

export const NAME = 'TaintToleration';

/** Toleration.ToleratesTaint: effect (empty = all), key (empty with Exists = all keys), then operator. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal': case '': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export const tolerated = (tolerations: Toleration[], taint: Taint) => tolerations.some(t => toleratesTaint(t, taint));

export function tainttoleration(): Plugin {
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeTaint'],
    filter(_state, pod, node) {
      const tolerations = pod.pod.spec?.tolerations ?? [];
      for (const taint of node.taints) {
        if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
        if (!tolerated(tolerations, taint)) return Status.unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
      }
      return null;
    },
    score(_state, pod, node) {
      let n = 0;
      if (node.taints.length === 0) return 0;
      const tolerations = (pod.pod.spec?.tolerations ?? []).filter(t => !t.effect || t.effect === 'PreferNoSchedule');
      for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !tolerated(tolerations, taint)) n++;
      return n;
    },
    normalizeScore: (_s, _p, scores) => defaultNormalizeScore(scores, true),
  };
}
