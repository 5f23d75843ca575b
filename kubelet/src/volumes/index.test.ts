import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { StatusError } from '@mk8s/apimachinery';
import type { Pod, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import { VolumeManager, VolumeError, writePayload } from './index';
import { mountsUnder } from './mount';

const log = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
const notFound = (what: string, name: string) => new StatusError(404, 'NotFound', `${what} "${name}" not found`);

/** A KubeClient stand-in: objects keyed `<resource>/<ns>/<name>`, plus a TokenRequest answer. */
class FakeKube {
  objects = new Map<string, any>();
  gets = 0;
  tokenCalls: any[] = [];
  tokenError?: Error;
  set(resource: string, ns: string | undefined, name: string, obj: any) { this.objects.set(`${resource}/${ns ?? ''}/${name}`, obj); }
  async get<T = any>(r: { resource: string }, ns: string | undefined, name: string): Promise<T> {
    this.gets++;
    const o = this.objects.get(`${r.resource}/${ns ?? ''}/${name}`);
    if (!o) throw notFound(r.resource, name);
    return JSON.parse(JSON.stringify(o));
  }
  async createSubresource<T = any>(r: { resource: string }, ns: string | undefined, name: string, sub: string, body: any): Promise<T> {
    this.tokenCalls.push({ r: r.resource, ns, name, sub, body });
    if (this.tokenError) throw this.tokenError;
    if (!this.objects.has(`serviceaccounts/${ns}/${name}`)) throw notFound('serviceaccounts', name);
    return { status: { token: `tok-${this.tokenCalls.length}`, expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } } as T;
  }
}

let root: string;
let kube: FakeKube;
let vm: VolumeManager;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-kubelet-io-vol-'));
  kube = new FakeKube();
  vm = new VolumeManager({ rootDir: path.join(root, 'kubelet'), kube, nodeName: 'n1', log, hostTmpfs: false });
});
afterEach(async () => {
  for (const uid of vm.podUids()) await vm.tearDownPod(uid);
  vm.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let uidSeq = 0;
function pod(volumes: Volume[], mounts: VolumeMount[] = [], extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns1', uid: `uid-${++uidSeq}`, labels: { app: 'web', tier: 'b"e' }, annotations: { a: '1' } },
    spec: { volumes, containers: [{ name: 'app', image: 'busybox', volumeMounts: mounts, resources: { limits: { memory: '64Mi', cpu: '250m' } } }], ...extra.spec },
  } as Pod;
}
const volDir = (p: Pod, plugin: string, name: string) => path.join(root, 'kubelet', 'pods', p.metadata!.uid!, 'volumes', plugin, name);
const read = (p: string) => fs.readFileSync(p, 'utf8');

async function setupError(p: Pod): Promise<VolumeError> {
  try { await vm.setUpPod(p); } catch (e) { return e as VolumeError; }
  throw new Error('setUpPod did not fail');
}

describe('emptyDir', () => {
  it('disk: a 0777 dir bound read-write, removed on teardown', async () => {
    const p = pod([{ name: 'cache', emptyDir: {} }], [{ name: 'cache', mountPath: '/cache' }]);
    await vm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~empty-dir', 'cache');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o777);
    expect(vm.mountsFor(p, p.spec!.containers[0])).toEqual({ binds: [`${dir}:/cache:rw`], tmpfs: {} });
    await vm.tearDownPod(p.metadata!.uid!);
    expect(fs.existsSync(path.join(root, 'kubelet', 'pods', p.metadata!.uid!))).toBe(false);
  });

  it('Memory without host tmpfs: a Docker tmpfs with the sizeLimit', async () => {
    const p = pod([{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }], [{ name: 'm', mountPath: '/m' }]);
    await vm.setUpPod(p);
    expect(vm.mountsFor(p, p.spec!.containers[0])).toEqual({ binds: [], tmpfs: { '/m': `size=${16 * 1024 * 1024},mode=1777` } });
  });

  it('Memory with host tmpfs: one tmpfs on the host shared by all containers, unmounted on teardown', async () => {
    const hvm = new VolumeManager({ rootDir: path.join(root, 'kubelet'), kube, nodeName: 'n1', log });
    const p = pod([{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }], [{ name: 'm', mountPath: '/m' }]);
    await hvm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~empty-dir', 'm');
    try {
      expect(mountsUnder(dir)).toEqual([dir]);
      const st = fs.statfsSync(dir);
      expect(st.blocks * st.bsize).toBe(8 * 1024 * 1024);
      expect(hvm.mountsFor(p, p.spec!.containers[0])).toEqual({ binds: [`${dir}:/m:rw`], tmpfs: {} });
    } finally {
      await hvm.tearDownPod(p.metadata!.uid!);
      hvm.close();
    }
    expect(mountsUnder(path.join(root, 'kubelet'))).toEqual([]);
  });

  it('rejects an unknown medium and a bad sizeLimit', async () => {
    expect((await setupError(pod([{ name: 'x', emptyDir: { medium: 'Tape' } }]))).message).toBe('MountVolume.SetUp failed for volume "x" : emptyDir medium "Tape" is not supported (use "" or "Memory")');
    expect((await setupError(pod([{ name: 'x', emptyDir: { sizeLimit: 'lots' } }]))).message).toMatch(/invalid sizeLimit "lots"/);
  });
});

describe('hostPath', () => {
  it.each([
    ['Directory', 'file', 'is not a directory'],
    ['Directory', 'missing', 'is not a directory'],
    ['DirectoryOrCreate', 'file', 'is not a directory'],
    ['File', 'dir', 'is not a file'],
    ['FileOrCreate', 'dir', 'is not a file'],
    ['Socket', 'file', 'is not a socket file'],
    ['CharDevice', 'file', 'is not a character device'],
    ['BlockDevice', '/dev/null', 'is not a block device'],
  ])('type %s on a %s fails with upstream\'s message', async (type, what, msg) => {
    fs.writeFileSync(path.join(root, 'file'), 'x');
    fs.mkdirSync(path.join(root, 'dir'));
    const p = what.startsWith('/') ? what : path.join(root, what);
    const e = await setupError(pod([{ name: 'h', hostPath: { path: p, type } }]));
    expect(e).toBeInstanceOf(VolumeError);
    expect(e.reason).toBe('FailedMount');
    expect(e.message).toBe(`MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${p} ${msg}`);
  });

  it('matching types pass; *OrCreate create; binds the host path itself, ro when asked', async () => {
    const sock = path.join(root, 's.sock');
    const srv = net.createServer();
    await new Promise<void>(r => srv.listen(sock, r));
    try {
      const p = pod([
        { name: 'd', hostPath: { path: path.join(root, 'newdir/sub'), type: 'DirectoryOrCreate' } },
        { name: 'f', hostPath: { path: path.join(root, 'newfile'), type: 'FileOrCreate' } },
        { name: 's', hostPath: { path: sock, type: 'Socket' } },
        { name: 'c', hostPath: { path: '/dev/null', type: 'CharDevice' } },
        { name: 'any', hostPath: { path: path.join(root, 'whatever') } },
      ], [{ name: 'd', mountPath: '/d' }, { name: 'f', mountPath: '/f', readOnly: true }, { name: 'c', mountPath: '/n', mountPropagation: 'HostToContainer' }]);
      await vm.setUpPod(p);
      expect(fs.statSync(path.join(root, 'newdir/sub')).isDirectory()).toBe(true);
      expect(fs.statSync(path.join(root, 'newdir/sub')).mode & 0o777).toBe(0o755);
      expect(fs.statSync(path.join(root, 'newfile')).isFile()).toBe(true);
      expect(vm.mountsFor(p, p.spec!.containers[0]).binds).toEqual([
        `${root}/newdir/sub:/d:rw`, `${root}/newfile:/f:ro`, '/dev/null:/n:rw,rslave',
      ]);
    } finally { srv.close(); }
  });

  it('FileOrCreate with a missing parent and an unknown type fail clearly', async () => {
    expect((await setupError(pod([{ name: 'f', hostPath: { path: path.join(root, 'no/such/file'), type: 'FileOrCreate' } }]))).message)
      .toMatch(/hostPath type check failed: cannot create file .*no\/such\/file: parent directory does not exist/);
    expect((await setupError(pod([{ name: 'f', hostPath: { path: root, type: 'Weird' } }]))).message).toMatch(/Weird is an invalid volume type/);
  });
});

describe('configMap and secret', () => {
  beforeEach(() => {
    kube.set('configmaps', 'ns1', 'cfg', { data: { 'app.conf': 'color=blue\n', other: 'x' }, binaryData: { bin: Buffer.from([0, 1, 2]).toString('base64') } });
    kube.set('secrets', 'ns1', 'sec', { data: { password: Buffer.from('hunter2').toString('base64') } });
  });

  it('writes every key through ..data links, mounted read-only', async () => {
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }], [{ name: 'cfg', mountPath: '/etc/cfg' }]);
    await vm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~configmap', 'cfg');
    expect(fs.readdirSync(dir).filter(n => !n.startsWith('..')).sort()).toEqual(['app.conf', 'bin', 'other']);
    expect(fs.readlinkSync(path.join(dir, 'app.conf'))).toBe('..data/app.conf');
    expect(fs.readlinkSync(path.join(dir, '..data'))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.[0-9a-f]+$/);
    expect(read(path.join(dir, 'app.conf'))).toBe('color=blue\n');
    expect([...fs.readFileSync(path.join(dir, 'bin'))]).toEqual([0, 1, 2]);
    expect(fs.statSync(path.join(dir, 'other')).mode & 0o777).toBe(0o644);
    expect(vm.mountsFor(p, p.spec!.containers[0]).binds).toEqual([`${dir}:/etc/cfg:ro`]);
  });

  it('items pick keys and paths; defaultMode and item modes apply', async () => {
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'app.conf', path: 'conf/app.conf' }, { key: 'other', path: 'o', mode: 0o755 }] } }]);
    await vm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~configmap', 'cfg');
    expect(fs.readdirSync(dir).filter(n => !n.startsWith('..')).sort()).toEqual(['conf', 'o']);
    expect(read(path.join(dir, 'conf/app.conf'))).toBe('color=blue\n');
    expect(fs.statSync(path.join(dir, 'conf/app.conf')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'o')).mode & 0o777).toBe(0o755);
  });

  it('a missing configMap or secret is FailedMount with upstream\'s message; optional gives an empty dir', async () => {
    const e = await setupError(pod([{ name: 'cfg', configMap: { name: 'nope' } }]));
    expect(e.reason).toBe('FailedMount');
    expect(e.message).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
    expect((await setupError(pod([{ name: 's', secret: { secretName: 'nope' } }]))).message).toBe('MountVolume.SetUp failed for volume "s" : secret "nope" not found');
    const p = pod([{ name: 'cfg', configMap: { name: 'nope', optional: true } }]);
    await vm.setUpPod(p);
    expect(fs.readdirSync(volDir(p, 'kubernetes.io~configmap', 'cfg')).filter(n => !n.startsWith('..'))).toEqual([]);
  });

  it('a missing key fails unless optional', async () => {
    expect((await setupError(pod([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'gone', path: 'g' }] } }]))).message)
      .toBe('MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: gone');
    expect((await setupError(pod([{ name: 's', secret: { secretName: 'sec', items: [{ key: 'gone', path: 'g' }] } }]))).message)
      .toBe('MountVolume.SetUp failed for volume "s" : secret references non-existent secret key: gone');
    await vm.setUpPod(pod([{ name: 'cfg', configMap: { name: 'cfg', optional: true, items: [{ key: 'gone', path: 'g' }] } }]));
  });

  it('rejects item paths that escape the volume', async () => {
    expect((await setupError(pod([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'other', path: '../evil' }] } }]))).message).toMatch(/must not contain '\.\.'/);
    expect((await setupError(pod([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'other', path: '/abs' }] } }]))).message).toMatch(/must be relative/);
  });

  it('secrets are decoded', async () => {
    const p = pod([{ name: 's', secret: { secretName: 'sec' } }]);
    await vm.setUpPod(p);
    expect(read(path.join(volDir(p, 'kubernetes.io~secret', 's'), 'password'))).toBe('hunter2');
  });

  it('resync rewrites changed data atomically, drops removed keys, keeps content when the object disappears', async () => {
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    await vm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~configmap', 'cfg');
    const firstTs = fs.readlinkSync(path.join(dir, '..data'));
    await vm.resync();
    expect(fs.readlinkSync(path.join(dir, '..data'))).toBe(firstTs); // unchanged: nothing rewritten

    kube.set('configmaps', 'ns1', 'cfg', { data: { 'app.conf': 'color=red\n' } });
    await vm.resync();
    const secondTs = fs.readlinkSync(path.join(dir, '..data'));
    expect(secondTs).not.toBe(firstTs);
    expect(read(path.join(dir, 'app.conf'))).toBe('color=red\n');
    expect(fs.existsSync(path.join(dir, 'other'))).toBe(false);
    expect(fs.existsSync(path.join(dir, firstTs))).toBe(false);
    expect(fs.readdirSync(dir).filter(n => n.startsWith('..')).sort()).toEqual(['..data', secondTs].sort());

    kube.objects.delete('configmaps/ns1/cfg');
    await vm.resync();
    expect(read(path.join(dir, 'app.conf'))).toBe('color=red\n');
  });

  it('the periodic resync picks up a change by itself', async () => {
    const fast = new VolumeManager({ rootDir: path.join(root, 'fast'), kube, nodeName: 'n1', log, hostTmpfs: false, resyncMs: 50 });
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }]);
    try {
      await fast.setUpPod(p);
      kube.set('configmaps', 'ns1', 'cfg', { data: { 'app.conf': 'color=green\n' } });
      const file = path.join(root, 'fast', 'pods', p.metadata!.uid!, 'volumes', 'kubernetes.io~configmap', 'cfg', 'app.conf');
      const end = Date.now() + 3000;
      while (read(file) !== 'color=green\n' && Date.now() < end) await new Promise(r => setTimeout(r, 20));
      expect(read(file)).toBe('color=green\n');
    } finally {
      await fast.tearDownPod(p.metadata!.uid!);
      fast.close();
    }
  });
});

