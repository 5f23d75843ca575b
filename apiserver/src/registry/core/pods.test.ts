import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { podQOSClass, podStatusCells, podStrategy } from './pods';

const now = new Date('2024-01-01T01:00:00Z');
const strs = (e: Parameters<typeof fieldErrorString>[0][]) => e.map(fieldErrorString);

function newPod(spec: any = {}, status?: any, meta: any = {}): KObject {
  const p: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z', ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...spec } };
  podStrategy.defaults!(p);
  podStrategy.prepareForCreate!(p);
  if (status) p.status = status;
  return p;
}
const cells = (p: KObject) => podStatusCells(p, now);

describe('pod defaults and create', () => {
  test('defaults, serviceAccountName, priority, status', () => {
    const p = newPod();
    expect(p.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      serviceAccountName: 'default', serviceAccount: 'default', priority: 0, enableServiceLinks: true, terminationGracePeriodSeconds: 30 });
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(podStrategy.validate(p)).toEqual([]);
  });
  test('QoS classes', () => {
    expect(podQOSClass({ containers: [{ resources: {} }] })).toBe('BestEffort');
    expect(podQOSClass({ containers: [{ resources: { requests: { cpu: '100m' } } }] })).toBe('Burstable');
    expect(podQOSClass({ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }] })).toBe('Guaranteed');
    expect(podQOSClass({ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } } }] })).toBe('Burstable');
    // Defaulting copies limits to requests, which makes limits-only pods Guaranteed.
    expect(newPod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '64Mi' } } }] }).status.qosClass).toBe('Guaranteed');
  });
  test('invalid pods', () => {
    const p = newPod({ containers: [{ name: 'app' }] }, undefined, { name: 'Web' });
    expect(strs(podStrategy.validate(p))).toEqual([
      expect.stringMatching(/^metadata\.name: Invalid value: "Web": a lowercase RFC 1123 subdomain/),
      'spec.containers[0].image: Required value',
    ]);
  });
  test('a pod without spec (a note fragment cut at `...`) fails on its containers, as upstream', () => {
    const p: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default' } };
    podStrategy.defaults!(p);
    podStrategy.prepareForCreate!(p);
    expect(p.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', serviceAccountName: 'default' });
    expect(strs(podStrategy.validate(p))).toEqual([
      'metadata.name: Required value: name or generateName is required',
      'spec.containers: Required value',
    ]);
  });
});

describe('pod updates', () => {
  test('image changes are allowed, other spec changes are forbidden', () => {
    const old = newPod();
    const img = JSON.parse(JSON.stringify(old)); img.spec.containers[0].image = 'nginx:1.26';
    expect(podStrategy.validateUpdate!(img, old)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(old)); bad.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
    const errs = strs(podStrategy.validateUpdate!(bad, old));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/);
    expect(errs[0]).toContain('spec.containers[0].ports');
  });
  test('tolerations may be added but not removed; activeDeadlineSeconds may only shrink', () => {
    const old = newPod({ tolerations: [{ key: 'a', operator: 'Exists' }], activeDeadlineSeconds: 100 });
    const add = JSON.parse(JSON.stringify(old)); add.spec.tolerations.push({ key: 'b', operator: 'Exists' }); add.spec.activeDeadlineSeconds = 50;
    expect(podStrategy.validateUpdate!(add, old)).toEqual([]);
    const rm = JSON.parse(JSON.stringify(old)); rm.spec.tolerations = []; rm.spec.activeDeadlineSeconds = 200;
    expect(strs(podStrategy.validateUpdate!(rm, old))).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
  });
  test('main-resource updates keep the stored status', () => {
    const old = newPod(undefined, { phase: 'Running' });
    const upd = JSON.parse(JSON.stringify(old)); upd.status = { phase: 'Failed' };
    podStrategy.prepareForUpdate!(upd, old);
    expect(upd.status).toEqual({ phase: 'Running' });
  });
});

