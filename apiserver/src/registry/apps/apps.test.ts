import { fieldErrorString, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { appsStrategies, controllerRevisionStrategy, daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy } from './index';
import { humanDuration } from './common';

const msgs = (errs: FieldError[]) => errs.map(fieldErrorString);
const podTemplate = (labels: Record<string, string> = { app: 'web' }) => ({
  metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
});
function make(kind: string, spec: Record<string, unknown>, name = 'web'): KObject {
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, spec };
}
/** decode-time defaults, then create preparation, then validation: the store's create order. */
function create(s: Strategy, obj: KObject): FieldError[] {
  s.defaults?.(obj);
  s.prepareForCreate?.(obj);
  return s.validate(obj);
}
const now = new Date('2024-01-01T01:00:00Z');

describe('deployments', () => {
  const dep = (spec: Record<string, unknown> = {}) =>
    make('Deployment', { selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec });

  test('defaults as upstream', () => {
    const d = dep();
    deploymentStrategy.defaults!(d);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(d.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  test('Recreate gets no rollingUpdate; explicit values are kept', () => {
    const d = dep({ replicas: 3, strategy: { type: 'Recreate' } });
    deploymentStrategy.defaults!(d);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.replicas).toBe(3);
  });

  test('a valid deployment passes; create resets status and sets generation 1', () => {
    const d = dep();
    d.status = { replicas: 5 };
    expect(create(deploymentStrategy, d)).toEqual([]);
    expect(d.status).toEqual({});
    expect(d.metadata.generation).toBe(1);
  });

  test('negative replicas', () => {
    expect(msgs(create(deploymentStrategy, dep({ replicas: -1 })))).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  });

  test('selector mismatch, missing and empty selector', () => {
    const mismatch = msgs(create(deploymentStrategy, dep({ selector: { matchLabels: { app: 'other' } } })));
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatch(/^spec\.template\.metadata\.labels: Invalid value: .*app.*web.*: `selector` does not match template `labels`$/);
    const missing = dep(); delete missing.spec.selector;
    expect(msgs(create(deploymentStrategy, missing))).toEqual(['spec.selector: Required value']);
    expect(msgs(create(deploymentStrategy, dep({ selector: {} })))).toEqual([expect.stringMatching(/^spec\.selector: Invalid value: .*: empty selector is invalid for deployment$/)]);
  });

  test('template restartPolicy must be Always; both surge and unavailable 0 rejected', () => {
    const d = dep(); d.spec.template.spec.restartPolicy = 'Never';
    expect(msgs(create(deploymentStrategy, d))).toEqual(['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
    const z = dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } });
    expect(msgs(create(deploymentStrategy, z))).toEqual(['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0']);
    const big = dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '120%' } } });
    expect(msgs(create(deploymentStrategy, big))).toEqual(['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%']);
    const pd = dep({ progressDeadlineSeconds: 5, minReadySeconds: 10 });
    expect(msgs(create(deploymentStrategy, pd))).toEqual(['spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds']);
  });

  test('update: selector immutable, status kept, generation bumped only on spec/annotation change', () => {
    const old = dep(); create(deploymentStrategy, old);
    old.status = { replicas: 1, readyReplicas: 1 };
    const same = JSON.parse(JSON.stringify(old)); same.status = {}; same.metadata.labels = { x: 'y' };
    deploymentStrategy.prepareForUpdate!(same, old);
    expect(same.status).toEqual({ replicas: 1, readyReplicas: 1 });
    expect(same.metadata.generation).toBe(1);
    const scaled = JSON.parse(JSON.stringify(old)); scaled.spec.replicas = 4;
    deploymentStrategy.prepareForUpdate!(scaled, old);
    expect(scaled.metadata.generation).toBe(2);
    const annotated = JSON.parse(JSON.stringify(old)); annotated.metadata.annotations = { a: 'b' };
    deploymentStrategy.prepareForUpdate!(annotated, old);
    expect(annotated.metadata.generation).toBe(2);
    const resel = JSON.parse(JSON.stringify(old));
    resel.spec.selector = { matchLabels: { app: 'web', v: '2' } };
    expect(msgs(deploymentStrategy.validateUpdate!(resel, old))).toEqual([expect.stringMatching(/^spec\.selector: Invalid value: .*: field is immutable$/)]);
  });

  test('status update keeps spec and labels; status validated', () => {
    const old = dep({ replicas: 2 }); create(deploymentStrategy, old); old.metadata.labels = { a: '1' };
    const upd = JSON.parse(JSON.stringify(old)); upd.spec.replicas = 9; upd.metadata.labels = { a: '2' };
    upd.status = { replicas: 1, readyReplicas: 2 };
    deploymentStrategy.prepareForStatusUpdate!(upd, old);
    expect(upd.spec.replicas).toBe(2);
    expect(upd.metadata.labels).toEqual({ a: '1' });
    expect(msgs(deploymentStrategy.validateStatusUpdate!(upd, old))).toEqual(['status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas']);
  });

  test('table row and scale', () => {
    const d = dep({ replicas: 3 }); create(deploymentStrategy, d);
    d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2, replicas: 3 };
    expect(deploymentStrategy.tableColumns!.map(c => c.name)).toEqual(['Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    expect(deploymentStrategy.tableRow!(d, now)).toEqual(['2/3', 3, 2, '60m', 'web', 'nginx:1.25', 'app=web']);
    expect(deploymentStrategy.scale!.specReplicas(d)).toBe(3);
    deploymentStrategy.scale!.setSpecReplicas(d, 5);
    expect(d.spec.replicas).toBe(5);
    expect(deploymentStrategy.scale!.statusReplicas(d)).toBe(3);
    expect(deploymentStrategy.scale!.selector(d)).toBe('app=web');
  });
});

