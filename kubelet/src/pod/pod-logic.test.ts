import type { Pod } from 'kubernetes-types/core/v1';
import type { ObservedContainer } from '../runtime/docker';
import { computePodActions, specHash, splitRuntime } from './actions';
import { Backoff } from './backoff';
import { containerEnv, ContainerConfigError, expand } from './env';
import { hostsFileContent, podDns } from './dns';
import { generatePodStatus, podPhase } from './status';
import { cpuQuota, cpuShares } from './config';

const pod = (spec: any): Pod => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'app', image: 'busybox:1.28' }], ...spec } });
let n = 0;
const obs = (o: Partial<ObservedContainer>): ObservedContainer => ({
  id: `id${n++}`, dockerName: 'x', name: 'app', type: 'container', podUid: 'u1', podName: 'p', podNamespace: 'ns', attempt: 0, init: false,
  state: 'running', exitCode: 0, oomKilled: false, error: '', createdAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}Z`, image: '', imageId: '',
  networkMode: 'container:sb', ...o,
});
const sandbox = (o: Partial<ObservedContainer> = {}) => obs({ id: 'sb', name: 'POD', type: 'podsandbox', ip: '172.17.0.9', networkMode: 'bridge', ...o });

describe('computePodActions', () => {
  test('no sandbox: create it and start init container 0 first', () => {
    const p = pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] });
    expect(computePodActions(p, splitRuntime([]))).toMatchObject({ createSandbox: true, sandboxAttempt: 0, nextInit: 'i1', containersToStart: [] });
  });
  test('init containers in order, then apps', () => {
    const p = pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] });
    const i1done = obs({ name: 'i1', state: 'exited', exitCode: 0, sandboxId: 'sb' });
    expect(computePodActions(p, splitRuntime([sandbox(), i1done])).nextInit).toBe('i2');
    const i2run = obs({ name: 'i2', state: 'running', sandboxId: 'sb' });
    const waiting = computePodActions(p, splitRuntime([sandbox(), i1done, i2run]));
    expect(waiting.nextInit).toBeUndefined();
    expect(waiting.containersToStart).toEqual([]);
    const i2done = { ...i2run, state: 'exited' as const };
    expect(computePodActions(p, splitRuntime([sandbox(), i1done, i2done])).containersToStart).toEqual(['app']);
  });
  test('a failed init container: restarted (Always) or the pod fails (Never)', () => {
    const failed = obs({ name: 'i1', state: 'exited', exitCode: 2, sandboxId: 'sb' });
    const spec = { initContainers: [{ name: 'i1', image: 'b' }] };
    expect(computePodActions(pod(spec), splitRuntime([sandbox(), failed])).nextInit).toBe('i1');
    expect(computePodActions(pod({ ...spec, restartPolicy: 'Never' }), splitRuntime([sandbox(), failed]))).toMatchObject({ killPod: true, initFailedNever: 'i1' });
  });
  test('restartPolicy decides whether an exited app container restarts', () => {
    const exited = (code: number) => [sandbox(), obs({ state: 'exited', exitCode: code, sandboxId: 'sb', hash: specHash({ name: 'app', image: 'busybox:1.28' }) })];
    expect(computePodActions(pod({}), splitRuntime(exited(0))).containersToStart).toEqual(['app']);
    expect(computePodActions(pod({ restartPolicy: 'OnFailure' }), splitRuntime(exited(0)))).toMatchObject({ containersToStart: [], killPod: true });
    expect(computePodActions(pod({ restartPolicy: 'OnFailure' }), splitRuntime(exited(1))).containersToStart).toEqual(['app']);
    expect(computePodActions(pod({ restartPolicy: 'Never' }), splitRuntime(exited(1)))).toMatchObject({ containersToStart: [], killPod: true });
  });
  test('a dead sandbox under Never does not come back; under Always it is recreated with attempt + 1', () => {
    const view = splitRuntime([sandbox({ state: 'exited', attempt: 3 }), obs({ state: 'exited', exitCode: 0, sandboxId: 'sb' })]);
    expect(computePodActions(pod({ restartPolicy: 'Never' }), view).createSandbox).toBe(false);
    expect(computePodActions(pod({}), view)).toMatchObject({ createSandbox: true, sandboxAttempt: 4, containersToStart: ['app'] });
  });
  test('running containers: kept, killed on liveness failure, replaced when the spec hash changed', () => {
    const c = obs({ sandboxId: 'sb', hash: specHash({ name: 'app', image: 'busybox:1.28' }) });
    expect(computePodActions(pod({}), splitRuntime([sandbox(), c]))).toMatchObject({ containersToStart: [], containersToKill: [], killPod: false });
    const failed = computePodActions(pod({}), splitRuntime([sandbox(), c]), { failed: new Map([[c.id, 'dead']]) });
    expect(failed.containersToKill.map(k => k.id)).toEqual([c.id]);
    expect(failed.containersToStart).toEqual(['app']);
    const changed = computePodActions(pod({ containers: [{ name: 'app', image: 'busybox:1.35' }] }), splitRuntime([sandbox(), c]));
    expect(changed.containersToKill[0].reason).toBe('SpecChanged');
  });
  test('hostNetwork mismatch recreates the sandbox', () => {
    expect(computePodActions(pod({ hostNetwork: true }), splitRuntime([sandbox()])).createSandbox).toBe(true);
  });
});

describe('Backoff', () => {
  test('10 s doubling to 5 min, reset after 10 min', () => {
    let now = 1_000_000;
    const b = new Backoff(10_000, 300_000, () => now);
    expect(b.isInBackOffSince('k', now)).toBe(false);
    b.next('k', now);
    expect(b.isInBackOffSince('k', now)).toBe(true);
    now += 10_001;
    expect(b.isInBackOffSince('k', now - 10_001)).toBe(false);
    for (let i = 0; i < 10; i++) b.next('k', now);
    expect(b.get('k')).toBe(300_000);
    now += 700_000;
    b.next('k', now);
    expect(b.get('k')).toBe(10_000);
  });
});

describe('env', () => {
  test('$(VAR) expansion with $$ escapes', () => {
    expect(expand('$(A)-$$(A)-$(B)-$', new Map([['A', 'x']]))).toBe('x-$(A)-$(B)-$');
  });
  test('sources, optional and missing references', async () => {
    const src = {
      configMap: async (_ns: string, name: string) => (name === 'cm' ? { data: { k: 'v' } } : undefined),
      secret: async () => ({ data: { s: Buffer.from('pw').toString('base64') } }),
      hostIP: '10.0.0.1', podIP: '172.17.0.2', nodeAllocatable: { cpu: '2', memory: '1Gi' },
    };
    const p = pod({});
    const env = await containerEnv(p, {
      name: 'app', resources: { limits: { cpu: '500m' } },
      env: [
        { name: 'K', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
        { name: 'S', valueFrom: { secretKeyRef: { name: 'x', key: 's' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
        { name: 'O', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      ],
    } as any, src);
    expect(Object.fromEntries(env)).toEqual({ K: 'v', S: 'pw', IP: '172.17.0.2', CPU: '500', MEM: String(1024 ** 3) });
    await expect(containerEnv(p, { name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] } as any, src))
      .rejects.toThrow(new ContainerConfigError('configmap "nope" not found'));
    await expect(containerEnv(p, { name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz' } } }] } as any, src))
      .rejects.toThrow("couldn't find key zz in ConfigMap ns/cm");
  });
});

describe('dns and hosts', () => {
  test('ClusterFirst, None with dnsConfig, hostNetwork falls back to Default', () => {
    const host = { nameservers: ['1.1.1.1'], searches: ['corp'], options: [] };
    expect(podDns(pod({}), ['10.96.0.10'], 'cluster.local', host).dns).toEqual({
      nameservers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp'], options: ['ndots:5'] });
    expect(podDns(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['9.9.9.9'], options: [{ name: 'ndots', value: '2' }] } }), ['10.96.0.10'], 'cluster.local', host).dns)
      .toEqual({ nameservers: ['9.9.9.9'], searches: [], options: ['ndots:2'] });
    expect(podDns(pod({ hostNetwork: true }), ['10.96.0.10'], 'cluster.local', host).dns.nameservers).toEqual(['1.1.1.1']);
  });
  test('hosts file with subdomain and host aliases', () => {
    const text = hostsFileContent(pod({ subdomain: 'web', hostAliases: [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }] }), '172.17.0.5', 'cluster.local');
    expect(text).toContain('172.17.0.5\tp.web.ns.svc.cluster.local\tp');
    expect(text).toContain('# Entries added by HostAliases.\n1.2.3.4\ta\tb');
  });
});

describe('status', () => {
  const inputs = (p: Pod, all: ObservedContainer[], reasons = new Map()) => ({
    pod: p, view: splitRuntime(all), nodeIP: '10.0.0.1', reasons, ready: () => true, started: () => true, now: '2026-01-01T00:00:00Z',
  });
  test('phase: Pending while initializing, Running, Succeeded/Failed by policy', () => {
    const running = generatePodStatus(inputs(pod({}), [sandbox(), obs({ sandboxId: 'sb' })]));
    expect(running.phase).toBe('Running');
    expect(running.podIP).toBe('172.17.0.9');
    expect(running.conditions!.find(c => c.type === 'Ready')!.status).toBe('True');
    const failed = generatePodStatus(inputs(pod({ restartPolicy: 'Never' }), [sandbox(), obs({ state: 'exited', exitCode: 1, sandboxId: 'sb' })]));
    expect(failed.phase).toBe('Failed');
    expect(failed.containerStatuses![0].state!.terminated!.reason).toBe('Error');
    const oom = generatePodStatus(inputs(pod({ restartPolicy: 'Never' }), [sandbox(), obs({ state: 'exited', exitCode: 137, oomKilled: true, sandboxId: 'sb' })]));
    expect(oom.containerStatuses![0].state!.terminated!.reason).toBe('OOMKilled');
    const ok = generatePodStatus(inputs(pod({ restartPolicy: 'OnFailure' }), [sandbox(), obs({ state: 'exited', exitCode: 0, sandboxId: 'sb' })]));
    expect(ok.phase).toBe('Succeeded');
    const init = generatePodStatus(inputs(pod({ initContainers: [{ name: 'i', image: 'b' }] }), [sandbox(), obs({ name: 'i', sandboxId: 'sb' })]));
    expect(init.phase).toBe('Pending');
    expect(init.containerStatuses![0].state!.waiting!.reason).toBe('PodInitializing');
    expect(init.conditions!.find(c => c.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [i]' });
  });
  test('a start failure shows as waiting with the previous run as lastState', () => {
    const st = generatePodStatus(inputs(pod({}), [sandbox(), obs({ state: 'exited', exitCode: 1, attempt: 2, sandboxId: 'sb' })],
      new Map([['app', { reason: 'CrashLoopBackOff', message: 'back-off 20s' }]])));
    expect(st.containerStatuses![0]).toMatchObject({ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } });
    expect(podPhase(pod({}), [], st.containerStatuses!)).toBe('Running');
  });
});

test('cpu shares and quota as upstream', () => {
  expect(cpuShares(0)).toBe(2);
  expect(cpuShares(250)).toBe(256);
  expect(cpuQuota(500)).toBe(50_000);
  expect(cpuQuota(5)).toBe(1000);
});