describe('kubectl get pods STATUS', () => {
  const running = (name: string, ready = true, restartCount = 0, extra: any = {}) =>
    ({ name, ready, restartCount, state: { running: { startedAt: '2024-01-01T00:00:00Z' } }, ...extra });
  test('Pending with no statuses; ContainerCreating', () => {
    expect(cells(newPod())).toEqual({ ready: '0/1', status: 'Pending', restarts: '0' });
    const p = newPod(undefined, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });
    expect(cells(p).status).toBe('ContainerCreating');
  });
  test('Running 1/2', () => {
    const p = newPod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] },
      { phase: 'Running', containerStatuses: [running('a'), running('b', false)] });
    expect(cells(p)).toEqual({ ready: '1/2', status: 'Running', restarts: '0' });
  });
  test('Init:0/2, Init:1/2, Init:Error, Init:CrashLoopBackOff', () => {
    const spec = { initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }] };
    const waitingApp = [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }];
    expect(cells(newPod(spec, { phase: 'Pending', initContainerStatuses: [
      { name: 'i1', state: { running: {} }, restartCount: 0 }, { name: 'i2', state: { waiting: { reason: 'PodInitializing' } }, restartCount: 0 }],
    containerStatuses: waitingApp })).status).toBe('Init:0/2');
    expect(cells(newPod(spec, { phase: 'Pending', initContainerStatuses: [
      { name: 'i1', state: { terminated: { exitCode: 0, reason: 'Completed' } }, restartCount: 0 }, { name: 'i2', state: { running: {} }, restartCount: 0 }],
    containerStatuses: waitingApp })).status).toBe('Init:1/2');
    expect(cells(newPod(spec, { phase: 'Failed', initContainerStatuses: [
      { name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } }, restartCount: 0 }] })).status).toBe('Init:Error');
    expect(cells(newPod(spec, { phase: 'Pending', initContainerStatuses: [
      { name: 'i1', state: { terminated: { exitCode: 2 } }, restartCount: 0 }] })).status).toBe('Init:ExitCode:2');
    expect(cells(newPod(spec, { phase: 'Pending', initContainerStatuses: [
      { name: 'i1', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 3,
        lastState: { terminated: { exitCode: 1, finishedAt: '2024-01-01T00:58:00Z' } } }] }))).toEqual({ ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '3 (2m ago)' });
  });
  test('CrashLoopBackOff with restarts and last restart age', () => {
    const p = newPod(undefined, { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 5,
      state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2024-01-01T00:55:00Z' } } }] });
    expect(cells(p)).toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '5 (5m ago)' });
  });
  test('Completed, Error, Signal, and Completed-but-running', () => {
    const done = (st: any) => newPod(undefined, { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: st } }] });
    expect(cells(done({ exitCode: 0, reason: 'Completed' })).status).toBe('Completed');
    expect(cells(done({ exitCode: 1, reason: 'Error' })).status).toBe('Error');
    expect(cells(done({ exitCode: 137, signal: 9 })).status).toBe('Signal:9');
    const mixed = newPod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }, { phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running('b')] });
    expect(cells(mixed).status).toBe('NotReady');
  });
  test('Terminating, Unknown on NodeLost, reason override, sidecars count as containers', () => {
    expect(cells(newPod(undefined, { phase: 'Running', containerStatuses: [running('app')] }, { deletionTimestamp: '2024-01-01T01:00:30Z' })).status).toBe('Terminating');
    expect(cells(newPod(undefined, { phase: 'Succeeded' }, { deletionTimestamp: '2024-01-01T01:00:30Z' })).status).toBe('Succeeded');
    expect(cells(newPod(undefined, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: '2024-01-01T01:00:30Z' })).status).toBe('Unknown');
    expect(cells(newPod(undefined, { phase: 'Failed', reason: 'Evicted' })).status).toBe('Evicted');
    const sc = newPod({ initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }] }, { phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'side', started: true, ready: true, restartCount: 0, state: { running: {} } }], containerStatuses: [running('app')] });
    expect(cells(sc)).toEqual({ ready: '2/2', status: 'Running', restarts: '0' });
  });
  test('wide cells', () => {
    const p = newPod({ nodeName: 'n1', readinessGates: [{ conditionType: 'x/y' }] }, { phase: 'Running', podIPs: [{ ip: '10.244.0.5' }],
      conditions: [{ type: 'x/y', status: 'True' }], containerStatuses: [running('app')] });
    expect(podStrategy.tableRow!(p, now)).toEqual(['1/1', 'Running', '0', '60m', '10.244.0.5', 'n1', '<none>', '1/1']);
    expect(podStrategy.tableColumns!.map(c => c.name)).toEqual(['Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  });
  test('field selectors', () => {
    const p = newPod({ nodeName: 'n1' }, { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }] });
    const f = podStrategy.fieldSelectors!;
    expect([f['spec.nodeName'](p), f['status.phase'](p), f['status.podIP'](p), f['spec.hostNetwork'](p), f['spec.serviceAccountName'](p)])
      .toEqual(['n1', 'Running', '10.0.0.1', 'false', 'default']);
  });
});
