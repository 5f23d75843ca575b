import type { Pod } from 'kubernetes-types/core/v1';
import { admitPod, podRequests } from './admission';

const pod = (cpu?: string, memory?: string, init?: { cpu?: string; memory?: string }): Pod => ({
  metadata: { name: 'p' },
  spec: {
    containers: [{ name: 'a', image: 'x', resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }],
    ...(init ? { initContainers: [{ name: 'i', image: 'x', resources: { limits: init as any } }] } : {}),
  },
});
const alloc = { cpu: '2', memory: '1Gi', pods: 3 };

test('requests: the sum of app containers or the largest init container (limits stand in for requests)', () => {
  expect(podRequests(pod('500m', '100Mi'))).toEqual({ cpu: 500, memory: 100 * 1024 * 1024 });
  expect(podRequests(pod('500m', undefined, { cpu: '1500m' }))).toEqual({ cpu: 1500, memory: 0 });
});

test('fits, or OutOfcpu / OutOfmemory / OutOfpods worded as upstream', () => {
  expect(admitPod(pod('1'), [pod('1')], alloc)).toBeUndefined();
  expect(admitPod(pod('1500m'), [pod('1')], alloc)).toEqual({
    reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000",
  });
  expect(admitPod(pod(undefined, '2Gi'), [], alloc)?.reason).toBe('OutOfmemory');
  expect(admitPod(pod(), [pod(), pod(), pod()], alloc)).toEqual({
    reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3",
  });
  // BestEffort pods only count against the pod limit
  expect(admitPod(pod(), [pod('2', '1Gi')], alloc)).toBeUndefined();
});
