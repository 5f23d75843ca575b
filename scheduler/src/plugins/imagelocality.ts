// ImageLocality: prefer nodes that already have the pod's images, weighting each image's size by the share of
// nodes having it (so one node with a popular image does not draw everything); clamp 23 MB .. 1000 MB x containers.
import type { Plugin } from '../framework';
import { MAX_NODE_SCORE } from '../framework';
import { normalizedImageName } from '../nodeinfo';

export const NAME = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

export function imageLocality(_args: unknown, handle: import('../framework').Handle): Plugin {
  return {
    name: NAME,
    score(_state, pod, node) {
      const containers = [...(pod.pod.spec?.initContainers ?? []), ...(pod.pod.spec?.containers ?? [])];
      const total = handle.cache.nodeCount();
      let sum = 0;
      if (node.images.size > 0) {
        for (const c of containers) {
          if (!c.image) continue;
          const name = normalizedImageName(c.image);
          const size = node.images.get(name);
          if (size === undefined) continue;
          const spread = (handle.cache.imageNodes.get(name)?.size ?? 0) / Math.max(1, total);
          sum += Math.trunc(size * spread);
        }
      }
      const maxThreshold = MAX_CONTAINER_THRESHOLD * containers.length;
      const clamped = sum < MIN_THRESHOLD ? MIN_THRESHOLD : sum > maxThreshold ? maxThreshold : sum;
      return maxThreshold <= MIN_THRESHOLD ? 0 : Math.trunc(MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (maxThreshold - MIN_THRESHOLD));
    },
  };
}
