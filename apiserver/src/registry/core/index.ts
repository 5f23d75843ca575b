// The core/v1 group: one strategy per served resource. Services need the cluster-IP/node-port allocator.
import type { Strategy } from '../strategy';
import { ServiceIPAllocator, type ServiceIPAllocatorOptions } from './allocator';
import { configMapStrategy } from './configmaps';
import { endpointsStrategy } from './endpoints';
import { eventStrategy } from './events';
import { namespaceStrategy } from './namespaces';
import { nodeStrategy } from './nodes';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './persistentvolumes';
import { podStrategy } from './pods';
import { limitRangeStrategy, podTemplateStrategy, resourceQuotaStrategy } from './policies';
import { replicationControllerStrategy } from './replicationcontrollers';
import { secretStrategy } from './secrets';
import { serviceAccountStrategy } from './serviceaccounts';
import { makeServiceStrategy } from './services';

export { AllocationError, ServiceIPAllocator, type ServiceIPAllocatorOptions } from './allocator';
export { makeServiceStrategy, type ServiceStrategyDeps } from './services';
export {
  configMapStrategy, endpointsStrategy, eventStrategy, limitRangeStrategy, namespaceStrategy, nodeStrategy,
  persistentVolumeClaimStrategy, persistentVolumeStrategy, podStrategy, podTemplateStrategy, replicationControllerStrategy,
  resourceQuotaStrategy, secretStrategy, serviceAccountStrategy,
};
export { podQOSClass, podStatusCells } from './pods';

/** Every core/v1 strategy except services, which need an allocator: use makeServiceStrategy or makeCoreStrategies. */
export const coreStrategies: Strategy[] = [
  podStrategy, namespaceStrategy, nodeStrategy, endpointsStrategy, configMapStrategy, secretStrategy,
  serviceAccountStrategy, eventStrategy, replicationControllerStrategy, persistentVolumeStrategy,
  persistentVolumeClaimStrategy, limitRangeStrategy, resourceQuotaStrategy, podTemplateStrategy,
];

/** All core/v1 strategies, services included, with an allocator seeded from `listServices`. */
export function makeCoreStrategies(opts: ServiceIPAllocatorOptions): { strategies: Strategy[]; allocator: ServiceIPAllocator } {
  const allocator = new ServiceIPAllocator(opts);
  return { strategies: [...coreStrategies, makeServiceStrategy({ allocator })], allocator };
}
