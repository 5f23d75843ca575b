// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating
// node.kubernetes.io/unschedulable:NoSchedule.
import type { Plugin } from '../framework';
import { Status } from '../framework';
import { tolerated } from './tainttoleration';

export const NAME = 'NodeUnschedulable';
const TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function nodeUnschedulable(): Plugin {
  return {
    name: NAME,
    events: () => ['NodeAdd', 'NodeSchedulable', 'NodeTaint'],
    filter(_state, pod, node) {
      if (!node.unschedulable) return null;
      if (tolerated(pod.pod.spec?.tolerations ?? [], TAINT)) return null;
      return Status.unresolvable('node(s) were unschedulable');
    },
  };
}
