// Legacy (/api, /apis, /api/v1, /apis/g/v) and aggregated (apidiscovery.k8s.io v2/v2beta1) discovery.
import type { Registry } from '../registry/registry';
import type { ResourceInfo } from '../registry/strategy';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface SubInfo { name: string; verbs: string[]; group?: string; version?: string; kind: string }
/** What each subresource is and answers, as upstream serves them. */
function subresourceInfo(info: ResourceInfo, sub: string): SubInfo | undefined {
  switch (sub) {
    case 'status': return { name: 'status', verbs: ['get', 'patch', 'update'], kind: info.kind };
    case 'scale': return { name: 'scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1', kind: 'Scale' };
    case 'binding': return { name: 'binding', verbs: ['create'], group: '', version: 'v1', kind: 'Binding' };
    case 'eviction': return { name: 'eviction', verbs: ['create'], group: 'policy', version: 'v1', kind: 'Eviction' };
    case 'log': return { name: 'log', verbs: ['get'], group: '', version: 'v1', kind: 'Pod' };
    case 'exec': case 'attach': case 'portforward': return { name: sub, verbs: ['create', 'get'], group: '', version: 'v1', kind: sub === 'exec' ? 'PodExecOptions' : sub === 'attach' ? 'PodAttachOptions' : 'PodPortForwardOptions' };
    case 'proxy': return { name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], group: '', version: 'v1', kind: info.kind === 'Pod' ? 'PodProxyOptions' : info.kind === 'Node' ? 'NodeProxyOptions' : 'ServiceProxyOptions' };
    case 'finalize': return { name: 'finalize', verbs: ['update'], kind: info.kind };
    case 'token': return { name: 'token', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
    case 'ephemeralcontainers': return { name: sub, verbs: ['get', 'patch', 'update'], kind: info.kind };
    default: return undefined;
  }
}

const gv = (group: string, version: string) => (group ? `${group}/${version}` : version);

export function apiResourceList(reg: Registry, group: string, version: string) {
  const resources: unknown[] = [];
  for (const info of reg.resources(group, version)) {
    const r: Record<string, unknown> = { name: info.resource, singularName: info.singular, namespaced: info.namespaced, kind: info.kind, verbs: info.verbs ?? ALL_VERBS };
    if (info.shortNames?.length) r.shortNames = info.shortNames;
    if (info.categories?.length) r.categories = info.categories;
    resources.push(r);
    for (const sub of info.subresources ?? []) {
      const s = subresourceInfo(info, sub); if (!s) continue;
      const e: Record<string, unknown> = { name: `${info.resource}/${s.name}`, singularName: '', namespaced: info.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group !== undefined) { e.group = s.group; e.version = s.version; }
      resources.push(e);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv(group, version), resources };
}

export function apiVersions(host: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
}

export function apiGroup(reg: Registry, name: string) {
  const g = reg.groups().find(x => x.name === name);
  if (!g) return undefined;
  const versions = g.versions.map(v => ({ groupVersion: gv(name, v), version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(reg: Registry) {
  const groups = reg.groups().filter(g => g.name !== '').map(g => {
    const versions = g.versions.map(v => ({ groupVersion: gv(g.name, v), version: v }));
    return { name: g.name, versions, preferredVersion: versions[0] };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** Aggregated discovery: one document with every resource of the core group (`/api`) or of the named groups (`/apis`). */
export function aggregatedDiscovery(reg: Registry, core: boolean, version: 'v2' | 'v2beta1') {
  const items = reg.groups().filter(g => (g.name === '') === core).map(g => ({
    metadata: core ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
    versions: g.versions.map(v => ({
      version: v,
      resources: reg.resources(g.name, v).map(info => {
        const r: Record<string, unknown> = {
          resource: info.resource, responseKind: { group: info.group, version: info.version, kind: info.kind },
          scope: info.namespaced ? 'Namespaced' : 'Cluster', singularResource: info.singular, verbs: info.verbs ?? ALL_VERBS,
        };
        if (info.shortNames?.length) r.shortNames = info.shortNames;
        if (info.categories?.length) r.categories = info.categories;
        const subs = (info.subresources ?? []).map(sub => subresourceInfo(info, sub)).filter((s): s is SubInfo => !!s).map(s => ({
          subresource: s.name, responseKind: { group: s.group ?? info.group, version: s.version ?? info.version, kind: s.kind }, verbs: s.verbs,
        }));
        if (subs.length) r.subresources = subs;
        return r;
      }),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export const discoveryContentType = (v: string) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