describe('replicasets', () => {
  const rs = (spec: Record<string, unknown> = {}) =>
    make('ReplicaSet', { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, template: podTemplate(), ...spec });
  test('defaults, valid, negative replicas, table', () => {
    const r = rs();
    expect(create(replicaSetStrategy, r)).toEqual([]);
    expect(r.spec.replicas).toBe(1);
    expect(msgs(create(replicaSetStrategy, rs({ replicas: -2 })))).toEqual(['spec.replicas: Invalid value: -2: must be greater than or equal to 0']);
    r.status = { replicas: 1, readyReplicas: 0 };
    expect(replicaSetStrategy.tableRow!(r, now)).toEqual([1, 1, 0, '60m', 'web', 'nginx:1.25', 'app in (api,web)']);
    expect(replicaSetStrategy.scale!.selector(r)).toBe('app in (api,web)');
  });
  test('selector immutable on update', () => {
    const old = rs(); create(replicaSetStrategy, old);
    const upd = JSON.parse(JSON.stringify(old)); upd.spec.selector = { matchLabels: { app: 'web' } };
    expect(replicaSetStrategy.validateUpdate!(upd, old).map(e => e.field)).toEqual(['spec.selector']);
  });
});

describe('statefulsets', () => {
  const sts = (spec: Record<string, unknown> = {}) =>
    make('StatefulSet', { serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec });
  test('defaults as upstream', () => {
    const s = sts({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] });
    expect(create(statefulSetStrategy, s)).toEqual([]);
    expect(s.spec.podManagementPolicy).toBe('OrderedReady');
    expect(s.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(s.spec.revisionHistoryLimit).toBe(10);
    expect(s.spec.replicas).toBe(1);
    expect(s.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(s.spec.volumeClaimTemplates[0].spec.volumeMode).toBe('Filesystem');
  });
  test('invalid policy, name must be a DNS label, OnDelete with rollingUpdate', () => {
    expect(msgs(create(statefulSetStrategy, sts({ podManagementPolicy: 'Random' })))).toEqual(['spec.podManagementPolicy: Invalid value: "Random": must be \'OrderedReady\' or \'Parallel\'']);
    const dotted = make('StatefulSet', { selector: { matchLabels: { app: 'web' } }, template: podTemplate() }, 'a.b');
    expect(create(statefulSetStrategy, dotted).map(e => e.field)).toEqual(['metadata.name']);
    const od = sts({ updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } });
    expect(msgs(create(statefulSetStrategy, od))).toEqual([expect.stringMatching(/^spec\.updateStrategy\.rollingUpdate: Invalid value: .*: only allowed for updateStrategy 'RollingUpdate'$/)]);
  });
  test('update may change replicas/template but not serviceName', () => {
    const old = sts(); create(statefulSetStrategy, old);
    const ok = JSON.parse(JSON.stringify(old)); ok.spec.replicas = 3; ok.spec.template.spec.containers[0].image = 'nginx:2';
    expect(statefulSetStrategy.validateUpdate!(ok, old)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(old)); bad.spec.serviceName = 'other';
    expect(msgs(statefulSetStrategy.validateUpdate!(bad, old))).toEqual(["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]);
  });
  test('table row', () => {
    const s = sts({ replicas: 3 }); create(statefulSetStrategy, s); s.status = { readyReplicas: 1 };
    expect(statefulSetStrategy.tableRow!(s, now)).toEqual(['1/3', '60m', 'web', 'nginx:1.25']);
  });
});

describe('daemonsets', () => {
  const ds = (spec: Record<string, unknown> = {}) => make('DaemonSet', { selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec });
  test('defaults and template generation annotation', () => {
    const d = ds();
    expect(create(daemonSetStrategy, d)).toEqual([]);
    expect(d.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
    const changed = JSON.parse(JSON.stringify(d)); changed.spec.template.spec.containers[0].image = 'nginx:2';
    daemonSetStrategy.prepareForUpdate!(changed, d);
    expect(changed.metadata.annotations['deprecated.daemonset.template.generation']).toBe('2');
    expect(changed.metadata.generation).toBe(2);
    const unchanged = JSON.parse(JSON.stringify(d));
    daemonSetStrategy.prepareForUpdate!(unchanged, d);
    expect(unchanged.metadata.annotations['deprecated.daemonset.template.generation']).toBe('1');
  });
  test('both maxSurge and maxUnavailable set is rejected', () => {
    const d = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } });
    expect(msgs(create(daemonSetStrategy, d))).toEqual(['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero']);
  });
  test('table row', () => {
    const d = ds(); d.spec.template.spec.nodeSelector = { 'kubernetes.io/os': 'linux' }; create(daemonSetStrategy, d);
    d.status = { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 };
    expect(daemonSetStrategy.tableRow!(d, now)).toEqual([2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '60m', 'web', 'nginx:1.25', 'app=web']);
  });
});

