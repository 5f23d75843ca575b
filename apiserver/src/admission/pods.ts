// Pod admission as upstream's ServiceAccount (default account name), Priority (priorityClassName → priority)
// and DefaultTolerationSeconds (tolerate not-ready/unreachable for 300 s) plugins.
import { errors, StatusError } from '@mk8s/apimachinery';
import type { AdmissionPlugin } from './index';

const isPods = (s: { info: { group: string; resource: string } }) => s.info.group === '' && s.info.resource === 'pods';

export const serviceAccount: AdmissionPlugin = {
  name: 'ServiceAccount',
  async admitCreate(_ctx, store, obj) {
    if (!isPods(store)) return;
    const spec = obj.spec ?? {};
    const mirror = obj.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
    if (!mirror && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
    if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  },
};

export const priority: AdmissionPlugin = {
  name: 'Priority',
  async admitCreate(ctx, store, obj) {
    if (!isPods(store)) return;
    const spec = obj.spec ?? {};
    const pcs = ctx.registry.preferred('scheduling.k8s.io', 'priorityclasses');
    let value = 0, policy = 'PreemptLowerPriority';
    if (spec.priorityClassName) {
      const pc = pcs ? await pcs.get(undefined, spec.priorityClassName).catch(e => {
        if (e instanceof StatusError && e.code === 404) return undefined; throw e;
      }) : undefined;
      if (!pc) throw errors.forbidden({ group: '', resource: 'pods' }, obj.metadata.name ?? '', `no PriorityClass with name ${spec.priorityClassName} was found`);
      value = pc.value ?? 0; policy = pc.preemptionPolicy ?? policy;
    } else if (pcs) {
      const def = [...pcs.cache.state.values()].find(pc => pc.globalDefault);
      if (def) { value = def.value ?? 0; policy = def.preemptionPolicy ?? policy; spec.priorityClassName = def.metadata.name; }
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
      throw errors.forbidden({ group: '', resource: 'pods' }, obj.metadata.name ?? '', 'the integer value of priority must not be provided in pod spec; priority admission controller computed ' + value + ' from the given PriorityClass name');
    }
    spec.priority = value;
    spec.preemptionPolicy = spec.preemptionPolicy ?? policy;
  },
};

const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];
export const defaultTolerationSeconds: AdmissionPlugin = {
  name: 'DefaultTolerationSeconds',
  async admitCreate(_ctx, store, obj) {
    if (!isPods(store)) return;
    const spec = obj.spec ?? {};
    const tols: any[] = spec.tolerations ?? [];
    for (const key of TAINTS) {
      const has = tols.some(t => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
      if (!has) tols.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
    spec.tolerations = tols;
  },
};
