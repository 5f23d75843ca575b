// DefaultBinder (Bind): POST pods/<name>/binding with the pod's UID as precondition; a 409 means someone bound
// or deleted it meanwhile.
import type { KubeClient } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';

export const NAME = 'DefaultBinder';

export function defaultBinder(kube: KubeClient) {
  return {
    name: NAME,
    bind: async (pod: Pod, node: string): Promise<void> => {
      await kube.bind(pod.metadata?.namespace ?? 'default', pod.metadata!.name!, node, pod.metadata?.uid);
    },
  };
}
