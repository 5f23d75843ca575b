// ServiceAccounts controller (upstream pkg/controller/serviceaccount): every active namespace has a `default`
// ServiceAccount; a deleted one is recreated.
import { KubeClient, SharedInformer, StatusError, Logger, resources } from '@mk8s/apimachinery';
import { Controller } from './controller';

const NAME = 'default';

export class ServiceAccountsController extends Controller {
  constructor(private readonly kube: KubeClient, private readonly namespaces: SharedInformer<any>,
              private readonly serviceAccounts: SharedInformer<any>, log: Logger) {
    super('serviceaccount', log);
    namespaces.addEventHandler({ add: ns => this.enqueue(ns.metadata.name), update: (_o, ns) => this.enqueue(ns.metadata.name) });
    serviceAccounts.addEventHandler({ delete: sa => { const o = (sa as any).obj ?? sa; if (o.metadata?.name === NAME) this.enqueue(o.metadata.namespace); } });
  }

  protected async sync(ns: string): Promise<void> {
    const namespace = this.namespaces.lister.get(ns);
    if (!namespace || namespace.metadata.deletionTimestamp || namespace.status?.phase === 'Terminating') return;
    if (this.serviceAccounts.lister.get(ns, NAME)) return;
    try {
      await this.kube.create(resources.serviceaccounts, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: ns } });
      this.log.info('created service account', { namespace: ns, name: NAME });
    } catch (e) {
      if (e instanceof StatusError && (e.code === 409 || e.code === 403 || e.code === 404)) return; // exists, or namespace going away
      throw e;
    }
  }
}
