// The patch functions over the real 1.32 schemas (apimachinery's generated SchemaLookup).
import { schemas, StatusError } from '@mk8s/apimachinery';
import { applyStrategicMergePatch } from './strategicpatch';
import { serverSideApply, trackUpdate } from './ssa';

type Obj = Record<string, any>;
const podSchema = schemas.forKind('', 'v1', 'Pod')!;
const deploySchema = schemas.forKind('apps', 'v1', 'Deployment')!;
const svcSchema = schemas.forKind('', 'v1', 'Service')!;
const T0 = '2024-05-01T10:00:00Z', T1 = '2024-05-01T10:05:00Z';

const deploy = (replicas: number, image: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80, protocol: 'TCP' }],
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }], tolerations: [{ key: 'a', operator: 'Exists' }] } } },
});

describe('real schemas', () => {
  it('are available for Pod, Deployment and Service', () => {
    expect(podSchema.properties?.spec).toBeDefined();
    expect(deploySchema.properties?.spec?.properties?.template).toBeDefined();
    expect(svcSchema.properties?.spec?.properties?.ports?.listMapKeys).toEqual(['port', 'protocol']);
  });

  it('SMP merges containers and env by name and replaces tolerations (Deployment)', () => {
    const out = applyStrategicMergePatch(deploy(1, 'nginx:1'), { spec: { template: { spec: {
      containers: [{ name: 'nginx', image: 'nginx:2', env: [{ name: 'B', $patch: 'delete' }] }],
      tolerations: [{ key: 'b', operator: 'Exists' }] } } } }, deploySchema) as Obj;
    const c = out.spec.template.spec.containers[0];
    expect(c.image).toBe('nginx:2');
    expect(c.env).toEqual([{ name: 'A', value: '1' }]);
    expect(c.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('SMP retainKeys clears rollingUpdate on a switch to Recreate (Deployment strategy)', () => {
    const out = applyStrategicMergePatch(deploy(1, 'x'), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deploySchema) as Obj;
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('SMP merges finalizers as a set and ownerReferences by uid (Pod)', () => {
    const p = { metadata: { name: 'p', finalizers: ['a'], ownerReferences: [{ uid: 'u1', name: 'rs', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const out = applyStrategicMergePatch(p, { metadata: { finalizers: ['b'], ownerReferences: [{ uid: 'u1', name: 'rs2' }] } }, podSchema) as Obj;
    // A value only the patch has goes before live-only ones (upstream's ordering).
    expect(out.metadata.finalizers).toEqual(['b', 'a']);
    expect(out.metadata.ownerReferences).toEqual([{ uid: 'u1', name: 'rs2', kind: 'ReplicaSet', apiVersion: 'apps/v1' }]);
  });

  it('SMP merges pod status conditions by type (what the kubelet status manager sends)', () => {
    const p = { spec: { containers: [] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } };
    const out = applyStrategicMergePatch(p, { status: { phase: 'Running', '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'PodScheduled' }],
      conditions: [{ type: 'Ready', status: 'True' }] } }, podSchema) as Obj;
    expect(out.status.phase).toBe('Running');
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
  });

  it('SSA conflict between kubectl-client-side-apply (Update) and a new applier on replicas (Deployment)', () => {
    const created = deploy(3, 'nginx:1') as Obj;
    created.metadata.managedFields = trackUpdate({ old: undefined, updated: created, manager: 'kubectl-client-side-apply', operation: 'Update', schema: deploySchema, now: T0 });
    let err: unknown;
    try { serverSideApply({ live: created, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, manager: 'kubectl', force: false, schema: deploySchema, now: T1 }); }
    catch (e) { err = e; }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(409);
    expect((err as StatusError).message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    const forced = serverSideApply({ live: created, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, manager: 'kubectl', force: true, schema: deploySchema, now: T1 });
    expect((forced.object.spec as Obj).replicas).toBe(5);
    expect(forced.managedFields.map(e => e.manager)).toEqual(['kubectl', 'kubectl-client-side-apply']);
  });

  it('SSA fieldsV1 of a Deployment create uses the real list keys', () => {
    const r = serverSideApply({ live: undefined, applied: deploy(2, 'nginx:1'), manager: 'kubectl', force: false, schema: deploySchema, now: T0 });
    const spec = r.managedFields[0].fieldsV1!['f:spec'] as Obj;
    const c = spec['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'];
    expect(Object.keys(c)).toEqual(['.', 'f:env', 'f:image', 'f:name', 'f:ports']);
    expect(Object.keys(c['f:ports'])).toEqual(['k:{"containerPort":80,"protocol":"TCP"}']);
    expect(Object.keys(c['f:env'])).toEqual(['k:{"name":"A"}', 'k:{"name":"B"}']);
    expect(spec['f:template']['f:spec']['f:tolerations']).toEqual({});
    expect(spec['f:selector']).toEqual({});
    expect(spec['f:strategy']).toEqual({ 'f:rollingUpdate': { 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} });
  });

  it('SSA removes an env var the applier dropped (Deployment)', () => {
    const a = serverSideApply({ live: undefined, applied: deploy(2, 'nginx:1'), manager: 'kubectl', force: false, schema: deploySchema, now: T0 }).object;
    const cfg = deploy(2, 'nginx:1') as Obj;
    cfg.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }];
    const r = serverSideApply({ live: a, applied: cfg, manager: 'kubectl', force: false, schema: deploySchema, now: T1 });
    expect((r.object.spec as Obj).template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('SSA on a Service merges ports by port+protocol and owns selector atomically', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080 }] } };
    const a = serverSideApply({ live: undefined, applied: svc, manager: 'alice', force: false, schema: svcSchema, now: T0 });
    const spec = a.managedFields[0].fieldsV1!['f:spec'] as Obj;
    expect(spec['f:selector']).toEqual({});
    expect(Object.keys(spec['f:ports'])).toEqual(['k:{"port":80,"protocol":"TCP"}']);
    const live = JSON.parse(JSON.stringify(a.object));
    live.spec.ports[0].protocol = 'TCP'; // defaulted by the server
    const b = serverSideApply({ live, applied: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 443, targetPort: 8443 }] } }, manager: 'bob', force: false, schema: svcSchema, now: T1 });
    expect(((b.object.spec as Obj).ports as Obj[]).map(p => p.port)).toEqual([80, 443]);
  });

  it('SSA on a Pod: two managers own different containers', () => {
    const p = (name: string, image: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name, image }] } });
    const a = serverSideApply({ live: undefined, applied: p('a', 'x'), manager: 'alice', force: false, schema: podSchema, now: T0 }).object;
    const b = serverSideApply({ live: a, applied: p('b', 'y'), manager: 'bob', force: false, schema: podSchema, now: T1 }).object;
    expect((b.spec as Obj).containers.map((c: Obj) => c.name)).toEqual(['a', 'b']);
    const c = serverSideApply({ live: b, applied: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'z' }] } }, manager: 'bob', force: false, schema: podSchema, now: T1 }).object;
    expect((c.spec as Obj).containers.map((x: Obj) => x.name)).toEqual(['a', 'c']);
  });
});
