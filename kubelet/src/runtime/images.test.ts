import { ImagePuller, registryOf } from './images';

const NO_HOST = 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host';

test('registryOf: docker.io unless the first path part is a host', () => {
  expect(registryOf('busybox')).toBe('docker.io');
  expect(registryOf('library/busybox:1.28')).toBe('docker.io');
  expect(registryOf('mk8s/pause:3.9')).toBe('docker.io');
  expect(registryOf('registry.k8s.io/pause:3.9')).toBe('registry.k8s.io');
  expect(registryOf('localhost:5000/x')).toBe('localhost:5000');
});

test('an unreachable registry is remembered for the TTL, per registry', async () => {
  let now = 0;
  const calls: string[] = [];
  const p = new ImagePuller(async img => { calls.push(img); return NO_HOST; }, () => now, 60_000);
  expect(await p.pull('busybox')).toEqual({ ok: false, unreachable: true, error: NO_HOST });
  expect(await p.pull('busybox:1.28')).toMatchObject({ ok: false, unreachable: true });
  expect(p.knownUnreachable('alpine')).toBe(NO_HOST);
  expect(p.knownUnreachable('quay.io/x/y')).toBeUndefined();
  expect(calls).toEqual(['busybox']);
  now = 60_000;
  expect(p.knownUnreachable('busybox')).toBeUndefined();
  await p.pull('busybox');
  expect(calls).toEqual(['busybox', 'busybox']);
});

test('concurrent pulls of one image share one attempt; a registry answer is not "unreachable"', async () => {
  let release!: (v: string | undefined) => void;
  let n = 0;
  const p = new ImagePuller(() => { n++; return new Promise(r => { release = r; }); });
  const a = p.pull('quay.io/x/y:1'); const b = p.pull('quay.io/x/y:1');
  release('manifest unknown: manifest unknown');
  expect(await a).toEqual({ ok: false, unreachable: false, error: 'manifest unknown: manifest unknown' });
  expect(await b).toEqual(await a);
  expect(n).toBe(1);
  expect(p.knownUnreachable('quay.io/x/y:1')).toBeUndefined();
});

test('a successful pull', async () => {
  const p = new ImagePuller(async () => undefined);
  expect(await p.pull('busybox')).toEqual({ ok: true });
});
