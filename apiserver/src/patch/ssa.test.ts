import { StatusError } from '@mk8s/apimachinery';
import { serverSideApply, trackUpdate } from './ssa';
import { FieldSet, pathToString } from './fieldpath';
import { toFieldSet } from './typed';
import { deployment, pod, service } from './testschemas';

type Obj = Record<string, any>;
const T0 = '2024-01-01T00:00:00Z', T1 = '2024-01-01T00:01:00Z', T2 = '2024-01-01T00:02:00Z';

const deployConfig = (replicas = 3, image = 'nginx:1') => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { replicas, selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] } } },
});

function conflictOf(fn: () => unknown): StatusError {
  try { fn(); } catch (e) { if (e instanceof StatusError) return e; throw e; }
  throw new Error('expected a StatusError');
}
const entry = (o: Obj, manager: string) => (o.metadata.managedFields as Obj[]).find(e => e.manager === manager);

describe('field sets', () => {
  it('serializes to fieldsV1 with keys, values and "." as upstream', () => {
    const set = toFieldSet({ metadata: { finalizers: ['x'], labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], securityContext: {} }] } }, pod);
    expect(set.toFieldsV1()).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"x"': {} }, 'f:labels': { 'f:a': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {},
        'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } }, 'f:securityContext': {} } } },
    });
  });
  it('round-trips through fieldsV1', () => {
    const set = toFieldSet(deployConfig(), deployment);
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).toBe(true);
  });
  it('treats atomic lists and atomic maps as leaves', () => {
    const set = toFieldSet({ spec: { tolerations: [{ key: 'a' }], nodeSelector: { a: 'b' }, containers: [{ name: 'c', args: ['x'] }] } }, pod);
    const paths = set.paths().map(pathToString);
    expect(paths).toContain('.spec.tolerations');
    expect(paths).toContain('.spec.nodeSelector');
    expect(paths).toContain('.spec.containers[name="c"].args');
    expect(paths).not.toContain('.spec.nodeSelector.a');
  });
  it('renders set items and keys in conflict-message form', () => {
    const set = toFieldSet({ metadata: { finalizers: ['f'] }, spec: { ports: [{ port: 80, protocol: 'UDP' }] } }, { ...service, properties: { ...service.properties, metadata: pod.properties!.metadata } });
    const paths = set.paths().map(pathToString);
    expect(paths).toContain('.metadata.finalizers[="f"]');
    expect(paths).toContain('.spec.ports[port=80,protocol="UDP"].port');
  });
});