describe('downwardAPI', () => {
  it('writes labels, annotations, names and resources as upstream formats them', async () => {
    const p = pod([{ name: 'info', downwardAPI: { items: [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
      { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
      { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
      { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
      { path: 'cpu-cores', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } },
    ] } }]);
    await vm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~downward-api', 'info');
    expect(read(path.join(dir, 'labels'))).toBe('app="web"\ntier="b\\"e"');
    expect(read(path.join(dir, 'annotations'))).toBe('a="1"');
    expect(read(path.join(dir, 'name'))).toBe('web');
    expect(read(path.join(dir, 'ns'))).toBe('ns1');
    expect(read(path.join(dir, 'app'))).toBe('web');
    expect(read(path.join(dir, 'mem'))).toBe('64');
    expect(read(path.join(dir, 'cpu'))).toBe('250');
    expect(read(path.join(dir, 'cpu-cores'))).toBe('1');
  });

  it('label changes reach the files when the pod is set up again', async () => {
    const p = pod([{ name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }]);
    await vm.setUpPod(p);
    p.metadata!.labels = { app: 'web2' };
    await vm.setUpPod(p);
    expect(read(path.join(volDir(p, 'kubernetes.io~downward-api', 'info'), 'labels'))).toBe('app="web2"');
  });

  it('an unsupported field path fails clearly', async () => {
    expect((await setupError(pod([{ name: 'i', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.bogus' } }] } }]))).message)
      .toBe('MountVolume.SetUp failed for volume "i" : unsupported fieldPath: spec.bogus');
    expect((await setupError(pod([{ name: 'i', downwardAPI: { items: [{ path: 'x', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } }] } }]))).message)
      .toMatch(/container "ghost" not found in pod/);
  });
});

describe('projected', () => {
  beforeEach(() => {
    kube.set('configmaps', 'ns1', 'kube-root-ca.crt', { data: { 'ca.crt': 'CERT' } });
    kube.set('secrets', 'ns1', 'sec', { data: { k: Buffer.from('v').toString('base64') } });
    kube.set('serviceaccounts', 'ns1', 'builder', {});
  });
  const projected = (extra: any[] = []): Volume => ({ name: 'kube-api-access', projected: { defaultMode: 0o640, sources: [
    { serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'api' } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { secret: { name: 'sec' } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
    ...extra,
  ] } });

  it('combines token, configMap, secret and downwardAPI; requests the token bound to the pod', async () => {
    const p = pod([projected()], [], { spec: { serviceAccountName: 'builder' } as any });
    await vm.setUpPod(p);
    const dir = volDir(p, 'kubernetes.io~projected', 'kube-api-access');
    expect(read(path.join(dir, 'token'))).toBe('tok-1');
    expect(read(path.join(dir, 'ca.crt'))).toBe('CERT');
    expect(read(path.join(dir, 'k'))).toBe('v');
    expect(read(path.join(dir, 'namespace'))).toBe('ns1');
    expect(fs.statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o640);
    expect(kube.tokenCalls).toEqual([{ r: 'serviceaccounts', ns: 'ns1', name: 'builder', sub: 'token', body: {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: { audiences: ['api'], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: p.metadata!.uid } },
    } }]);
    await vm.resync(); // the cached token is still fresh
    expect(kube.tokenCalls).toHaveLength(1);
  });

  it('a token the apiserver cannot issue is a clear FailedMount', async () => {
    const e = await setupError(pod([projected()], [], { spec: { serviceAccountName: 'ghost' } as any }));
    expect(e.message).toBe('MountVolume.SetUp failed for volume "kube-api-access" : failed to fetch token: serviceaccounts "ghost" not found');
    kube.tokenError = new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    expect((await setupError(pod([projected()], [], { spec: { serviceAccountName: 'builder' } as any }))).message)
      .toBe('MountVolume.SetUp failed for volume "kube-api-access" : failed to fetch token: the apiserver does not serve serviceaccounts/token');
    const noTokens = new VolumeManager({ rootDir: path.join(root, 'k2'), kube: { get: kube.get.bind(kube) }, nodeName: 'n1', log, hostTmpfs: false });
    await expect(noTokens.setUpPod(pod([projected()]))).rejects.toThrow(/no API client that can request tokens/);
    noTokens.close();
  });

  it('an unsupported source is refused', async () => {
    expect((await setupError(pod([projected([{ clusterTrustBundle: { path: 'x' } }])], [], { spec: { serviceAccountName: 'builder' } as any }))).message)
      .toMatch(/projected source 4 \(clusterTrustBundle\) is not supported/);
  });
});

describe('persistentVolumeClaim', () => {
  it('binds the hostPath of the bound PV; readOnly from the claim', async () => {
    const hp = path.join(root, 'pvdata');
    kube.set('persistentvolumeclaims', 'ns1', 'data', { spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } });
    kube.set('persistentvolumes', undefined, 'pv1', { spec: { hostPath: { path: hp, type: 'DirectoryOrCreate' }, claimRef: { namespace: 'ns1', name: 'data' } } });
    const p = pod([{ name: 'd', persistentVolumeClaim: { claimName: 'data', readOnly: true } }], [{ name: 'd', mountPath: '/data' }]);
    await vm.setUpPod(p);
    expect(fs.statSync(hp).isDirectory()).toBe(true);
    expect(vm.mountsFor(p, p.spec!.containers[0]).binds).toEqual([`${hp}:/data:ro`]);
  });

  it('local PVs, and the failure cases', async () => {
    kube.set('persistentvolumeclaims', 'ns1', 'loc', { spec: { volumeName: 'pvl' }, status: { phase: 'Bound' } });
    kube.set('persistentvolumes', undefined, 'pvl', { spec: { local: { path: root } } });
    const p = pod([{ name: 'd', persistentVolumeClaim: { claimName: 'loc' } }], [{ name: 'd', mountPath: '/data' }]);
    await vm.setUpPod(p);
    expect(vm.mountsFor(p, p.spec!.containers[0]).binds).toEqual([`${root}:/data:rw`]);

    expect((await setupError(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'none' } }]))).message).toBe('MountVolume.SetUp failed for volume "d" : persistentvolumeclaim "none" not found');
    kube.set('persistentvolumeclaims', 'ns1', 'pending', { spec: {}, status: { phase: 'Pending' } });
    expect((await setupError(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'pending' } }]))).message).toMatch(/error processing PVC ns1\/pending: PVC is not bound/);
    kube.set('persistentvolumeclaims', 'ns1', 'nfs', { spec: { volumeName: 'pvn' }, status: { phase: 'Bound' } });
    kube.set('persistentvolumes', undefined, 'pvn', { spec: { nfs: { server: 'x', path: '/' } } });
    expect((await setupError(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'nfs' } }]))).message).toMatch(/unsupported source: mk8s mounts hostPath and local volumes only/);
  });
});

