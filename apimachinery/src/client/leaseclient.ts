// The LeaseClient leader election needs (./leaderelection.ts), over a KubeClient (either transport):
// coordination.k8s.io/v1 Leases; `update` is a PUT carrying metadata.resourceVersion, so the apiserver's
// compare-and-swap answers 409 Conflict when someone else wrote first.
import { StatusError } from '../api/errors';
import type { KubeClient } from './kubeclient';
import { resources } from './kubeclient';
import type { Lease, LeaseClient } from './leaderelection';

export function leaseClient(kube: KubeClient): LeaseClient {
  return {
    async get(namespace, name) {
      try {
        return await kube.get<Lease>(resources.leases, namespace, name);
      } catch (err) {
        // NotFound means "no lease yet" to the elector (it then creates one); other errors propagate
        if (err instanceof StatusError && err.code === 404) return undefined;
        throw err;
      }
    },
    create: lease => kube.create<Lease>(resources.leases, lease.metadata.namespace, lease),
    update: lease => {
      if (!lease.metadata.resourceVersion) {
        // without an RV the PUT would overwrite unconditionally and break mutual exclusion
        return Promise.reject(new StatusError(400, 'BadRequest', `lease ${lease.metadata.name}: update needs metadata.resourceVersion`));
      }
      return kube.update<Lease>(resources.leases, lease.metadata.namespace, lease);
    },
  };
}
