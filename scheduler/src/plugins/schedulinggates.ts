// SchedulingGates (PreEnqueue): a pod with spec.schedulingGates waits outside the active queue until the gates
// are removed by an update of the pod.
import type { Plugin } from '../framework';
import { Status } from '../framework';

export const NAME = 'SchedulingGates';

export function schedulingGates(): Plugin {
  return {
    name: NAME,
    events: () => ['PodUpdate'],
    preEnqueue(pod) {
      const gates = pod.spec?.schedulingGates ?? [];
      if (gates.length === 0) return null;
      return Status.unresolvable(`waiting for scheduling gates: [${gates.map(g => g.name).join(' ')}]`);
    },
  };
}
