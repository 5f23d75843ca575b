// The official JavaScript client (@kubernetes/client-node 1.4.0) against our apiserver on a real etcd:
// typed CoreV1Api/AppsV1Api/BatchV1Api CRUD, all four PatchStrategy content types, its Watch class, and
// errors as ApiException carrying the Status body.
import type * as K8s from '@kubernetes/client-node';
import { cluster, Cluster } from '../src';

jest.setTimeout(90_000);

// The client is ESM-only. Jest's own module system cannot load ESM, so use Node's real require (which loads
// ESM synchronously on Node >= 20.19) through the builtin module loader jest does not wrap.
const nodeRequire = (process as any).getBuiltinModule('module').createRequire(__filename) as NodeRequire;
const k8s = nodeRequire('@kubernetes/client-node') as typeof K8s;

const NS = 'clientnode';
let c: Cluster;
let kc: K8s.KubeConfig;
let core: K8s.CoreV1Api;
let apps: K8s.AppsV1Api;
let batch: K8s.BatchV1Api;

beforeAll(async () => {
  c = await cluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  // client-node 1.x refuses a plain-http server unless TLS verification is off for that cluster.
  kc.loadFromOptions({ ...kc, clusters: kc.clusters.map((cl) => ({ ...cl, skipTLSVerify: true })) });
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  batch = kc.makeApiClient(k8s.BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
});

interface StatusBody { kind: string; apiVersion: string; status: string; code: number; reason: string; message: string; details?: any }

/** Runs p, which must fail with an ApiException; returns its code and the parsed Status body. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw new Error(`expected an ApiException, got ${String(e)}`);
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return { code: e.code, status: body as StatusBody };
  }
  throw new Error('the call succeeded but should have failed');
}

const patchAs = (type: K8s.PatchStrategy) => k8s.setHeaderOptions('Content-Type', type);

describe('namespaces', () => {
  it('creates, reads, lists and deletes a namespace', async () => {
    const created = await core.createNamespace({ body: { metadata: { name: 'cn-ns', labels: { team: 'a' } } } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.status?.phase).toBe('Active');
    const read = await core.readNamespace({ name: 'cn-ns' });
    expect(read.metadata?.labels).toEqual(expect.objectContaining({ team: 'a' }));
    const list = await core.listNamespace({ labelSelector: 'team=a' });
    expect(list.items.map((n) => n.metadata?.name)).toEqual(['cn-ns']);
    await core.deleteNamespace({ name: 'cn-ns' });
    // Namespace deletion is graceful (the namespace controller empties it); it is Terminating or gone now.
    const after = await core.readNamespace({ name: 'cn-ns' }).catch((e) => e);
    if (after instanceof k8s.ApiException) expect(after.code).toBe(404);
    else expect((after as K8s.V1Namespace).status?.phase).toBe('Terminating');
  });
});

describe('configmaps', () => {
  it('create, get, list by label, replace with resourceVersion, delete', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: NS, body: { metadata: { name: 'cm1', labels: { app: 'x' } }, data: { a: '1' } },
    });
    expect(cm.metadata?.namespace).toBe(NS);
    const rv = cm.metadata!.resourceVersion!;
    expect(Number(rv)).toBeGreaterThan(0);
    const got = await core.readNamespacedConfigMap({ name: 'cm1', namespace: NS });
    expect(got.data).toEqual({ a: '1' });
    expect(got.metadata?.resourceVersion).toBe(rv);

    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cm2', labels: { app: 'y' } } } });
    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app=x' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['cm1']);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));

    got.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cm1', namespace: NS, body: got });
    expect(replaced.data).toEqual({ a: '2' });
    expect(Number(replaced.metadata!.resourceVersion)).toBeGreaterThan(Number(rv));

    // A second replace with the now stale resourceVersion is a 409 Conflict.
    const stale = await apiError(core.replaceNamespacedConfigMap({ name: 'cm1', namespace: NS, body: { ...got, data: { a: '3' } } }));
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({ kind: 'Status', code: 409, reason: 'Conflict', status: 'Failure' });
    expect(stale.status.message).toBe('Operation cannot be fulfilled on configmaps "cm1": the object has been modified; please apply your changes to the latest version and try again');

    const deleted = await core.deleteNamespacedConfigMap({ name: 'cm1', namespace: NS });
    expect(deleted).toBeDefined();
    const gone = await apiError(core.readNamespacedConfigMap({ name: 'cm1', namespace: NS }));
    expect(gone.code).toBe(404);
    expect(gone.status).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound', message: 'configmaps "cm1" not found' });
    expect(gone.status.details).toMatchObject({ name: 'cm1', kind: 'configmaps' });
  });

  it('patches with JSON patch, merge patch, strategic merge patch and server-side apply', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'patched' }, data: { a: '1', b: '2' } } });
    const jp = await core.patchNamespacedConfigMap({
      name: 'patched', namespace: NS,
      body: [{ op: 'replace', path: '/data/a', value: 'one' }, { op: 'remove', path: '/data/b' }],
    }, patchAs(k8s.PatchStrategy.JsonPatch));
    expect(jp.data).toEqual({ a: 'one' });

    const mp = await core.patchNamespacedConfigMap({ name: 'patched', namespace: NS, body: { data: { c: '3' }, metadata: { labels: { m: 'y' } } } },
      patchAs(k8s.PatchStrategy.MergePatch));
    expect(mp.data).toEqual({ a: 'one', c: '3' });
    expect(mp.metadata?.labels).toEqual({ m: 'y' });

    const sp = await core.patchNamespacedConfigMap({ name: 'patched', namespace: NS, body: { data: { a: null } } },
      patchAs(k8s.PatchStrategy.StrategicMergePatch));
    expect(sp.data).toEqual({ c: '3' });

    const applied = await core.patchNamespacedConfigMap({
      name: 'patched', namespace: NS, fieldManager: 'cn-test',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'patched' }, data: { applied: 'yes' } },
    }, patchAs(k8s.PatchStrategy.ServerSideApply));
    expect(applied.data).toEqual({ c: '3', applied: 'yes' });
    expect(applied.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`)).toContain('cn-test/Apply');

    // A JSON patch whose test op fails is refused and changes nothing.
    const failed = await apiError(core.patchNamespacedConfigMap({ name: 'patched', namespace: NS, body: [{ op: 'test', path: '/data/c', value: 'nope' }] },
      patchAs(k8s.PatchStrategy.JsonPatch)));
    expect(failed.code).toBeGreaterThanOrEqual(400);
    expect(failed.code).toBeLessThan(500);
    expect(failed.status.kind).toBe('Status');
    expect((await core.readNamespacedConfigMap({ name: 'patched', namespace: NS })).data).toEqual({ c: '3', applied: 'yes' });
  });

  it('reports AlreadyExists and Invalid as ApiException with the Status body', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } });
    const dup = await apiError(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } }));
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "dup" already exists' });
    const bad = await apiError(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'Not_Valid' } } }));
    expect(bad.code).toBe(422);
    expect(bad.status.reason).toBe('Invalid');
    expect(bad.status.details.causes.map((x: any) => x.field)).toContain('metadata.name');
  });
});

describe('secrets', () => {
  it('stores data base64 and turns stringData into data', async () => {
    const s = await core.createNamespacedSecret({
      namespace: NS, body: { metadata: { name: 's1' }, type: 'Opaque', data: { user: Buffer.from('admin').toString('base64') }, stringData: { pass: 'hunter2' } },
    });
    expect(s.type).toBe('Opaque');
    const got = await core.readNamespacedSecret({ name: 's1', namespace: NS });
    expect(Buffer.from(got.data!.user, 'base64').toString()).toBe('admin');
    expect(Buffer.from(got.data!.pass, 'base64').toString()).toBe('hunter2');
    expect(got.stringData).toBeUndefined();
    const patched = await core.patchNamespacedSecret({ name: 's1', namespace: NS, body: { stringData: { pass: 'changed' } } },
      patchAs(k8s.PatchStrategy.MergePatch));
    expect(Buffer.from(patched.data!.pass, 'base64').toString()).toBe('changed');
    const bad = await apiError(core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 's2' }, data: { x: 'not base64!' } } }));
    expect(bad.code).toBeGreaterThanOrEqual(400);
    expect(bad.code).toBeLessThan(500);
    await core.deleteNamespacedSecret({ name: 's1', namespace: NS });
    expect((await core.listNamespacedSecret({ namespace: NS })).items.map((i) => i.metadata?.name)).not.toContain('s1');
  });
});

describe('pods', () => {
  const pod = (name: string): K8s.V1Pod => ({
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image: 'nginx:1.25' }, { name: 'side', image: 'busybox:1.36', command: ['sleep', '1d'] }] },
  });

  it('creates a pod with defaults, strategic-merges a container by name, deletes it', async () => {
    const created = await core.createNamespacedPod({ namespace: NS, body: pod('p1') });
    expect(created.status?.phase).toBe('Pending');
    expect(created.spec?.restartPolicy).toBe('Always');
    expect(created.spec?.containers[0].terminationMessagePath).toBe('/dev/termination-log');
    // Strategic merge: containers merge by name, so only "side" changes and "main" stays.
    const sp = await core.patchNamespacedPod({ name: 'p1', namespace: NS, body: { spec: { containers: [{ name: 'side', image: 'busybox:1.37' }] } } },
      patchAs(k8s.PatchStrategy.StrategicMergePatch));
    expect(sp.spec?.containers.map((x) => `${x.name}=${x.image}`)).toEqual(['main=nginx:1.25', 'side=busybox:1.37']);
    // Pod spec is immutable apart from images and a few fields: restartPolicy cannot change.
    const forbidden = await apiError(core.patchNamespacedPod({ name: 'p1', namespace: NS, body: { spec: { restartPolicy: 'Never' } } },
      patchAs(k8s.PatchStrategy.MergePatch)));
    expect(forbidden.code).toBe(422);
    expect(forbidden.status.reason).toBe('Invalid');
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['p1']);
    // Never scheduled, so it goes at once.
    await core.deleteNamespacedPod({ name: 'p1', namespace: NS });
    expect((await apiError(core.readNamespacedPod({ name: 'p1', namespace: NS }))).code).toBe(404);
  });
});

describe('services', () => {
  it('allocates a ClusterIP and a NodePort and frees them on delete', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS, body: { metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 as any }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.(9[6-9]|1[01]\d)\.\d+\.\d+$/);
    expect(svc.spec?.ports?.[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec?.ports?.[0].protocol).toBe('TCP');
    const dup = await apiError(core.createNamespacedService({
      namespace: NS, body: { metadata: { name: 'web2' }, spec: { clusterIP: svc.spec!.clusterIP, ports: [{ port: 80 }] } },
    }));
    expect(dup.code).toBe(422);
    expect(dup.status.details.causes[0].field).toBe('spec.clusterIPs');
    await core.deleteNamespacedService({ name: 'web', namespace: NS });
    // The freed address can be taken again.
    const again = await core.createNamespacedService({
      namespace: NS, body: { metadata: { name: 'web3' }, spec: { clusterIP: svc.spec!.clusterIP, ports: [{ port: 80 }] } },
    });
    expect(again.spec?.clusterIP).toBe(svc.spec!.clusterIP);
  });
});

describe('deployments (AppsV1Api)', () => {
  const deployment = (replicas: number): K8s.V1Deployment => ({
    metadata: { name: 'web' },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
    },
  });

  it('creates, reads, server-side applies, replaces and deletes', async () => {
    const d = await apps.createNamespacedDeployment({ namespace: NS, body: deployment(2) });
    expect(d.metadata?.generation).toBe(1);
    expect(d.spec?.strategy?.type).toBe('RollingUpdate');
    expect(d.spec?.strategy?.rollingUpdate?.maxSurge).toBe('25%');
    const applied = await apps.patchNamespacedDeployment({
      name: 'web', namespace: NS, fieldManager: 'cn-test', force: true,
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } },
    }, patchAs(k8s.PatchStrategy.ServerSideApply));
    expect(applied.spec?.replicas).toBe(5);
    expect(applied.metadata?.generation).toBe(2);
    const cur = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    cur.spec!.template.spec!.containers[0].image = 'nginx:1.26';
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: cur });
    expect(replaced.spec?.template.spec?.containers[0].image).toBe('nginx:1.26');
    expect(replaced.metadata?.generation).toBe(3);
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
    expect((await apiError(apps.readNamespacedDeployment({ name: 'web', namespace: NS }))).code).toBe(404);
  });

  it('refuses negative replicas with 422 naming spec.replicas', async () => {
    const bad = await apiError(apps.createNamespacedDeployment({ namespace: NS, body: { ...deployment(-1), metadata: { name: 'neg' } } }));
    expect(bad.code).toBe(422);
    expect(bad.status).toMatchObject({ kind: 'Status', reason: 'Invalid' });
    expect(bad.status.details.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'spec.replicas' })]));
  });
});

describe('jobs (BatchV1Api)', () => {
  it('creates a job with selector and defaults, deletes it with Background propagation', async () => {
    const job = await batch.createNamespacedJob({
      namespace: NS, body: {
        metadata: { name: 'pi' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-e', '1'] }] } } },
      },
    });
    expect(job.spec?.backoffLimit).toBe(6);
    expect(job.spec?.completions).toBe(1);
    const uidLabel = job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid'];
    expect(uidLabel).toBe(job.metadata?.uid);
    const list = await batch.listNamespacedJob({ namespace: NS });
    expect(list.items.map((j) => j.metadata?.name)).toEqual(['pi']);
    // A Job's pod template is immutable.
    const immut = await apiError(batch.patchNamespacedJob({ name: 'pi', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.36' }] } } } } },
      patchAs(k8s.PatchStrategy.StrategicMergePatch)));
    expect(immut.code).toBe(422);
    await batch.deleteNamespacedJob({ name: 'pi', namespace: NS, propagationPolicy: 'Background' });
    expect((await apiError(batch.readNamespacedJob({ name: 'pi', namespace: NS }))).code).toBe(404);
  });
});

describe('Watch', () => {
  it('delivers ADDED, MODIFIED and DELETED for configmaps, and done() after abort', async () => {
    const events: string[] = [];
    let doneErr: unknown = 'not called';
    const seen = (n: number) => new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => (events.length >= n ? resolve() : Date.now() - t0 > 10_000 ? reject(new Error(`events so far: ${events}`)) : setTimeout(tick, 20));
      tick();
    });
    const start = await core.listNamespacedConfigMap({ namespace: NS });
    const watch = new k8s.Watch(kc);
    const ctrl = await watch.watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: start.metadata!.resourceVersion, labelSelector: 'w=1' },
      (type, obj) => events.push(`${type} ${obj.metadata.name} ${obj.data?.v ?? ''}`.trim()),
      (err) => { doneErr = err; });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w1', labels: { w: '1' } }, data: { v: 'a' } } });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'other' } } }); // not selected
    await core.patchNamespacedConfigMap({ name: 'w1', namespace: NS, body: { data: { v: 'b' } } }, patchAs(k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: NS });
    await seen(3);
    expect(events).toEqual(['ADDED w1 a', 'MODIFIED w1 b', 'DELETED w1 b']);
    ctrl.abort();
    const t0 = Date.now();
    while (doneErr === 'not called' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(doneErr).not.toBe('not called');
  });

  it('ends with a 410 ERROR event when asked for a compacted revision', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'old' }, data: { v: '0' } } });
    for (let i = 1; i <= 5; i++) await core.patchNamespacedConfigMap({ name: 'old', namespace: NS, body: { data: { v: String(i) } } }, patchAs(k8s.PatchStrategy.MergePatch));
    await c.etcd.compact();
    const events: Array<{ type: string; obj: any }> = [];
    const done = new Promise<unknown>((resolve) => {
      void new k8s.Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: cm.metadata!.resourceVersion },
        (type, obj) => events.push({ type, obj }), resolve);
    });
    const err = await done;
    expect(err).toBeNull(); // the server closed the stream after the ERROR event
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('ERROR');
    expect(events[0].obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });
});

describe('informer (makeInformer: list, then watch from the list resourceVersion)', () => {
  it('keeps its cache equal to the server through creates, updates and deletes', async () => {
    await core.createNamespace({ body: { metadata: { name: 'cn-inf' } } });
    await core.createNamespacedConfigMap({ namespace: 'cn-inf', body: { metadata: { name: 'pre' }, data: { v: '0' } } });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/cn-inf/configmaps', () => core.listNamespacedConfigMap({ namespace: 'cn-inf' }));
    const log: string[] = [];
    informer.on(k8s.ADD, (o) => log.push(`add ${o.metadata?.name}`));
    informer.on(k8s.UPDATE, (o) => log.push(`update ${o.metadata?.name} ${(o as K8s.V1ConfigMap).data?.v}`));
    informer.on(k8s.DELETE, (o) => log.push(`delete ${o.metadata?.name}`));
    let error: unknown;
    informer.on(k8s.ERROR, (e) => { error = e; });
    await informer.start();
    const waitFor = async (n: number) => {
      const t0 = Date.now();
      while (log.length < n && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(1);
    await core.createNamespacedConfigMap({ namespace: 'cn-inf', body: { metadata: { name: 'live' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'pre', namespace: 'cn-inf', body: { data: { v: '2' } } }, patchAs(k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'live', namespace: 'cn-inf' });
    await waitFor(4);
    expect(error).toBeUndefined(); // (stop() itself reports its own abort as an error, so check before)
    await informer.stop();
    expect(log).toEqual(['add pre', 'add live', 'update pre 2', 'delete live']);
    expect(informer.list('cn-inf').map((o) => o.metadata?.name)).toEqual(['pre']);
    expect((informer.get('pre', 'cn-inf') as K8s.V1ConfigMap).data).toEqual({ v: '2' });
  });
});
