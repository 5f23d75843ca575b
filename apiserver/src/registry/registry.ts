// All served resources: one GenericStore per (group, version, resource).
import type { GenericStore } from './store';
import type { ResourceInfo } from './strategy';

export class Registry {
  private byGVR = new Map<string, GenericStore>();
  readonly stores: GenericStore[] = [];

  add(store: GenericStore) {
    const i = store.info;
    this.byGVR.set(`${i.group}/${i.version}/${i.resource}`, store);
    this.stores.push(store);
  }
  get(group: string, version: string, resource: string): GenericStore | undefined {
    return this.byGVR.get(`${group}/${version}/${resource}`);
  }
  /** The store of a resource in its group's first-registered (preferred) version, e.g. ('', 'namespaces'). */
  preferred(group: string, resource: string): GenericStore | undefined {
    return this.stores.find(s => s.info.group === group && s.info.resource === resource);
  }
  /** Groups in registration order, each with its versions in order (first = preferred). */
  groups(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const s of this.stores) {
      let g = out.find(x => x.name === s.info.group);
      if (!g) out.push(g = { name: s.info.group, versions: [] });
      if (!g.versions.includes(s.info.version)) g.versions.push(s.info.version);
    }
    return out;
  }
  resources(group: string, version: string): ResourceInfo[] {
    return this.stores.filter(s => s.info.group === group && s.info.version === version).map(s => s.info);
  }
  infos(): ResourceInfo[] { return this.stores.map(s => s.info); }
}
