// NodePorts: a container hostPort (protocol, hostIP, port) must not be in use on the node; 0.0.0.0 clashes
// with every IP.
import type { Plugin } from '../framework';
import { Status } from '../framework';

export const NAME = 'NodePorts';

export function nodePorts(): Plugin {
  return {
    name: NAME,
    events: () => ['NodeAdd', 'AssignedPodDelete'],
    filter(_state, pod, node) {
      for (const hp of pod.hostPorts) if (node.portInUse(hp)) return Status.unschedulable("node(s) didn't have free ports for the requested pod ports");
      return null;
    },
  };
}
