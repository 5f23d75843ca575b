// The controller-manager against a real apiserver: namespaces are emptied then finalized; every namespace
// gets its `default` ServiceAccount; a leader-elected second instance stays idle.
import { cluster, Cluster, startComponent, ComponentHandle } from '../src/harness';

jest.setTimeout(90_000);
let c: Cluster;
let cm: ComponentHandle;

beforeAll(async () => {
  c = await cluster();
  cm = await startComponent('controller-manager', [`--kubeconfig=${c.kubeconfig}`, '--port=0', '--leader-elect-lease-duration=3s',
    '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=500ms'], { waitFor: l => l.includes('running controllers') });
});
afterAll(async () => { await cm?.stop(); await c?.teardown(); });

const ok = async (args: string[], input?: string) => {
  const r = await c.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const eventually = async <T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 200));
  }
};

test('every namespace gets a default ServiceAccount, recreated when deleted', async () => {
  await ok(['create', 'namespace', 'cm-sa']);
  await eventually(async () => ((await ok(['get', 'sa', 'default', '-n', 'cm-sa', '-o', 'name'])).trim() === 'serviceaccount/default' ? true : undefined));
  await ok(['delete', 'sa', 'default', '-n', 'cm-sa']);
  await eventually(async () => ((await ok(['get', 'sa', 'default', '-n', 'cm-sa', '-o', 'name'])).trim() === 'serviceaccount/default' ? true : undefined));
  const system = await ok(['get', 'sa', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}']);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(system).toContain(`${ns}/default`);
});

test('kubectl delete namespace empties it, finalizes it, and returns once it is gone', async () => {
  await ok(['create', 'namespace', 'cm-gone']);
  await ok(['create', 'configmap', 'c1', '-n', 'cm-gone', '--from-literal=a=b']);
  await ok(['create', 'deployment', 'd1', '-n', 'cm-gone', '--image=busybox']);
  await ok(['create', 'secret', 'generic', 's1', '-n', 'cm-gone', '--from-literal=k=v']);
  const t0 = Date.now();
  const del = await c.kubectl(['delete', 'namespace', 'cm-gone', '--timeout=60s']);
  expect(del.code).toBe(0);
  expect(del.stdout).toContain('namespace "cm-gone" deleted');
  expect(Date.now() - t0).toBeLessThan(30_000);
  const get = await c.kubectl(['get', 'namespace', 'cm-gone']);
  expect(get.code).not.toBe(0);
  expect(get.stderr).toContain('namespaces "cm-gone" not found');
  // Its content went first: nothing of it is left in storage.
  const left = await ok(['get', 'configmaps,secrets,deployments', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace} {end}']);
  expect(left).not.toContain('cm-gone');
});

test('a second controller-manager waits for the lease and takes over when the leader dies', async () => {
  const second = await startComponent('controller-manager', [`--kubeconfig=${c.kubeconfig}`, '--port=0', '--leader-elect-lease-duration=3s',
    '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=500ms'], { waitFor: l => l.includes('leader is') });
  expect(second.logs()).not.toContain('running controllers');
  cm.kill('SIGKILL');
  await eventually(async () => (second.logs().includes('running controllers') ? true : undefined), 15_000);
  await ok(['create', 'namespace', 'cm-after']);
  await eventually(async () => ((await ok(['get', 'sa', 'default', '-n', 'cm-after', '-o', 'name'])).trim() === 'serviceaccount/default' ? true : undefined));
  cm = second;
});
