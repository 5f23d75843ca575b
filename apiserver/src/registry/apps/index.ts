// The apps/v1 group: one strategy per served resource.
import type { Strategy } from '../strategy';
import { controllerRevisionStrategy } from './controllerrevisions';
import { daemonSetStrategy } from './daemonsets';
import { deploymentStrategy } from './deployments';
import { replicaSetStrategy } from './replicasets';
import { statefulSetStrategy } from './statefulsets';

export { controllerRevisionStrategy, daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy };

export const appsStrategies: Strategy[] = [
  deploymentStrategy, replicaSetStrategy, statefulSetStrategy, daemonSetStrategy, controllerRevisionStrategy,
];
