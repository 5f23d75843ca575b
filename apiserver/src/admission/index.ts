// The admission chain: plugins run in upstream's order on every create, update and delete.
import type { Admission, GenericStore, WriteOptions } from '../registry/store';
import type { KObject } from '../registry/strategy';
import type { Registry } from '../registry/registry';
import { namespaceLifecycle } from './namespacelifecycle';
import { serviceAccount, priority, defaultTolerationSeconds } from './pods';

export interface AdmissionContext { registry: Registry }
export interface AdmissionPlugin {
  name: string;
  admitCreate?(ctx: AdmissionContext, store: GenericStore, obj: KObject, opts: WriteOptions): Promise<void>;
  admitUpdate?(ctx: AdmissionContext, store: GenericStore, obj: KObject, old: KObject, subresource?: string): Promise<void>;
  admitDelete?(ctx: AdmissionContext, store: GenericStore, obj: KObject): Promise<void>;
}

export const defaultPlugins: AdmissionPlugin[] = [namespaceLifecycle, serviceAccount, priority, defaultTolerationSeconds];

export function admissionChain(ctx: AdmissionContext, plugins = defaultPlugins): Admission {
  return {
    async admitCreate(store, obj, opts) { for (const p of plugins) await p.admitCreate?.(ctx, store, obj, opts); },
    async admitUpdate(store, obj, old, sub) { for (const p of plugins) await p.admitUpdate?.(ctx, store, obj, old, sub); },
    async admitDelete(store, obj) { for (const p of plugins) await p.admitDelete?.(ctx, store, obj); },
  };
}
