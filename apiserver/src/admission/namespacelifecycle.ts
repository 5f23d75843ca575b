// NamespaceLifecycle: no new content in a missing or terminating namespace; the system namespaces stay.
import { errors, StatusError } from '@mk8s/apimachinery';
import type { AdmissionPlugin } from './index';

const SYSTEM = new Set(['default', 'kube-system', 'kube-public']);

export const namespaceLifecycle: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  async admitCreate(ctx, store, obj) {
    if (!store.info.namespaced) return;
    const nsName = obj.metadata.namespace!;
    const namespaces = ctx.registry.preferred('', 'namespaces');
    if (!namespaces) return;
    // The cache may lag a just-created namespace: fall back to a live read.
    const ns = namespaces.cache.state.get(namespaces.key(undefined, nsName)) ?? await namespaces.get(undefined, nsName).catch(e => {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    });
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, nsName);
    if (ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
      // Events about the namespace's own teardown are still allowed, as upstream.
      if (store.info.resource === 'events') return;
      throw new StatusError(403, 'Forbidden', `${store.info.resource}${store.info.group ? '.' + store.info.group : ''} "${obj.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${nsName} because it is being terminated`,
        { name: obj.metadata.name, group: store.info.group || undefined, kind: store.info.resource, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${nsName} is being terminated`, field: 'metadata.namespace' }] });
    }
  },
  async admitDelete(_ctx, store, obj) {
    if (store.info.resource === 'namespaces' && store.info.group === '' && SYSTEM.has(obj.metadata.name!)) {
      throw errors.forbidden({ group: '', resource: 'namespaces' }, obj.metadata.name!, 'this namespace may not be deleted');
    }
  },
};
