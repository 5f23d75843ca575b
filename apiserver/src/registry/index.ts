// Every served resource's strategy, in discovery order. Each API group's folder exports its strategies;
// the service strategy needs the cluster-IP allocator, so strategies are built per apiserver.
import type { Strategy, ResourceInfo, KObject } from './strategy';
import { validateObjectMeta } from './validation';

export interface StrategyDeps {
  /** Lists every stored object of a resource (for allocators seeded from storage). */
  listObjects(group: string, resource: string): Promise<KObject[]>;
  serviceClusterIPRange: string;
  serviceNodePortRange: string;
}

function load(path: string, exportName: string, deps: StrategyDeps): Strategy[] {
  let mod: any;
  try { mod = require(path); } catch (e) {
    if ((e as any)?.code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(path.replace('./', ''))) return [];
    throw e;
  }
  const v = mod[exportName];
  return typeof v === 'function' ? v(deps) : v ?? [];
}

// The served resources; a group whose strategies are not written yet gets a minimal strategy (metadata only).
const ALL: ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'] },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward'] },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', singular: 'node', namespaced: false, shortNames: ['no'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController', singular: 'replicationcontroller', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', singular: 'persistentvolume', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', singular: 'persistentvolumeclaim', namespaced: true, shortNames: ['pvc'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'limitranges', kind: 'LimitRange', singular: 'limitrange', namespaced: true, shortNames: ['limits'] },
  { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', singular: 'resourcequota', namespaced: true, shortNames: ['quota'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'podtemplates', kind: 'PodTemplate', singular: 'podtemplate', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', singular: 'statefulset', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
  { group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', singular: 'controllerrevision', namespaced: true },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', singular: 'job', namespaced: true, categories: ['all'], subresources: ['status'] },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', singular: 'cronjob', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: ['status'] },
  { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', singular: 'horizontalpodautoscaler', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'] },
  { group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', singular: 'horizontalpodautoscaler', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'] },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease', namespaced: true },
  { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', singular: 'storageclass', namespaced: false, shortNames: ['sc'] },
  { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', singular: 'priorityclass', namespaced: false, shortNames: ['pc'] },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true },
  { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', singular: 'poddisruptionbudget', namespaced: true, shortNames: ['pdb'], subresources: ['status'] },
  { group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] },
];

// core/v1 builds its service strategy around a cluster-IP/node-port allocator seeded from the stored services.
function coreStrategiesWithServices(deps: StrategyDeps): Strategy[] {
  const { makeCoreStrategies } = require('./core') as typeof import('./core');
  return makeCoreStrategies({
    listServices: () => deps.listObjects('', 'services'),
    serviceCIDR: deps.serviceClusterIPRange, nodePortRange: deps.serviceNodePortRange,
  }).strategies;
}

function minimalStrategy(info: ResourceInfo): Strategy {
  return { info, validate: obj => validateObjectMeta(obj.metadata, { namespaced: info.namespaced }) };
}

export function buildStrategies(deps: StrategyDeps): Strategy[] {
  const written = [
    ...coreStrategiesWithServices(deps),
    ...load('./apps', 'appsStrategies', deps), ...load('./batch', 'batchStrategies', deps),
    ...load('./autoscaling', 'autoscalingStrategies', deps), ...load('./coordination', 'coordinationStrategies', deps),
    ...load('./storage', 'storageStrategies', deps), ...load('./scheduling', 'schedulingStrategies', deps),
    ...load('./discovery', 'discoveryStrategies', deps), ...load('./policy', 'policyStrategies', deps),
    ...load('./events', 'eventsStrategies', deps),
  ];
  const key = (i: ResourceInfo) => `${i.group}/${i.version}/${i.resource}`;
  const byKey = new Map(written.map(s => [key(s.info), s]));
  const out = ALL.map(info => byKey.get(key(info)) ?? minimalStrategy(info));
  for (const s of written) if (!ALL.some(i => key(i) === key(s.info))) out.push(s);
  return out;
}