describe('mounts', () => {
  beforeEach(() => kube.set('configmaps', 'ns1', 'cfg', { data: { 'app.conf': 'v1' } }));

  it('subPath of a configMap binds the real file (a snapshot); of an emptyDir, a created dir', async () => {
    const p = pod([{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'e', emptyDir: {} }],
      [{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }, { name: 'e', mountPath: '/work', subPath: 'a/b' }]);
    await vm.setUpPod(p);
    const [cfgBind, eBind] = vm.mountsFor(p, p.spec!.containers[0]).binds;
    const dir = volDir(p, 'kubernetes.io~configmap', 'cfg');
    const real = fs.realpathSync(dir);
    expect(cfgBind).toBe(`${real}/${fs.readlinkSync(path.join(dir, '..data'))}/app.conf:/etc/app.conf:ro`);
    expect(eBind).toBe(`${fs.realpathSync(volDir(p, 'kubernetes.io~empty-dir', 'e'))}/a/b:/work:rw`);
    expect(fs.statSync(volDir(p, 'kubernetes.io~empty-dir', 'e') + '/a/b').isDirectory()).toBe(true);
  });

  it('subPath escapes, unknown volumes and missing keys are CreateContainerConfigError', async () => {
    const p = pod([{ name: 'e', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }]);
    await vm.setUpPod(p);
    const c = (volumeMounts: VolumeMount[]) => ({ name: 'app', image: 'busybox', volumeMounts });
    const err = (vms: VolumeMount[]) => { try { vm.mountsFor(p, c(vms)); } catch (e) { return e as VolumeError; } throw new Error('no error'); };
    fs.symlinkSync('/etc', path.join(volDir(p, 'kubernetes.io~empty-dir', 'e'), 'escape'));
    expect(err([{ name: 'e', mountPath: '/x', subPath: '../../x' }]).message).toMatch(/must not contain '\.\.'/);
    expect(err([{ name: 'e', mountPath: '/x', subPath: 'escape' }]).message).toMatch(/resolves outside the volume/);
    expect(err([{ name: 'cfg', mountPath: '/x', subPath: 'nokey' }]).message).toMatch(/does not exist in the volume/);
    const unknown = err([{ name: 'ghost', mountPath: '/x' }]);
    expect(unknown.reason).toBe('CreateContainerConfigError');
    expect(unknown.message).toBe('cannot find volume "ghost" to mount into container "app"');
    expect(err([{ name: 'e', mountPath: 'relative' }]).message).toMatch(/must be an absolute path/);
  });

  it('subPathExpr expands the container env', async () => {
    const p = pod([{ name: 'e', emptyDir: {} }]);
    await vm.setUpPod(p);
    const binds = vm.mountsFor(p, { name: 'app', env: [{ name: 'POD', value: 'web-0' }], volumeMounts: [{ name: 'e', mountPath: '/logs', subPathExpr: 'logs/$(POD)' }] }).binds;
    expect(binds).toEqual([`${fs.realpathSync(volDir(p, 'kubernetes.io~empty-dir', 'e'))}/logs/web-0:/logs:rw`]);
  });

  it('unsupported volume types fail with the list of supported ones; other volumes still get set up', async () => {
    const p = pod([{ name: 'n', nfs: { server: 'x', path: '/' } } as Volume, { name: 'e', emptyDir: {} }]);
    const e = await setupError(p);
    expect(e.message).toMatch(/^MountVolume.SetUp failed for volume "n" : unsupported volume type nfs/);
    expect(fs.existsSync(volDir(p, 'kubernetes.io~empty-dir', 'e'))).toBe(true);
  });
});

describe('writePayload', () => {
  it('no-op when unchanged; nested paths; invalid paths write nothing', () => {
    const dir = path.join(root, 'aw');
    const pl = new Map([['a/b/c', { data: Buffer.from('1'), mode: 0o644 }], ['top', { data: Buffer.from('2'), mode: 0o600 }]]);
    expect(writePayload(dir, pl)).toBe(true);
    expect(writePayload(dir, pl)).toBe(false);
    expect(read(path.join(dir, 'a/b/c'))).toBe('1');
    expect(fs.readlinkSync(path.join(dir, 'a'))).toBe('..data/a');
    pl.set('top', { data: Buffer.from('2'), mode: 0o644 }); // a mode change alone is a change
    expect(writePayload(dir, pl)).toBe(true);
    expect(() => writePayload(dir, new Map([['..x', { data: Buffer.from(''), mode: 0o644 }]]))).toThrow(/must not start with '\.\.'/);
    expect(read(path.join(dir, 'top'))).toBe('2');
  });
});
