// The REST operations the apiserver offers for a set of resources, in a form neutral to OpenAPI v2/v3: paths,
// verbs, operation ids, query parameters, body and response definitions, and the x-kubernetes-* operation
// extensions kubectl looks for (x-kubernetes-group-version-kind on PATCH + a fieldValidation parameter).
// Naming follows upstream's generated specs: listCoreV1NamespacedPod, patchAppsV1NamespacedDeploymentScale...
import type { ResourceInfo } from '../registry/strategy';

export interface GVK { group: string; version: string; kind: string }
export type Verb = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type Action = 'get' | 'list' | 'watch' | 'watchlist' | 'put' | 'patch' | 'post' | 'delete' | 'deletecollection' | 'connect';
export type ParamType = 'string' | 'integer' | 'boolean';
export interface Param { name: string; in: 'query' | 'path'; type: ParamType; required?: boolean }

export interface Operation {
  verb: Verb;
  operationId: string;
  action?: Action;
  /** Set on resource operations; discovery operations have none. */
  gvk?: GVK;
  tag: string;
  params: Param[];
  /** Definition name of the request body (POST/PUT/PATCH/DELETE). */
  body?: string;
  /** Content types of the body; PATCH has the four patch types. */
  consumes: string[];
  /** Definition name of the response, or 'string' for text (logs). */
  response: string;
  produces: string[];
  /** Response codes besides 200: create has 201/202, delete 202. */
  codes: ('200' | '201' | '202')[];
}
export interface PathItem { path: string; params: Param[]; ops: Operation[] }
/** Operations of the group-version-less documents (/api/, /apis/, /apis/<group>/, /version/). */
export interface DocumentOps { paths: PathItem[] }

export const PATCH_CONTENT_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json',
  'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const OBJECT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const LIST_TYPES = [...OBJECT_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const WATCH_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf',
  'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const DEFS = {
  deleteOptions: `${META}DeleteOptions`, status: `${META}Status`, watchEvent: `${META}WatchEvent`,
  patch: `${META}Patch`, apiResourceList: `${META}APIResourceList`, apiGroupList: `${META}APIGroupList`,
  apiGroup: `${META}APIGroup`, apiVersions: `${META}APIVersions`, versionInfo: 'io.k8s.apimachinery.pkg.version.Info',
};

/** Resolves a GVK to its definition name (from the schema); undefined when the schema lacks it. */
export type DefinitionOf = (gvk: GVK) => string | undefined;

const q = (name: string, type: ParamType = 'string'): Param => ({ name, in: 'query', type });
const pathParam = (name: string): Param => ({ name, in: 'path', type: 'string', required: true });
const PRETTY = q('pretty');
const LIST_PARAMS = [q('allowWatchBookmarks', 'boolean'), q('continue'), q('fieldSelector'), q('labelSelector'),
  q('limit', 'integer'), q('resourceVersion'), q('resourceVersionMatch'), q('sendInitialEvents', 'boolean'),
  q('timeoutSeconds', 'integer'), q('watch', 'boolean')];
const WRITE_PARAMS = [q('dryRun'), q('fieldManager'), q('fieldValidation')];
const PATCH_PARAMS = [...WRITE_PARAMS, q('force', 'boolean')];
const DELETE_PARAMS = [q('dryRun'), q('gracePeriodSeconds', 'integer'),
  q('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean'), q('orphanDependents', 'boolean'), q('propagationPolicy')];
const DELETECOLLECTION_PARAMS = [q('continue'), q('dryRun'), q('fieldSelector'), q('gracePeriodSeconds', 'integer'),
  q('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean'), q('labelSelector'), q('limit', 'integer'),
  q('orphanDependents', 'boolean'), q('propagationPolicy'), q('resourceVersion'), q('resourceVersionMatch'),
  q('sendInitialEvents', 'boolean'), q('timeoutSeconds', 'integer')];
const LOG_PARAMS = [q('container'), q('follow', 'boolean'), q('insecureSkipTLSVerifyBackend', 'boolean'),
  q('limitBytes', 'integer'), q('previous', 'boolean'), q('sinceSeconds', 'integer'), q('stream'),
  q('tailLines', 'integer'), q('timestamps', 'boolean')];

