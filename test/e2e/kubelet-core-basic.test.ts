// The kubelet drives real pods: etcd + apiserver + kubelet processes + the host dockerd.
import { cluster, Cluster } from '../src/harness';
import { apply, events, getPod, KubeletHandle, nodeContainers, podManifest, removeNodeContainers, startKubelet, waitFor } from './kubelet-core-harness';

jest.setTimeout(120_000);
let c: Cluster;
let k: KubeletHandle;

beforeAll(async () => {
  c = await cluster();
  k = await startKubelet(c);
});
afterAll(async () => {
  if (process.env.MK8S_KUBELET_LOG) require('fs').writeFileSync(process.env.MK8S_KUBELET_LOG, k?.logs() ?? '');
  await k?.stop();
  if (k) { removeNodeContainers(k.nodeName); k.cleanup(); }
  await c?.teardown();
});

const phaseOf = async (name: string) => (await getPod(c, name))?.status?.phase;

test('node registers with capacity, conditions, images and a lease', async () => {
  const node = JSON.parse((await c.kubectl(['get', 'node', k.nodeName, '-o', 'json'])).stdout);
  expect(node.metadata.labels['kubernetes.io/hostname']).toBe(k.nodeName);
  expect(node.status.capacity.pods).toBe('110');
  expect(Number(node.status.capacity.cpu)).toBeGreaterThan(0);
  expect(node.status.conditions.map((x: any) => x.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
  expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^docker:\/\/\d+/);
  expect(node.status.images.some((i: any) => i.names.includes('mk8s/pause:3.9'))).toBe(true);
  const lease = await waitFor(async () => {
    const r = await c.kubectl(['get', 'lease', k.nodeName, '-n', 'kube-node-lease', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  }, 15_000, 'node lease');
  expect(lease.spec.holderIdentity).toBe(k.nodeName);
});

test('init containers run in order before the app container (Init:0/2 -> Running)', async () => {
  await apply(c, podManifest('mk8s-test-init', k.nodeName, {
    initContainers: [
      { name: 'init-a', image: 'busybox:1.28', command: ['sh', '-c', 'sleep 2; echo a >> /work/order'], volumeMounts: [{ name: 'w', mountPath: '/work' }] },
      { name: 'init-b', image: 'busybox:1.28', command: ['sh', '-c', 'echo b >> /work/order'], volumeMounts: [{ name: 'w', mountPath: '/work' }] },
    ],
    containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'cat /work/order; exec sleep 3600'], volumeMounts: [{ name: 'w', mountPath: '/work' }] }],
    volumes: [{ name: 'w', emptyDir: {} }],
  }));
  const seen = new Set<string>();
  await waitFor(async () => {
    const r = await c.kubectl(['get', 'pod', 'mk8s-test-init', '--no-headers']);
    const status = r.stdout.trim().split(/\s+/)[2];
    if (status) seen.add(status);
    return status === 'Running';
  }, 30_000, 'init pod Running');
  expect(seen.has('Init:0/2')).toBe(true);
  const pod = await getPod(c, 'mk8s-test-init');
  expect(pod.status.initContainerStatuses.map((s: any) => s.state.terminated?.reason)).toEqual(['Completed', 'Completed']);
  expect(pod.status.conditions.find((x: any) => x.type === 'Initialized').status).toBe('True');
  const logs = await waitFor(async () => { const r = await c.kubectl(['logs', 'mk8s-test-init', '-c', 'app']); return r.code === 0 && r.stdout.includes('a') ? r.stdout : undefined; }, 10_000, 'app logs').catch(() => undefined);
  // logs come from kubelet-io-helper's API; the order is checked from docker directly when it is not there
  const app = nodeContainers(k.nodeName, ['label=io.kubernetes.container.name=app', `label=io.kubernetes.pod.name=mk8s-test-init`]);
  const { execFileSync } = await import('child_process');
  expect(execFileSync('docker', ['logs', app[0].id], { encoding: 'utf8' }).trim()).toBe('a\nb');
  void logs;
});

test('restartPolicy Never vs Always on exit 1', async () => {
  await apply(c, podManifest('mk8s-test-never', k.nodeName, { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.28', command: ['sh', '-c', 'exit 1'] }] }));
  await apply(c, podManifest('mk8s-test-always', k.nodeName, { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox:1.28', command: ['sh', '-c', 'exit 1'] }] }));
  await waitFor(async () => (await phaseOf('mk8s-test-never')) === 'Failed', 20_000, 'Never pod Failed');
  const never = await getPod(c, 'mk8s-test-never');
  expect(never.status.containerStatuses[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } });
  const always = await waitFor(async () => {
    const p = await getPod(c, 'mk8s-test-always');
    return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  }, 30_000, 'Always pod in CrashLoopBackOff');
  expect(always.status.phase).toBe('Running');
  expect(always.status.containerStatuses[0].restartCount).toBeGreaterThanOrEqual(1);
  expect(always.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  expect(always.status.containerStatuses[0].state.waiting.message).toMatch(/^back-off \d+s restarting failed container=c pod=mk8s-test-always_default\(/);
  const r = await c.kubectl(['get', 'pod', 'mk8s-test-always', '--no-headers']);
  expect(r.stdout).toMatch(/CrashLoopBackOff/);
  expect((await events(c, 'mk8s-test-always')).some(e => e.reason === 'BackOff')).toBe(true);
  // Never stays Failed: no new container appears
  await new Promise(res => setTimeout(res, 1500));
  expect(nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-never', 'label=io.kubernetes.docker.type=container'])).toHaveLength(1);
});
