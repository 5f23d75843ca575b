// NodeName: a pod that names its node (spec.nodeName) fits only there.
import type { Plugin } from '../framework';
import { Status } from '../framework';

export const NAME = 'NodeName';

export function nodeName(): Plugin {
  return {
    name: NAME,
    events: () => ['NodeAdd'],
    filter(_state, pod, node) {
      const want = pod.pod.spec?.nodeName;
      if (!want || want === node.name) return null;
      return Status.unresolvable("node(s) didn't match the requested node name");
    },
  };
}