describe('controllerrevisions', () => {
  const cr = (): KObject => ({ metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u', controller: true }] }, data: { spec: {} }, revision: 1 });
  test('data required, revision non-negative, data immutable, table', () => {
    expect(controllerRevisionStrategy.validate(cr())).toEqual([]);
    const noData = cr(); delete noData.data; noData.revision = -1;
    expect(msgs(controllerRevisionStrategy.validate(noData))).toEqual(['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0']);
    const changed = cr(); changed.data = { spec: { x: 1 } };
    expect(controllerRevisionStrategy.validateUpdate!(changed, cr()).map(e => e.field)).toEqual(['data']);
    expect(controllerRevisionStrategy.tableRow!(cr(), now)).toEqual(['daemonset.apps/web', 1, '60m']);
  });
});

test('group info: short names, categories, subresources', () => {
  const byName = Object.fromEntries(appsStrategies.map(s => [s.info.resource, s.info]));
  expect(byName.deployments.shortNames).toEqual(['deploy']);
  expect(byName.replicasets.shortNames).toEqual(['rs']);
  expect(byName.statefulsets.shortNames).toEqual(['sts']);
  expect(byName.daemonsets.shortNames).toEqual(['ds']);
  expect(byName.statefulsets.subresources).toEqual(['status', 'scale']);
  expect(byName.daemonsets.subresources).toEqual(['status']);
  for (const r of ['deployments', 'replicasets', 'statefulsets', 'daemonsets']) expect(byName[r].categories).toEqual(['all']);
});

test('humanDuration follows upstream buckets', () => {
  expect(humanDuration(119_000)).toBe('119s');
  expect(humanDuration(125_000)).toBe('2m5s');
  expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m');
  expect(humanDuration(50 * 3600_000)).toBe('2d2h');
  expect(humanDuration(-5000)).toBe('<invalid>');
});

// Status fields without omitempty upstream are serialized as 0 on a fresh object (`kubectl get rs -o yaml`
// right after create shows `status: {replicas: 0}`); Deployment status fields are all omitempty.
test('create leaves the non-omitempty status counters at 0', () => {
  const selector = { matchLabels: { app: 'web' } };
  const fresh = (s: Strategy, kind: string) => {
    const o = make(kind, { selector, template: podTemplate() });
    o.status = { replicas: 7, numberReady: 7 };
    s.defaults?.(o);
    s.prepareForCreate?.(o);
    return o.status;
  };
  expect(fresh(replicaSetStrategy, 'ReplicaSet')).toEqual({ replicas: 0 });
  expect(fresh(statefulSetStrategy, 'StatefulSet')).toEqual({ replicas: 0, availableReplicas: 0 });
  expect(fresh(daemonSetStrategy, 'DaemonSet')).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
  expect(fresh(deploymentStrategy, 'Deployment')).toEqual({});
});