const upperFirst = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);
/** `Core`, `Apps`, `Coordination` (coordination.k8s.io), `RbacAuthorization` (rbac.authorization.k8s.io). */
export function groupIdentifier(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(upperFirst).join('');
}
/** `core_v1`, `apps_v1`, `coordination_v1`. */
export function groupTag(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/[.-]/g, '_');
  return `${g}_${version}`;
}
/** The URL prefix of a group-version: /api/v1 or /apis/apps/v1. */
export const gvPrefix = (group: string, version: string) => (group === '' ? `/api/${version}` : `/apis/${group}/${version}`);
/** The key of a group-version in /openapi/v3: api/v1 or apis/apps/v1. */
export const gvKey = (group: string, version: string) => gvPrefix(group, version).slice(1);

/** What each served subresource looks like (upstream's REST storage for it). */
const SUBRESOURCES: Record<string, (r: ResourceInfo) => { kind: GVK; verbs: Verb[]; response?: string; params?: Param[] } | undefined> = {
  status: r => ({ kind: { group: r.group, version: r.version, kind: r.kind }, verbs: ['get', 'put', 'patch'] }),
  scale: () => ({ kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'put', 'patch'] }),
  binding: () => ({ kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['post'] }),
  eviction: () => ({ kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['post'] }),
  token: () => ({ kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['post'] }),
  log: r => ({ kind: { group: r.group, version: r.version, kind: r.kind }, verbs: ['get'], response: 'string', params: LOG_PARAMS }),
};