describe('serverSideApply', () => {
  it('creates an object and records an Apply entry without system fields', () => {
    const r = serverSideApply({ live: undefined, applied: deployConfig(), manager: 'kubectl', force: false, schema: deployment, now: T0 });
    expect(r.object.spec).toEqual(deployConfig().spec);
    expect(r.managedFields).toHaveLength(1);
    const e = r.managedFields[0];
    expect(e).toMatchObject({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1' });
    expect(Object.keys(e)).toEqual(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    const md = e.fieldsV1!['f:metadata'] as Obj;
    expect(md['f:name']).toBeUndefined();
    expect(md['f:namespace']).toBeUndefined();
    expect(md['f:labels']).toEqual({ 'f:app': {} });
    expect(e.fieldsV1!['f:apiVersion']).toBeUndefined();
    expect((e.fieldsV1!['f:spec'] as Obj)['f:replicas']).toEqual({});
    expect((e.fieldsV1!['f:spec'] as Obj)['f:selector']).toEqual({});
    expect(((r.object as Obj).metadata.managedFields)).toEqual(r.managedFields);
  });

  it('conflicts with another manager that owns a changed field, with upstream message and causes', () => {
    const created = serverSideApply({ live: undefined, applied: deployConfig(3), manager: 'kubectl-client-side-apply', force: false, schema: deployment, now: T0 }).object;
    // Turn the first owner into an Update manager, as a client-side apply would be.
    (created.metadata as Obj).managedFields[0].operation = 'Update';
    const e = conflictOf(() => serverSideApply({ live: created, applied: deployConfig(5), manager: 'mgr', force: false, schema: deployment, now: T1 }));
    expect(e.code).toBe(409);
    expect(e.reason).toBe('Conflict');
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(e.details).toEqual({ causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }] });
  });

  it('lists several conflicts grouped by manager', () => {
    const a = serverSideApply({ live: undefined, applied: deployConfig(3, 'nginx:1'), manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    const e = conflictOf(() => serverSideApply({ live: a, applied: deployConfig(4, 'nginx:2'), manager: 'bob', force: false, schema: deployment, now: T1 }));
    expect(e.message).toBe('Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image');
    expect(e.details!.causes!.map(c => c.field)).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image']);
    expect(e.details!.causes![0].message).toBe('conflict with "alice"');
  });

  it('force takes ownership away from the other manager', () => {
    const a = serverSideApply({ live: undefined, applied: deployConfig(3), manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    const r = serverSideApply({ live: a, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 7 } }, manager: 'bob', force: true, schema: deployment, now: T1 });
    expect((r.object.spec as Obj).replicas).toBe(7);
    const alice = entry(r.object, 'alice')!, bob = entry(r.object, 'bob')!;
    expect((alice.fieldsV1['f:spec'] as Obj)['f:replicas']).toBeUndefined();
    expect((alice.fieldsV1['f:spec'] as Obj)['f:template']).toBeDefined();
    expect(bob.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(bob.time).toBe(T1);
    expect(alice.time).toBe(T0);
  });

  it('shares ownership when the value applied equals the live one', () => {
    const a = serverSideApply({ live: undefined, applied: deployConfig(3), manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    const r = serverSideApply({ live: a, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, manager: 'bob', force: false, schema: deployment, now: T1 });
    expect((entry(r.object, 'alice')!.fieldsV1['f:spec'] as Obj)['f:replicas']).toEqual({});
    expect((entry(r.object, 'bob')!.fieldsV1['f:spec'] as Obj)['f:replicas']).toEqual({});
    expect(r.changed).toBe(false);
  });

  it('removes a field the applier no longer sets when nobody else owns it', () => {
    const cfg = deployConfig();
    (cfg.metadata.labels as Obj).extra = 'x';
    const a = serverSideApply({ live: undefined, applied: cfg, manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    expect((a.metadata as Obj).labels.extra).toBe('x');
    const r = serverSideApply({ live: a, applied: deployConfig(), manager: 'alice', force: false, schema: deployment, now: T1 });
    expect((r.object.metadata as Obj).labels).toEqual({ app: 'web' });
    expect(((entry(r.object, 'alice')!.fieldsV1['f:metadata'] as Obj)['f:labels'] as Obj)['f:extra']).toBeUndefined();
  });

  it('keeps a dropped field another manager also owns', () => {
    const cfg = deployConfig();
    (cfg.metadata.labels as Obj).extra = 'x';
    const a = serverSideApply({ live: undefined, applied: cfg, manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    const b = serverSideApply({ live: a, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { extra: 'x' } } }, manager: 'bob', force: false, schema: deployment, now: T1 }).object;
    const r = serverSideApply({ live: b, applied: deployConfig(), manager: 'alice', force: false, schema: deployment, now: T2 });
    expect((r.object.metadata as Obj).labels).toEqual({ app: 'web', extra: 'x' });
  });

  it('removes a container (list-map item) the applier stopped applying, keeping fields others own elsewhere', () => {
    const cfg = deployConfig();
    cfg.spec.template.spec.containers.push({ name: 'side', image: 'busybox', ports: [] as never });
    delete (cfg.spec.template.spec.containers[1] as Obj).ports;
    const a = serverSideApply({ live: undefined, applied: cfg, manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    expect((a.spec as Obj).template.spec.containers.map((c: Obj) => c.name)).toEqual(['nginx', 'side']);
    const r = serverSideApply({ live: a, applied: deployConfig(), manager: 'alice', force: false, schema: deployment, now: T1 });
    expect((r.object.spec as Obj).template.spec.containers.map((c: Obj) => c.name)).toEqual(['nginx']);
  });

  it('merges list-map items by key, defaulting the protocol key', () => {
    const live = serverSideApply({ live: undefined, applied: deployConfig(), manager: 'alice', force: false, schema: deployment, now: T0 }).object;
    // The live object was defaulted with protocol TCP; an applier omitting it still means the same port.
    (live.spec as Obj).template.spec.containers[0].ports[0].protocol = 'TCP';
    const r = serverSideApply({ live, applied: deployConfig(), manager: 'alice', force: false, schema: deployment, now: T1 });
    expect((r.object.spec as Obj).template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    const bob = serverSideApply({ live: r.object, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { template: { spec: { containers: [{ name: 'nginx', ports: [{ containerPort: 8080 }] }] } } } }, manager: 'bob', force: false, schema: deployment, now: T2 });
    expect((bob.object.spec as Obj).template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080 }]);
    expect((bob.object.spec as Obj).template.spec.containers[0].image).toBe('nginx:1');
  });

  it('merges service ports keyed by port and protocol', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] } };
    const a = serverSideApply({ live: undefined, applied: svc, manager: 'alice', force: false, schema: service, now: T0 });
    const ports = ((a.managedFields[0].fieldsV1!['f:spec'] as Obj)['f:ports']) as Obj;
    expect(Object.keys(ports)).toEqual(['k:{"port":53,"protocol":"TCP"}', 'k:{"port":53,"protocol":"UDP"}']);
  });

  it('refuses managedFields in the configuration and duplicate keys', () => {
    const cfg = deployConfig() as Obj;
    cfg.metadata.managedFields = [];
    const e = conflictOf(() => serverSideApply({ live: undefined, applied: cfg, manager: 'a', force: false, schema: deployment, now: T0 }));
    expect(e.code).toBe(400);
    expect(e.message).toBe('metadata.managedFields must be nil');
    const dup = deployConfig() as Obj;
    dup.spec.template.spec.containers.push({ name: 'nginx', image: 'x' });
    const e2 = conflictOf(() => serverSideApply({ live: undefined, applied: dup, manager: 'a', force: false, schema: deployment, now: T0 }));
    expect(e2.code).toBe(400);
    expect(e2.message).toBe('failed to create typed patch object (apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="nginx"]');
  });

  it('does not own status through the main resource', () => {
    const cfg = { ...deployConfig(), status: { replicas: 9 } };
    const r = serverSideApply({ live: undefined, applied: cfg, manager: 'a', force: false, schema: deployment, now: T0 });
    expect(r.managedFields[0].fieldsV1!['f:status']).toBeUndefined();
  });

  it('gives pre-existing untracked fields to before-first-apply', () => {
    const live = { ...deployConfig(2), metadata: { name: 'web', uid: 'u1' } };
    const r = serverSideApply({ live, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, manager: 'a', force: false, schema: deployment, now: T0 });
    const bfa = entry(r.object, 'before-first-apply')!;
    expect(bfa.operation).toBe('Update');
    expect((bfa.fieldsV1['f:spec'] as Obj)['f:replicas']).toEqual({});
    const e = conflictOf(() => serverSideApply({ live, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 4 } }, manager: 'a', force: false, schema: deployment, now: T0 }));
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  });

  it('keeps the applier time when nothing changes and sorts Apply entries before Update', () => {
    const a = serverSideApply({ live: undefined, applied: deployConfig(), manager: 'zed', force: false, schema: deployment, now: T0 }).object;
    const upd = JSON.parse(JSON.stringify(a));
    upd.spec.replicas = 10;
    upd.metadata.managedFields = trackUpdate({ old: a, updated: upd, manager: 'kube-controller-manager', operation: 'Update', schema: deployment, now: T1 });
    const r = serverSideApply({ live: upd, applied: deployConfig(10), manager: 'zed', force: false, schema: deployment, now: T2 });
    expect(r.changed).toBe(false);
    expect(r.managedFields.map(e => `${e.manager}/${e.operation}/${e.time}`)).toEqual(['zed/Apply/2024-01-01T00:00:00Z', 'kube-controller-manager/Update/2024-01-01T00:01:00Z']);
  });
});

describe('trackUpdate', () => {
  it('records a create as an Update entry owning every field', () => {
    const obj = { ...deployConfig(), metadata: { name: 'web', uid: 'u', resourceVersion: '1', labels: { app: 'web' } } };
    const mf = trackUpdate({ old: undefined, updated: obj, manager: 'kubectl-create', operation: 'Update', schema: deployment, now: T0 });
    expect(mf).toHaveLength(1);
    expect(mf[0]).toMatchObject({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1' });
    const md = mf[0].fieldsV1!['f:metadata'] as Obj;
    expect(md).toEqual({ 'f:labels': { '.': {}, 'f:app': {} } });
    // by-value structs of the zero object carry no "." of their own; the new list items and maps do
    expect((mf[0].fieldsV1!['f:spec'] as Obj)['.']).toBeUndefined();
    expect(((mf[0].fieldsV1!['f:spec'] as Obj)['f:template'] as Obj)['.']).toBeUndefined();
    expect((((mf[0].fieldsV1!['f:spec'] as Obj)['f:template'] as Obj)['f:spec'] as Obj)['f:containers']['k:{"name":"nginx"}']['.']).toEqual({});
    expect((mf[0].fieldsV1!['f:spec'] as Obj)['f:replicas']).toEqual({});
  });
  it('moves a changed field to the writer and leaves the rest', () => {
    const created = { ...deployConfig(), metadata: { name: 'web', labels: { app: 'web' } } } as Obj;
    created.metadata.managedFields = trackUpdate({ old: undefined, updated: created, manager: 'kubectl-create', operation: 'Update', schema: deployment, now: T0 });
    const edited = JSON.parse(JSON.stringify(created));
    edited.spec.replicas = 5;
    const mf = trackUpdate({ old: created, updated: edited, manager: 'kubectl-edit', operation: 'Update', schema: deployment, now: T1 });
    const create = mf.find(e => e.manager === 'kubectl-create')!, edit = mf.find(e => e.manager === 'kubectl-edit')!;
    expect((create.fieldsV1!['f:spec'] as Obj)['f:replicas']).toBeUndefined();
    expect(edit.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(edit.time).toBe(T1);
    expect(create.time).toBe(T0);
  });
  it('merges repeated writes of one manager into one entry and refreshes its time', () => {
    let obj = { ...deployConfig(), metadata: { name: 'web' } } as Obj;
    obj.metadata.managedFields = trackUpdate({ old: undefined, updated: obj, manager: 'm', operation: 'Update', schema: deployment, now: T0 });
    const next = JSON.parse(JSON.stringify(obj));
    next.spec.replicas = 8;
    const mf = trackUpdate({ old: obj, updated: next, manager: 'm', operation: 'Update', schema: deployment, now: T1 });
    expect(mf).toHaveLength(1);
    expect(mf[0].time).toBe(T1);
    expect((mf[0].fieldsV1!['f:spec'] as Obj)['f:template']).toBeDefined();
    obj = next;
  });
  it('a write that changes nothing the manager would own leaves managedFields as they were', () => {
    const obj = { ...deployConfig(), metadata: { name: 'web' } } as Obj;
    obj.metadata.managedFields = trackUpdate({ old: undefined, updated: obj, manager: 'm', operation: 'Update', schema: deployment, now: T0 });
    const next = JSON.parse(JSON.stringify(obj));
    next.status = { replicas: 3 };
    next.metadata.resourceVersion = '7';
    expect(trackUpdate({ old: obj, updated: next, manager: 'other', operation: 'Update', schema: deployment, now: T1 })).toEqual(obj.metadata.managedFields);
  });
  it('tracks status writes through /status with a subresource entry', () => {
    const obj = { ...deployConfig(), metadata: { name: 'web' } } as Obj;
    obj.metadata.managedFields = trackUpdate({ old: undefined, updated: obj, manager: 'kubectl', operation: 'Update', schema: deployment, now: T0 });
    const next = JSON.parse(JSON.stringify(obj));
    next.status = { readyReplicas: 3 };
    const mf = trackUpdate({ old: obj, updated: next, manager: 'kube-controller-manager', operation: 'Update', schema: deployment, now: T1, subresource: 'status' });
    const st = mf.find(e => e.manager === 'kube-controller-manager')!;
    expect(st.subresource).toBe('status');
    // status existed (empty) before, so only its new field is listed, without a "." for status itself.
    expect(st.fieldsV1).toEqual({ 'f:status': { 'f:readyReplicas': {} } });
    expect(Object.keys(st)).toEqual(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource']);
  });
  it('does not start tracking an existing untracked object, and resets on managedFields: [{}]', () => {
    const old = { ...deployConfig(), metadata: { name: 'web', uid: 'u' } };
    const upd = { ...old, spec: { ...old.spec, replicas: 1 } };
    expect(trackUpdate({ old, updated: upd, manager: 'm', operation: 'Update', schema: deployment, now: T0 })).toEqual([]);
    const tracked = { ...old, metadata: { ...old.metadata, managedFields: trackUpdate({ old: undefined, updated: old, manager: 'm', operation: 'Update', schema: deployment, now: T0 }) } };
    const reset = { ...tracked, metadata: { ...tracked.metadata, managedFields: [{}] } };
    expect(trackUpdate({ old: tracked, updated: reset, manager: 'm', operation: 'Update', schema: deployment, now: T1 })).toEqual([]);
  });
  it('removed fields are dropped from every owner', () => {
    const obj = { ...deployConfig(), metadata: { name: 'web', labels: { app: 'web', gone: 'x' } } } as Obj;
    obj.metadata.managedFields = trackUpdate({ old: undefined, updated: obj, manager: 'a', operation: 'Update', schema: deployment, now: T0 });
    const next = JSON.parse(JSON.stringify(obj));
    delete next.metadata.labels.gone;
    const mf = trackUpdate({ old: obj, updated: next, manager: 'b', operation: 'Update', schema: deployment, now: T1 });
    expect(mf).toHaveLength(1);
    expect(((mf[0].fieldsV1!['f:metadata'] as Obj)['f:labels'] as Obj)['f:gone']).toBeUndefined();
  });
});
