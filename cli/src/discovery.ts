// What the server serves, from discovery (/api/v1, /apis, /apis/<g>/<v>), and how a kubectl-style resource
// argument (`pods`, `pod`, `po`, `Pod`, `deployments.apps`, `deployments.v1.apps`) or a manifest's
// apiVersion+kind maps onto it. Unknown names fail with the kinds that do exist or a close match.
import { rawGet } from './rest';
import { CliError } from './errors';

export interface ResourceType {
  group: string; version: string; resource: string; kind: string; singular: string;
  shortNames: string[]; namespaced: boolean; verbs: string[];
}

export const groupVersion = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);
/** kubectl's `kind.group` prefix for names: `pod`, `deployment.apps`. */
export const typePrefix = (t: ResourceType) => `${t.kind.toLowerCase()}${t.group ? `.${t.group}` : ''}`;
/** `pods`, `deployments.apps`: how messages name a resource. */
export const qualifiedResource = (t: ResourceType) => `${t.resource}${t.group ? `.${t.group}` : ''}`;

interface APIResource { name: string; singularName?: string; namespaced: boolean; kind: string; verbs?: string[]; shortNames?: string[] }

function toTypes(group: string, version: string, list: { resources?: APIResource[] }): ResourceType[] {
  return (list.resources ?? []).filter(r => !r.name.includes('/')).map(r => ({
    group, version, resource: r.name, kind: r.kind, singular: r.singularName || r.kind.toLowerCase(),
    shortNames: r.shortNames ?? [], namespaced: r.namespaced, verbs: r.verbs ?? [],
  }));
}

function splitGV(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]; d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

export class Discovery {
  private preferred?: Promise<ResourceType[]>;
  private byGV = new Map<string, Promise<ResourceType[]>>();
  constructor(private readonly server: string) {}

  private gv(group: string, version: string): Promise<ResourceType[]> {
    const key = groupVersion({ group, version });
    let p = this.byGV.get(key);
    if (!p) {
      p = rawGet(this.server, group ? `/apis/${group}/${version}` : `/api/${version}`).then(l => toTypes(group, version, l));
      this.byGV.set(key, p);
    }
    return p;
  }

  /** Every resource of every group's preferred version, core first, in the server's group order. */
  all(): Promise<ResourceType[]> {
    this.preferred ??= (async () => {
      const [core, groups] = await Promise.all([this.gv('', 'v1'), rawGet(this.server, '/apis')]);
      const lists = await Promise.all((groups?.groups ?? []).map((g: any) => this.gv(g.name, g.preferredVersion?.version ?? g.versions?.[0]?.version)));
      return [...core, ...lists.flat()];
    })();
    return this.preferred;
  }

  /** The groups and versions the server serves (for `version`-qualified arguments). */
  async groupVersions(): Promise<Array<{ group: string; versions: string[] }>> {
    const groups = await rawGet(this.server, '/apis');
    return [{ group: '', versions: ['v1'] }, ...(groups?.groups ?? []).map((g: any) => ({ group: g.name, versions: (g.versions ?? []).map((v: any) => v.version) }))];
  }

  /** A resource argument as kubectl reads it. */
  async resolve(arg: string): Promise<ResourceType> {
    const want = arg.toLowerCase();
    const all = await this.all();
    const matches = (t: ResourceType, n: string) => t.resource === n || t.singular === n || t.kind.toLowerCase() === n || t.shortNames.includes(n);
    const direct = all.find(t => matches(t, want));
    if (direct) return direct;
    const dot = want.indexOf('.');
    if (dot > 0) {
      const name = want.slice(0, dot), rest = want.slice(dot + 1);
      const inGroup = all.find(t => t.group === rest && matches(t, name));
      if (inGroup) return inGroup;
      // resource.version.group: that exact version, which need not be the preferred one
      const dot2 = rest.indexOf('.');
      const version = dot2 > 0 ? rest.slice(0, dot2) : rest, group = dot2 > 0 ? rest.slice(dot2 + 1) : '';
      const gvs = await this.groupVersions();
      if (gvs.some(g => g.group === group && g.versions.includes(version))) {
        const t = (await this.gv(group, version)).find(x => matches(x, name));
        if (t) return t;
      }
    }
    throw this.unknown(arg, all);
  }

  /** The resource a manifest's apiVersion + kind is stored as. */
  async forKind(apiVersion: string, kind: string): Promise<ResourceType> {
    const { group, version } = splitGV(apiVersion);
    let list: ResourceType[];
    try { list = await this.gv(group, version); } catch (e) {
      if ((e as { code?: number }).code === 404) throw new CliError(`no matches for kind "${kind}" in version "${apiVersion}": the server does not serve ${apiVersion}`);
      throw e;
    }
    const t = list.find(x => x.kind === kind);
    if (t) return t;
    const near = list.find(x => x.kind.toLowerCase() === kind.toLowerCase() || distance(x.kind.toLowerCase(), kind.toLowerCase()) <= 2);
    const kinds = [...new Set(list.map(x => x.kind))].sort();
    throw new CliError(`no matches for kind "${kind}" in version "${apiVersion}"; ${near ? `did you mean "${near.kind}"? ` : ''}kinds in ${apiVersion}: ${kinds.join(', ')}`);
  }

  private unknown(arg: string, all: ResourceType[]): CliError {
    const want = arg.toLowerCase();
    let best: { name: string; d: number } | undefined;
    for (const t of all) {
      for (const n of [t.resource, t.singular, ...t.shortNames]) {
        const d = distance(want, n);
        if (!best || d < best.d) best = { name: t.resource, d };
      }
    }
    const limit = want.length <= 4 ? 1 : 2;
    if (best && best.d <= limit) return new CliError(`the server doesn't have a resource type "${arg}"; did you mean "${best.name}"?`);
    const kinds = [...new Set(all.map(t => t.kind))].sort();
    return new CliError(`the server doesn't have a resource type "${arg}"; known kinds: ${kinds.join(', ')}`);
  }
}
