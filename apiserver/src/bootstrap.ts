// Objects every cluster has from the start: the four system namespaces, the default/kubernetes Service,
// and the two system PriorityClasses. Created once; an existing object is left as it is.
import { StatusError, Logger } from '@mk8s/apimachinery';
import type { Registry } from './registry/registry';
import type { KObject } from './registry/strategy';

async function ensure(reg: Registry, group: string, resource: string, ns: string | undefined, obj: KObject, log: Logger) {
  const store = reg.preferred(group, resource);
  if (!store) return;
  // Present already (a restart): leave it. Checked first, since a create could fail on its allocations
  // (the kubernetes Service's 10.96.0.1 is taken by itself) before it fails as AlreadyExists.
  const present = await store.get(ns, obj.metadata.name!).then(() => true, e => {
    if (e instanceof StatusError && e.code === 404) return false;
    throw e;
  });
  if (present) return;
  try {
    await store.create(ns, obj);
    log.info('created', { resource, namespace: ns, name: obj.metadata.name });
  } catch (e) {
    if (e instanceof StatusError && e.code === 409) return;
    throw e;
  }
}

export async function bootstrapObjects(reg: Registry, log: Logger, opts: { advertiseAddress?: string; port?: number } = {}) {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ensure(reg, '', 'namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, log);
  }
  await ensure(reg, '', 'services', 'default', {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: opts.port ?? 6443 }], sessionAffinity: 'None' },
  }, log);
  await ensure(reg, '', 'endpoints', 'default', {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertiseAddress ?? '127.0.0.1' }], ports: [{ name: 'https', port: opts.port ?? 6443, protocol: 'TCP' }] }],
  }, log);
  const pcs = [
    { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
    { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
  ];
  for (const pc of pcs) {
    await ensure(reg, 'scheduling.k8s.io', 'priorityclasses', undefined, {
      apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc.name }, value: pc.value,
      description: pc.description, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority',
    }, log);
  }
}
