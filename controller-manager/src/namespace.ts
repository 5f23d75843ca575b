// Namespace controller (upstream pkg/controller/namespace): a namespace with a deletionTimestamp is emptied of
// every namespaced resource, then its `kubernetes` finalizer is removed through /finalize, after which the
// apiserver deletes it.
import { KubeClient, SharedInformer, StatusError, Logger, DiscoveredResource, resources } from '@mk8s/apimachinery';
import { Controller } from './controller';

const FINALIZER = 'kubernetes';

export class NamespaceController extends Controller {
  constructor(private readonly kube: KubeClient, private readonly namespaces: SharedInformer<any>,
              private readonly discover: () => Promise<DiscoveredResource[]>, log: Logger) {
    super('namespace', log);
    namespaces.addEventHandler({
      add: ns => { if (ns.metadata.deletionTimestamp) this.enqueue(ns.metadata.name); },
      update: (_o, ns) => { if (ns.metadata.deletionTimestamp) this.enqueue(ns.metadata.name); },
    });
  }

  protected async sync(name: string): Promise<number | void> {
    const ns = this.namespaces.lister.get(name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER)) return;
    const all = (await this.discover()).filter(r => r.namespaced && r.verbs.includes('deletecollection') && r.verbs.includes('list'));
    // The same storage is served under several versions/groups (events): delete each resource name once per group.
    let remaining = 0;
    for (const r of all) {
      try {
        await this.kube.deleteCollection(r, name);
        remaining += (await this.kube.list(r, name, { limit: 1 })).items.length;
      } catch (e) {
        if (e instanceof StatusError && (e.code === 404 || e.code === 405)) continue;
        throw e;
      }
    }
    // Pods wait for their kubelets; look again soon rather than spinning.
    if (remaining > 0) {
      this.log.info('namespace still has content', { namespace: name, remaining });
      return 2000;
    }
    const fresh = await this.kube.get(resources.namespaces, undefined, name);
    const finalizers = (fresh.spec?.finalizers ?? []).filter((f: string) => f !== FINALIZER);
    await this.kube.transport.request('PUT', { ...resources.namespaces, name, subresource: 'finalize' }, {},
      { ...fresh, spec: { ...fresh.spec, finalizers } });
    this.log.info('namespace finalized', { namespace: name });
  }
}
