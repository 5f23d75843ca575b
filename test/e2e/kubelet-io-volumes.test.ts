// The volume manager against a real apiserver and real containers: configMap/secret/projected token files
// bound into a running busybox, a configMap edit reaching the running container through the ..data swap,
// a shared Memory emptyDir, and a missing configMap as FailedMount.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import winston from 'winston';
import { httpClient, resources, type KubeClient } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';
import { cluster, type Cluster } from '../src';
import { VolumeManager, VolumeError } from '../../kubelet/src/volumes';
import { docker, TestContainers } from '../../kubelet/src/server/testutil';
import { containerLabels, containerName } from '../../kubelet/src/runtime/naming';

jest.setTimeout(120_000);
const log = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
const nodeName = `mk8s-test-vol-${process.pid}`;
const containers = new TestContainers(nodeName);

let c: Cluster;
let kube: KubeClient;
let vm: VolumeManager;
let rootDir: string;

beforeAll(async () => {
  c = await cluster();
  kube = httpClient(c.apiserver.url);
  // not under the harness session dir: that is removed in the harness's afterAll, which may run before ours
  // while a tmpfs is still mounted
  rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-kubelet-io-e2e-'));
  vm = new VolumeManager({ rootDir, kube, nodeName, log, resyncMs: 500 });
  await kube.create(resources.configmaps, 'default', { metadata: { name: 'app-config' }, data: { 'color': 'blue', 'app.properties': 'a=1\n' } });
  await kube.create(resources.secrets, 'default', { metadata: { name: 'app-secret' }, data: { password: Buffer.from('s3cret').toString('base64') } });
  await kube.create(resources.serviceaccounts, 'default', { metadata: { name: 'builder' } }).catch(() => undefined);
});

afterAll(async () => {
  await containers.removeAll();
  for (const uid of vm?.podUids() ?? []) await vm.tearDownPod(uid);
  vm?.close();
  if (rootDir) fs.rmSync(rootDir, { recursive: true, force: true });
  kube?.close();
  await c?.teardown();
});

async function exec(id: string, cmd: string[]): Promise<string> {
  const e = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const s = await e.start({ hijack: true, stdin: false, Tty: true } as any);
  return new Promise(resolve => { let out = ''; s.on('data', (d: Buffer) => (out += d)); s.on('end', () => resolve(out.replace(/\r/g, ''))); });
}

/** A container of pod with the binds and tmpfs the manager gives for spec container `name`. */
async function runWithVolumes(pod: Pod, name: string) {
  const spec = pod.spec!.containers.find(x => x.name === name)!;
  const { binds, tmpfs } = vm.mountsFor(pod, spec);
  const ref = { name: pod.metadata!.name!, namespace: 'default', uid: pod.metadata!.uid! };
  const ctr = await docker.createContainer({
    name: containerName(name, ref, 0), Image: 'busybox', Cmd: ['sleep', '600'], Labels: containerLabels(nodeName, ref, name, 'container', 0),
    HostConfig: { Binds: binds, Tmpfs: tmpfs, Init: true },
  });
  containers.ids.push(ctr.id);
  await ctr.start();
  return ctr.id;
}

it('configMap, secret, token and a shared Memory emptyDir inside running containers; a configMap edit shows up', async () => {
  const pod = await kube.create<Pod>(resources.pods, 'default', {
    metadata: { name: 'mk8s-test-vol-web' },
    spec: {
      nodeName, serviceAccountName: 'builder',
      volumes: [
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'sec', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
        { name: 'shared', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } },
        { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'mk8s-test' } }, { configMap: { name: 'app-config', items: [{ key: 'color', path: 'color' }] } }] } },
      ],
      containers: [
        { name: 'a', image: 'busybox', volumeMounts: [
          { name: 'cfg', mountPath: '/etc/cfg' }, { name: 'sec', mountPath: '/etc/sec' }, { name: 'shared', mountPath: '/shared' },
          { name: 'cfg', mountPath: '/etc/app.properties', subPath: 'app.properties' }, { name: 'token', mountPath: '/var/run/secrets/tokens' },
        ] },
        { name: 'b', image: 'busybox', volumeMounts: [{ name: 'shared', mountPath: '/data', readOnly: true }] },
      ],
    },
  });
  await vm.setUpPod(pod);
  const a = await runWithVolumes(pod, 'a');
  const b = await runWithVolumes(pod, 'b');

  expect(await exec(a, ['cat', '/etc/cfg/color'])).toBe('blue');
  expect(await exec(a, ['cat', '/etc/sec/password'])).toBe('s3cret');
  expect(await exec(a, ['stat', '-L', '-c', '%a', '/etc/sec/password'])).toBe('400\n');
  expect(await exec(a, ['cat', '/etc/app.properties'])).toBe('a=1\n');
  const token = await exec(a, ['cat', '/var/run/secrets/tokens/token']);
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  expect(claims.sub).toBe('system:serviceaccount:default:builder');
  expect(claims.aud).toEqual(expect.arrayContaining(['mk8s-test']));
  expect(await exec(a, ['cat', '/var/run/secrets/tokens/color'])).toBe('blue');
  // API data is read-only inside; the emptyDir is one tmpfs seen by both containers
  expect(await exec(a, ['sh', '-c', 'echo x > /etc/cfg/new 2>&1 || echo refused'])).toMatch(/Read-only file system|refused/);
  await exec(a, ['sh', '-c', 'echo from-a > /shared/msg']);
  expect(await exec(b, ['cat', '/data/msg'])).toBe('from-a\n');
  expect(await exec(b, ['sh', '-c', "df -k /data | tail -1 | awk '{print $2}'"])).toBe('4096\n');

  await kube.patch(resources.configmaps, 'default', 'app-config', 'merge', { data: { color: 'red', 'app.properties': 'a=2\n' } });
  const deadline = Date.now() + 20_000;
  let seen = '';
  while (Date.now() < deadline && (seen = await exec(a, ['cat', '/etc/cfg/color'])) !== 'red') await new Promise(r => setTimeout(r, 200));
  expect(seen).toBe('red');
  expect(await exec(a, ['cat', '/var/run/secrets/tokens/color'])).toBe('red');
  expect(await exec(a, ['cat', '/etc/app.properties'])).toBe('a=1\n'); // a subPath mount never updates (as upstream)
});

it('a missing configMap is FailedMount with the upstream message from the real apiserver', async () => {
  const pod = await kube.create<Pod>(resources.pods, 'default', {
    metadata: { name: 'mk8s-test-vol-missing' },
    spec: { nodeName, volumes: [{ name: 'cfg', configMap: { name: 'does-not-exist' } }], containers: [{ name: 'a', image: 'busybox' }] },
  });
  const err = await vm.setUpPod(pod).then(() => undefined, e => e);
  expect(err).toBeInstanceOf(VolumeError);
  expect(err.reason).toBe('FailedMount');
  expect(err.message).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "does-not-exist" not found');
  await kube.create(resources.configmaps, 'default', { metadata: { name: 'does-not-exist' }, data: { k: 'v' } });
  await vm.setUpPod(pod); // a retry succeeds once it exists
  expect(fs.readFileSync(path.join(rootDir, 'pods', pod.metadata!.uid!, 'volumes', 'kubernetes.io~configmap', 'cfg', 'k'), 'utf8')).toBe('v');
});