/** The paths of one resource and its subresources. Kinds missing from the schema are skipped. */
export function resourcePaths(r: ResourceInfo, definitionOf: DefinitionOf): PathItem[] {
  const gvk: GVK = { group: r.group, version: r.version, kind: r.kind };
  const def = definitionOf(gvk);
  const listDef = definitionOf({ ...gvk, kind: `${r.kind}List` });
  if (!def || !listDef) return [];
  const id = `${groupIdentifier(r.group)}${upperFirst(r.version)}`;
  const tag = groupTag(r.group, r.version);
  const ns = r.namespaced ? 'Namespaced' : '';
  const prefix = gvPrefix(r.group, r.version);
  const scope = r.namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
  const scopeParams = r.namespaced ? [pathParam('namespace')] : [];
  const op = (o: Omit<Operation, 'tag' | 'consumes' | 'produces' | 'codes'> & Partial<Operation>): Operation => ({
    tag, consumes: o.body ? ['*/*'] : [], produces: OBJECT_TYPES, codes: ['200'], ...o,
  });

  const items: PathItem[] = [];
  items.push({ path: `${scope}/${r.resource}`, params: [...scopeParams, PRETTY], ops: [
    op({ verb: 'get', operationId: `list${id}${ns}${r.kind}`, action: 'list', gvk, params: LIST_PARAMS, response: listDef, produces: LIST_TYPES }),
    op({ verb: 'post', operationId: `create${id}${ns}${r.kind}`, action: 'post', gvk, params: WRITE_PARAMS, body: def, response: def, codes: ['200', '201', '202'] }),
    op({ verb: 'delete', operationId: `delete${id}Collection${ns}${r.kind}`, action: 'deletecollection', gvk, params: DELETECOLLECTION_PARAMS, body: DEFS.deleteOptions, response: DEFS.status }),
  ] });
  items.push({ path: `${scope}/${r.resource}/{name}`, params: [pathParam('name'), ...scopeParams, PRETTY], ops: [
    op({ verb: 'get', operationId: `read${id}${ns}${r.kind}`, action: 'get', gvk, params: [], response: def }),
    op({ verb: 'put', operationId: `replace${id}${ns}${r.kind}`, action: 'put', gvk, params: WRITE_PARAMS, body: def, response: def, codes: ['200', '201'] }),
    op({ verb: 'patch', operationId: `patch${id}${ns}${r.kind}`, action: 'patch', gvk, params: PATCH_PARAMS, body: DEFS.patch, consumes: PATCH_CONTENT_TYPES, response: def, codes: ['200', '201'] }),
    op({ verb: 'delete', operationId: `delete${id}${ns}${r.kind}`, action: 'delete', gvk, params: DELETE_PARAMS, body: DEFS.deleteOptions, response: DEFS.status, codes: ['200', '202'] }),
  ] });
  if (r.namespaced) {
    items.push({ path: `${prefix}/${r.resource}`, params: [...LIST_PARAMS, PRETTY], ops: [
      op({ verb: 'get', operationId: `list${id}${r.kind}ForAllNamespaces`, action: 'list', gvk, params: [], response: listDef, produces: LIST_TYPES }),
    ] });
  }
  // Deprecated watch paths, still published upstream.
  const watchScope = r.namespaced ? `${prefix}/watch/namespaces/{namespace}` : `${prefix}/watch`;
  const watchParams = [...LIST_PARAMS, PRETTY];
  items.push({ path: `${watchScope}/${r.resource}`, params: [...scopeParams, ...watchParams], ops: [
    op({ verb: 'get', operationId: `watch${id}${ns}${r.kind}List`, action: 'watchlist', gvk, params: [], response: DEFS.watchEvent, produces: WATCH_TYPES }),
  ] });
  items.push({ path: `${watchScope}/${r.resource}/{name}`, params: [pathParam('name'), ...scopeParams, ...watchParams], ops: [
    op({ verb: 'get', operationId: `watch${id}${ns}${r.kind}`, action: 'watch', gvk, params: [], response: DEFS.watchEvent, produces: WATCH_TYPES }),
  ] });
  if (r.namespaced) {
    items.push({ path: `${prefix}/watch/${r.resource}`, params: watchParams, ops: [
      op({ verb: 'get', operationId: `watch${id}${r.kind}ListForAllNamespaces`, action: 'watchlist', gvk, params: [], response: DEFS.watchEvent, produces: WATCH_TYPES }),
    ] });
  }

  for (const sub of r.subresources ?? []) {
    const shape = SUBRESOURCES[sub]?.(r);
    if (!shape) continue;                       // exec/attach/portforward/proxy: connect streams, no schema
    const subDef = shape.response === 'string' ? 'string' : definitionOf(shape.kind);
    if (!subDef) continue;
    const base = `${id}${ns}${r.kind}${upperFirst(sub)}`;
    const ops: Operation[] = [];
    for (const verb of shape.verbs) {
      if (verb === 'get') ops.push(op({ verb, operationId: `read${base}`, action: 'get', gvk: shape.kind, params: shape.params ?? [], response: subDef, produces: subDef === 'string' ? ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'] : OBJECT_TYPES }));
      if (verb === 'put') ops.push(op({ verb, operationId: `replace${base}`, action: 'put', gvk: shape.kind, params: WRITE_PARAMS, body: subDef, response: subDef, codes: ['200', '201'] }));
      if (verb === 'patch') ops.push(op({ verb, operationId: `patch${base}`, action: 'patch', gvk: shape.kind, params: PATCH_PARAMS, body: DEFS.patch, consumes: PATCH_CONTENT_TYPES, response: subDef, codes: ['200', '201'] }));
      if (verb === 'post') ops.push(op({ verb, operationId: `create${base}`, action: 'post', gvk: shape.kind, params: WRITE_PARAMS, body: subDef, response: subDef, codes: ['200', '201', '202'] }));
    }
    items.push({ path: `${scope}/${r.resource}/{name}/${sub}`, params: [pathParam('name'), ...scopeParams, PRETTY], ops });
  }
  return items;
}

/** All paths of one group-version: its resources plus the resource list at `/api/v1/`. */
export function groupVersionPaths(group: string, version: string, resources: ResourceInfo[], definitionOf: DefinitionOf): PathItem[] {
  const id = `${groupIdentifier(group)}${upperFirst(version)}`;
  const discovery: PathItem = { path: `${gvPrefix(group, version)}/`, params: [], ops: [{
    verb: 'get', operationId: `get${id}APIResources`, tag: groupTag(group, version),
    params: [], consumes: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
    response: DEFS.apiResourceList, produces: OBJECT_TYPES, codes: ['200'],
  }] };
  const items = [discovery];
  for (const r of resources) if (r.group === group && r.version === version) items.push(...resourcePaths(r, definitionOf));
  return items;
}

/** The one-operation documents upstream also lists in /openapi/v3: api, apis, apis/<group>, version. */
export function discoveryPaths(key: string): PathItem[] {
  const one = (path: string, operationId: string, response: string, tag: string): PathItem[] => [{ path, params: [], ops: [{
    verb: 'get', operationId, tag, params: [],
    consumes: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'], response,
    produces: key === 'version' ? ['application/json'] : OBJECT_TYPES, codes: ['200'] }] }];
  if (key === 'api') return one('/api/', 'getCoreAPIVersions', DEFS.apiVersions, 'core');
  if (key === 'apis') return one('/apis/', 'getAPIVersions', DEFS.apiGroupList, 'apis');
  if (key === 'version') return one('/version/', 'getCodeVersion', DEFS.versionInfo, 'version');
  const m = /^apis\/([^/]+)$/.exec(key);
  if (m) return one(`/apis/${m[1]}/`, `get${groupIdentifier(m[1])}APIGroup`, DEFS.apiGroup, m[1].replace(/\.k8s\.io$/, '').replace(/[.-]/g, '_'));
  return [];
}
