import type { ResourceInfo } from '../registry/strategy';
import {
  buildGroupVersionDocument, buildV3Documents, buildV2Document, contentHash, encodeV2Protobuf, decodeV2Protobuf,
  groupIdentifier, groupTag, PATCH_CONTENT_TYPES,
} from './index';

const R = (group: string, version: string, resource: string, kind: string, namespaced: boolean, subresources?: string[]): ResourceInfo =>
  ({ group, version, resource, kind, singular: kind.toLowerCase(), namespaced, subresources });
const RESOURCES: ResourceInfo[] = [
  R('', 'v1', 'pods', 'Pod', true, ['status', 'binding', 'eviction', 'log', 'exec']),
  R('', 'v1', 'nodes', 'Node', false, ['status']),
  R('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['token']),
  R('apps', 'v1', 'deployments', 'Deployment', true, ['status', 'scale']),
  R('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  R('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['status']),
  R('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['status']),
];
type Json = Record<string, any>;

describe('OpenAPI v3 group-version documents', () => {
  const core = buildGroupVersionDocument('', 'v1', RESOURCES) as Json;
  const apps = buildGroupVersionDocument('apps', 'v1', RESOURCES) as Json;

  it('has list/create/deletecollection and get/put/patch/delete with upstream ids and actions', () => {
    const coll = core.paths['/api/v1/namespaces/{namespace}/pods'];
    expect(coll.get).toMatchObject({ operationId: 'listCoreV1NamespacedPod', 'x-kubernetes-action': 'list' });
    expect(coll.post).toMatchObject({ operationId: 'createCoreV1NamespacedPod', 'x-kubernetes-action': 'post' });
    expect(coll.delete).toMatchObject({ operationId: 'deleteCoreV1CollectionNamespacedPod', 'x-kubernetes-action': 'deletecollection' });
    const item = core.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    expect(Object.keys(item).sort()).toEqual(['delete', 'get', 'parameters', 'patch', 'put']);
    expect(item.get.operationId).toBe('readCoreV1NamespacedPod');
    expect(item.put.operationId).toBe('replaceCoreV1NamespacedPod');
    expect(item.parameters.map((p: Json) => p.name)).toEqual(['name', 'namespace', 'pretty']);
    expect(core.paths['/api/v1/nodes/{name}'].patch.operationId).toBe('patchCoreV1Node');
    expect(core.paths['/api/v1/pods'].get.operationId).toBe('listCoreV1PodForAllNamespaces');
    expect(core.paths['/api/v1/nodes']).toBeDefined();
    expect(core.paths['/api/v1/namespaces/{namespace}/deployments']).toBeUndefined();
  });

  it('makes PATCH carry the GVK, fieldValidation and the four patch bodies (what kubectl checks)', () => {
    const patch = core.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Pod', version: 'v1' });
    expect(patch.parameters.map((p: Json) => `${p.in}:${p.name}`)).toEqual(['query:dryRun', 'query:fieldManager', 'query:fieldValidation', 'query:force']);
    expect(Object.keys(patch.requestBody.content).sort()).toEqual([...PATCH_CONTENT_TYPES].sort());
    expect(patch.requestBody.content['application/strategic-merge-patch+json'].schema.$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    const depPatch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(depPatch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
  });

  it('publishes subresources with their own kinds', () => {
    expect(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch).toMatchObject({
      operationId: 'patchAppsV1NamespacedDeploymentScale', 'x-kubernetes-group-version-kind': { group: 'autoscaling', kind: 'Scale', version: 'v1' } });
    expect(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].put.operationId).toBe('replaceCoreV1NamespacedPodStatus');
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/binding'].post['x-kubernetes-group-version-kind'].kind).toBe('Binding');
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind']).toEqual({ group: 'policy', kind: 'Eviction', version: 'v1' });
    expect(core.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post.operationId).toBe('createCoreV1NamespacedServiceAccountToken');
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.operationId).toBe('readCoreV1NamespacedPodLog');
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec']).toBeUndefined();
  });

  it('includes exactly the reachable schemas, with v3 refs and the extensions', () => {
    const s = core.components.schemas;
    expect(s['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(s['io.k8s.api.core.v1.Pod'].properties.spec.$ref).toBe('#/components/schemas/io.k8s.api.core.v1.PodSpec');
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    for (const n of ['io.k8s.api.core.v1.Binding', 'io.k8s.api.policy.v1.Eviction', 'io.k8s.api.authentication.v1.TokenRequest',
      'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
      'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList', 'io.k8s.api.core.v1.PodList']) expect(s[n]).toBeDefined();
    expect(s['io.k8s.api.apps.v1.Deployment']).toBeUndefined();
    expect(apps.components.schemas['io.k8s.api.core.v1.Node']).toBeUndefined();
    const text = JSON.stringify(core);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(s[m[1]]).toBeDefined();
    expect(text).not.toContain('#/definitions/');
    expect(core.openapi).toBe('3.0.0');
  });

  it('builds an index whose hashes are the documents\' SHA-512', () => {
    const all = buildV3Documents(RESOURCES, { gitVersion: 'v1.32.9' });
    const index = JSON.parse(all.index.json);
    expect(Object.keys(index.paths).sort()).toEqual(['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/autoscaling',
      'apis/autoscaling/v1', 'apis/autoscaling/v2', 'apis/coordination.k8s.io', 'apis/coordination.k8s.io/v1', 'version']);
    const core1 = all.docs.get('api/v1')!;
    expect(index.paths['api/v1'].serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${contentHash(core1.json)}`);
    expect(core1.hash).toMatch(/^[0-9A-F]{128}$/);
    expect(JSON.parse(core1.json).info.version).toBe('v1.32.9');
    expect(JSON.parse(all.docs.get('apis/autoscaling/v2')!.json).components.schemas['io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler']).toBeDefined();
    // content hash: same input, same hash; different input, different hash
    expect(buildV3Documents(RESOURCES, { gitVersion: 'v1.32.9' }).index.hash).toBe(all.index.hash);
    expect(buildV3Documents(RESOURCES.slice(0, 2)).docs.get('api/v1')!.hash).not.toBe(core1.hash);
  });

  it('names groups as upstream', () => {
    expect(groupIdentifier('')).toBe('Core');
    expect(groupIdentifier('coordination.k8s.io')).toBe('Coordination');
    expect(groupIdentifier('rbac.authorization.k8s.io')).toBe('RbacAuthorization');
    expect(groupTag('events.k8s.io', 'v1')).toBe('events_v1');
    expect(groupTag('', 'v1')).toBe('core_v1');
  });
});

describe('OpenAPI v2 document', () => {
  const v2 = buildV2Document(RESOURCES) as Json;
  it('is Swagger 2.0 with #/definitions refs and body parameters', () => {
    expect(v2.swagger).toBe('2.0');
    const patch = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch.consumes).toEqual(PATCH_CONTENT_TYPES);
    expect(patch.parameters[0]).toEqual({ in: 'body', name: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
    expect(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query')).toBe(true);
    expect(v2.definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy).toEqual({ $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy', 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(JSON.stringify(v2)).not.toContain('#/components/');
  });

  it('round-trips through the gnostic protobuf form', () => {
    const bin = encodeV2Protobuf(v2);
    const back = decodeV2Protobuf(bin);
    expect(back.swagger).toBe('2.0');
    const defs = new Map<string, Json>(back.definitions.additionalProperties.map((d: Json) => [d.name, d.value]));
    expect(defs.size).toBe(Object.keys(v2.definitions).length);
    const pod = defs.get('io.k8s.api.core.v1.Pod')!;
    expect(pod.type.value).toEqual(['object']);
    expect(JSON.parse(pod.vendorExtension.find((e: Json) => e.name === 'x-kubernetes-group-version-kind').value.yaml)).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    const spec = defs.get('io.k8s.api.core.v1.PodSpec')!;
    const containers = spec.properties.additionalProperties.find((p: Json) => p.name === 'containers').value;
    expect(containers.items.schema[0]._ref).toBe('#/definitions/io.k8s.api.core.v1.Container');
    expect(containers.vendorExtension.map((e: Json) => [e.name, JSON.parse(e.value.yaml)])).toEqual(expect.arrayContaining([
      ['x-kubernetes-patch-merge-key', 'name'], ['x-kubernetes-patch-strategy', 'merge']]));
    const paths = new Map<string, Json>(back.paths.path.map((p: Json) => [p.name, p.value]));
    const patch = paths.get('/api/v1/namespaces/{namespace}/pods/{name}')!.patch;
    expect(patch.consumes).toEqual(PATCH_CONTENT_TYPES);
    expect(patch.parameters.map((p: Json) => p.parameter.bodyParameter?.name ?? p.parameter.nonBodyParameter.queryParameterSubSchema.name))
      .toEqual(['body', 'dryRun', 'fieldManager', 'fieldValidation', 'force']);
    // field numbers as gnostic: Document.swagger=1 (tag 0x0a), definitions=9 (tag 0x4a)
    expect(bin[0]).toBe(0x0a);
    expect(Array.from(bin)).toContain(0x4a);
  });
});

describe('v3 oneOf types', () => {
  it('writes IntOrString and Quantity as oneOf, as upstream, so kubectl explain names them', () => {
    const apps = buildGroupVersionDocument('apps', 'v1', RESOURCES) as Json;
    const ios = apps.components.schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
    expect(ios).toEqual({ format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(apps.components.schemas['io.k8s.apimachinery.pkg.api.resource.Quantity']).toEqual({ oneOf: [{ type: 'string' }, { type: 'number' }] });
    // v2 keeps the single type
    expect((buildV2Document(RESOURCES) as Json).definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toEqual({ type: 'string', format: 'int-or-string' });
  });
});

describe('every kind mk8s serves', () => {
  const core = ['namespaces:Namespace:0', 'pods:Pod', 'nodes:Node:0', 'services:Service', 'endpoints:Endpoints', 'configmaps:ConfigMap',
    'secrets:Secret', 'serviceaccounts:ServiceAccount', 'events:Event', 'replicationcontrollers:ReplicationController',
    'persistentvolumes:PersistentVolume:0', 'persistentvolumeclaims:PersistentVolumeClaim', 'limitranges:LimitRange',
    'resourcequotas:ResourceQuota', 'podtemplates:PodTemplate'].map(s => ['', 'v1', s]);
  const others = [['apps', 'v1', 'deployments:Deployment'], ['apps', 'v1', 'replicasets:ReplicaSet'], ['apps', 'v1', 'statefulsets:StatefulSet'],
    ['apps', 'v1', 'daemonsets:DaemonSet'], ['apps', 'v1', 'controllerrevisions:ControllerRevision'], ['batch', 'v1', 'jobs:Job'],
    ['batch', 'v1', 'cronjobs:CronJob'], ['autoscaling', 'v1', 'horizontalpodautoscalers:HorizontalPodAutoscaler'],
    ['autoscaling', 'v2', 'horizontalpodautoscalers:HorizontalPodAutoscaler'], ['coordination.k8s.io', 'v1', 'leases:Lease'],
    ['storage.k8s.io', 'v1', 'storageclasses:StorageClass:0'], ['scheduling.k8s.io', 'v1', 'priorityclasses:PriorityClass:0'],
    ['discovery.k8s.io', 'v1', 'endpointslices:EndpointSlice'], ['policy', 'v1', 'poddisruptionbudgets:PodDisruptionBudget'],
    ['events.k8s.io', 'v1', 'events:Event']];
  const all: ResourceInfo[] = [...core, ...others].map(([g, v, s]) => {
    const [resource, kind, ns] = s.split(':');
    return R(g, v, resource, kind, ns !== '0', ['status']);
  });

  it('has a schema and a fieldValidation-carrying PATCH for each (none is skipped)', () => {
    const { docs } = buildV3Documents(all);
    for (const r of all) {
      const doc = JSON.parse(docs.get(r.group ? `apis/${r.group}/${r.version}` : 'api/v1')!.json);
      const prefix = r.group ? `/apis/${r.group}/${r.version}` : '/api/v1';
      const item = doc.paths[`${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}/{name}`];
      expect({ r: r.resource, ok: !!item?.patch }).toEqual({ r: r.resource, ok: true });
      expect(item.patch['x-kubernetes-group-version-kind']).toEqual({ group: r.group, kind: r.kind, version: r.version });
      expect(item.patch.parameters.some((p: Json) => p.name === 'fieldValidation')).toBe(true);
      const schemaName = Object.keys(doc.components.schemas).find(n => (doc.components.schemas[n]['x-kubernetes-group-version-kind'] ?? [])
        .some((g: Json) => g.group === r.group && g.version === r.version && g.kind === r.kind));
      expect({ r: r.resource, schemaName: !!schemaName }).toEqual({ r: r.resource, schemaName: true });
    }
  });
});
