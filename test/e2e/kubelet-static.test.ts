// Static pods (issue B point 10): a manifest in --pod-manifest-path runs while the apiserver is down, is
// mirrored as <name>-<node> once it is up, follows edits and removal of the file, and a deleted mirror returns.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cluster, Cluster } from '../src/harness';
import { getPod, KubeletHandle, nodeContainers, randomNodeName, removeNodeContainers, startKubelet, waitFor } from './kubelet-core-harness';

jest.setTimeout(120_000);
let c: Cluster;
let k: KubeletHandle;
const manifests = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-kubelet-static-'));
const nodeName = randomNodeName();
const mirror = `mk8s-test-static-${nodeName}`;
const file = path.join(manifests, 'static.yaml');

const manifest = (word: string) => `apiVersion: v1
kind: Pod
metadata:
  name: mk8s-test-static
  labels: { app: mk8s-test-static }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.28
    command: ["sh", "-c", "echo ${word}; exec sleep 3600"]
`;

const running = () => nodeContainers(nodeName, ['label=io.kubernetes.container.name=app', 'status=running']);

beforeAll(async () => {
  c = await cluster();
  fs.writeFileSync(file, manifest('first'));
});
afterAll(async () => {
  if (process.env.MK8S_KUBELET_LOG) fs.writeFileSync(process.env.MK8S_KUBELET_LOG, k?.logs() ?? '');
  await k?.stop();
  removeNodeContainers(nodeName);
  k?.cleanup();
  await c?.teardown();
  fs.rmSync(manifests, { recursive: true, force: true });
});

test('a static pod runs with the apiserver down and is mirrored once it is up', async () => {
  await c.apiserver.stop();
  k = await startKubelet(c, [`--pod-manifest-path=${manifests}`], nodeName, { waitReady: false });
  const [ctr] = await waitFor(async () => { const r = running(); return r.length === 1 ? r : undefined; }, 30_000, `static container running\n${k.logs().slice(-2000)}`);
  expect(ctr.name).toMatch(new RegExp(`^k8s_app_${mirror}_default_[0-9a-f]{32}_0$`));
  await c.apiserver.restart();
  const pod = await waitFor(async () => {
    const p = await getPod(c, mirror);
    return p?.status?.phase === 'Running' ? p : undefined;
  }, 40_000, `mirror pod ${mirror} Running\n${k.logs().slice(-2000)}`);
  const hash = pod.metadata.annotations['kubernetes.io/config.hash'];
  expect(hash).toMatch(/^[0-9a-f]{32}$/);
  expect(pod.metadata.annotations['kubernetes.io/config.mirror']).toBe(hash);
  expect(pod.metadata.annotations['kubernetes.io/config.source']).toBe('file');
  expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: nodeName, controller: true })]);
  expect(pod.spec.nodeName).toBe(nodeName);
  expect(pod.status.containerStatuses[0]).toMatchObject({ name: 'app', ready: true, restartCount: 0, containerID: `docker://${(await import('child_process')).execFileSync('docker', ['inspect', '-f', '{{.Id}}', ctr.id], { encoding: 'utf8' }).trim()}` });
  expect(running().map(x => x.id)).toEqual([ctr.id]); // the apiserver's return did not restart it
});

test('deleting the mirror pod with kubectl recreates it; the static pod keeps running', async () => {
  const before = await getPod(c, mirror);
  const ctr = running()[0].id;
  const del = await c.kubectl(['delete', 'pod', mirror, '--wait=true', '--timeout=30s']);
  expect(del.code).toBe(0);
  const again = await waitFor(async () => {
    const p = await getPod(c, mirror);
    return p && p.metadata.uid !== before.metadata.uid && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' ? p : undefined;
  }, 30_000, 'mirror recreated');
  expect(again.metadata.annotations['kubernetes.io/config.mirror']).toBe(before.metadata.annotations['kubernetes.io/config.mirror']);
  expect(running().map(x => x.id)).toEqual([ctr]);
});

test('editing the manifest recreates the pod and replaces the mirror; removing the file removes both', async () => {
  const before = await getPod(c, mirror);
  const oldCtr = running()[0].id;
  fs.writeFileSync(file, manifest('second'));
  const after = await waitFor(async () => {
    const p = await getPod(c, mirror);
    return p && p.metadata.annotations['kubernetes.io/config.mirror'] !== before.metadata.annotations['kubernetes.io/config.mirror']
      && p.status?.phase === 'Running' ? p : undefined;
  }, 40_000, `new mirror\n${k.logs().slice(-2000)}`);
  expect(after.metadata.uid).not.toBe(before.metadata.uid);
  const now = await waitFor(async () => { const r = running(); return r.length === 1 && r[0].id !== oldCtr ? r : undefined; }, 20_000, 'old container replaced');
  const { execFileSync } = await import('child_process');
  expect(execFileSync('docker', ['logs', now[0].id], { encoding: 'utf8' }).trim()).toBe('second');
  await waitFor(async () => nodeContainers(nodeName, [`label=io.kubernetes.pod.uid=${before.metadata.annotations['kubernetes.io/config.mirror']}`]).length === 0, 20_000, 'old pod containers removed');

  fs.rmSync(file);
  await waitFor(async () => (await getPod(c, mirror)) === undefined, 30_000, 'mirror removed');
  await waitFor(async () => nodeContainers(nodeName).length === 0, 30_000, 'static pod containers removed');
});
