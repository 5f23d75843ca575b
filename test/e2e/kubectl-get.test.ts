// `kubectl get` against our apiserver: server-side tables (default and -o wide), the output formats,
// label and field selectors, all namespaces, sorting, paging with --chunk-size, and get -w.
import { startKube, table, type Kube } from './kubectl-helpers';

jest.setTimeout(60_000);

let k: Kube;
beforeAll(async () => {
  k = await startKube();
  // p1..p5 in a scrambled creation order; p2 and p4 are bound to node n1.
  const pods = ['p3', 'p1', 'p5', 'p2', 'p4'].map((name) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { app: 'shop', tier: ['p1', 'p2', 'p3'].includes(name) ? 'front' : 'back' } },
    spec: { ...(name === 'p2' || name === 'p4' ? { nodeName: 'n1' } : {}), containers: [{ name: 'c', image: 'busybox' }] },
  }));
  await k.ok(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }) });
  await k.ok(['create', 'namespace', 'other']);
  await k.ok(['run', 'elsewhere', '--image=nginx', '-n', 'other']);
}, 90_000);

const header = (out: string) => table(out)[0];

describe('tables', () => {
  it('get pods prints NAME READY STATUS RESTARTS AGE', async () => {
    const rows = table(await k.ok(['get', 'pods']));
    expect(rows[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    for (const r of rows.slice(1)) {
      expect(r.slice(1, 4)).toEqual(['0/1', 'Pending', '0']);
      expect(r[4]).toMatch(/^\d+s$/);
    }
  });

  it('get pods -o wide adds IP, NODE, NOMINATED NODE, READINESS GATES', async () => {
    const rows = table(await k.ok(['get', 'pods', '-o', 'wide']));
    expect(rows[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const p2 = rows.find((r) => r[0] === 'p2')!;
    expect(p2.slice(5)).toEqual(['<none>', 'n1', '<none>', '<none>']);
    expect(rows.find((r) => r[0] === 'p1')!.slice(5)).toEqual(['<none>', '<none>', '<none>', '<none>']);
  });

  it('other kinds print their upstream columns', async () => {
    await k.ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    await k.ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    await k.ok(['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=2']);
    await k.ok(['create', 'secret', 'generic', 'sec', '--from-literal=a=1']);
    await k.ok(['create', 'job', 'once', '--image=busybox']);
    expect(table(await k.ok(['get', 'deployments']))).toEqual([['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], ['web', '0/2', '0', '0', expect.stringMatching(/^\d+s$/)]]);
    expect(header(await k.ok(['get', 'deployments', '-o', 'wide']))).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const svc = table(await k.ok(['get', 'service', 'web']));
    expect(svc[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(svc[1].slice(0, 5)).toEqual(['web', 'ClusterIP', expect.stringMatching(/^10\.\d+\.\d+\.\d+$/), '<none>', '80/TCP']);
    expect(table(await k.ok(['get', 'configmap', 'cfg']))).toEqual([['NAME', 'DATA', 'AGE'], ['cfg', '2', expect.stringMatching(/^\d+s$/)]]);
    expect(table(await k.ok(['get', 'secret', 'sec']))).toEqual([['NAME', 'TYPE', 'DATA', 'AGE'], ['sec', 'Opaque', '1', expect.stringMatching(/^\d+s$/)]]);
    expect(table(await k.ok(['get', 'namespace', 'other']))).toEqual([['NAME', 'STATUS', 'AGE'], ['other', 'Active', expect.stringMatching(/^\d+s$/)]]);
    expect(header(await k.ok(['get', 'jobs']))).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(table(await k.ok(['get', 'jobs']))[1].slice(0, 3)).toEqual(['once', 'Running', '0/1']);
    const missing = await k.fails(['get', 'pods', 'nope']);
    expect(missing.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
    const none = await k.run(['get', 'pods', '-n', 'kube-public']);
    expect(none.code).toBe(0);
    expect(none.stderr).toBe('No resources found in kube-public namespace.\n');
  });
});

describe('label columns and logs', () => {
  it('--show-labels and -L add label columns', async () => {
    const rows = table(await k.ok(['get', 'pods', '--show-labels']));
    expect(rows[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'LABELS']);
    expect(rows.find((r) => r[0] === 'p4')![5]).toBe('app=shop,tier=back');
    const byTier = table(await k.ok(['get', 'pods', '-L', 'tier,missing']));
    expect(byTier[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'TIER', 'MISSING']);
    expect(byTier.find((r) => r[0] === 'p1')![5]).toBe('front');
  });

  it('logs of a pod no node runs yet is a clear error', async () => {
    const r = await k.fails(['logs', 'p1']);
    expect(r.stderr).toBe('Error from server (BadRequest): pod p1 does not have a host assigned\n');
  });
});

describe('output formats', () => {
  it('-o yaml, -o json and -o name', async () => {
    const y = await k.ok(['get', 'pod', 'p1', '-o', 'yaml']);
    expect(y).toMatch(/^apiVersion: v1\nkind: Pod\nmetadata:\n/);
    expect(y).toContain('  name: p1\n');
    expect(y).toContain('    tier: front\n');
    const list = JSON.parse(await k.ok(['get', 'pods', '-o', 'json']));
    expect(list.kind).toBe('List');
    expect(list.items.map((p: any) => p.metadata.name)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(list.items.every((p: any) => p.kind === 'Pod' && p.apiVersion === 'v1')).toBe(true);
    expect(await k.ok(['get', 'pods', '-o', 'name'])).toBe('pod/p1\npod/p2\npod/p3\npod/p4\npod/p5\n');
    expect(await k.ok(['get', 'deploy', '-o', 'name'])).toBe('deployment.apps/web\n');
  });

  it('-o jsonpath and -o custom-columns', async () => {
    expect(await k.ok(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe('p1 p2 p3 p4 p5');
    expect(await k.ok(['get', 'pod', 'p2', '-o', 'jsonpath={.spec.nodeName}/{.status.phase}/{.metadata.labels.tier}'])).toBe('n1/Pending/front');
    expect(await k.ok(['get', 'pods', '-o', 'jsonpath={range .items[?(@.spec.nodeName=="n1")]}{.metadata.name}{"\\n"}{end}'])).toBe('p2\np4\n');
    expect(table(await k.ok(['get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier,NODE:.spec.nodeName']))).toEqual([
      ['NAME', 'TIER', 'NODE'], ['p1', 'front', '<none>'], ['p2', 'front', 'n1'], ['p3', 'front', '<none>'], ['p4', 'back', 'n1'], ['p5', 'back', '<none>'],
    ]);
  });
});

describe('selectors and scope', () => {
  const names = async (args: string[]) => (await k.ok(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}', ...args])).split(' ').filter(Boolean);

  it('-l with equality, set and existence selectors', async () => {
    expect(await names(['-l', 'tier=back'])).toEqual(['p4', 'p5']);
    expect(await names(['-l', 'tier!=back'])).toEqual(['p1', 'p2', 'p3']);
    expect(await names(['-l', 'tier in (front,back),app=shop'])).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(await names(['-l', '!tier'])).toEqual([]);
    const bad = await k.fails(['get', 'pods', '-l', 'tier in front']);
    expect(bad.stderr).toContain('unable to parse requirement');
  });

  it('--field-selector on name, phase and node', async () => {
    expect(await names(['--field-selector', 'metadata.name=p3'])).toEqual(['p3']);
    expect(await names(['--field-selector', 'spec.nodeName=n1'])).toEqual(['p2', 'p4']);
    expect(await names(['--field-selector', 'spec.nodeName!=n1,status.phase=Pending'])).toEqual(['p1', 'p3', 'p5']);
    expect(await names(['--field-selector', 'status.phase=Running'])).toEqual([]);
    const bad = await k.fails(['get', 'pods', '--field-selector', 'spec.image=busybox']);
    expect(bad.stderr).toContain('field label not supported: spec.image');
  });

  it('-A lists every namespace with a NAMESPACE column', async () => {
    const rows = table(await k.ok(['get', 'pods', '-A']));
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows.slice(1).map((r) => `${r[0]}/${r[1]}`)).toEqual(['default/p1', 'default/p2', 'default/p3', 'default/p4', 'default/p5', 'other/elsewhere']);
    expect(await k.ok(['get', 'pods', '-n', 'other', '-o', 'name'])).toBe('pod/elsewhere\n');
  });

  it('--sort-by', async () => {
    const byName = table(await k.ok(['get', 'pods', '-A', '--sort-by=.metadata.name']));
    expect(byName.slice(1).map((r) => r[1])).toEqual(['elsewhere', 'p1', 'p2', 'p3', 'p4', 'p5']);
    const byNode = await k.ok(['get', 'pods', '--sort-by=.metadata.labels.tier', '-o', 'custom-columns=T:.metadata.labels.tier', '--no-headers']);
    expect(byNode.split('\n').filter(Boolean)).toEqual(['back', 'back', 'front', 'front', 'front']);
  });

  it('--chunk-size=2 pages through 5 objects with continue tokens', async () => {
    for (let i = 1; i <= 5; i++) await k.ok(['create', 'configmap', `page-${i}`, '-n', 'other', `--from-literal=i=${i}`]);
    const r = await k.run(['get', 'configmaps', '-n', 'other', '--chunk-size=2', '-o', 'name', '-v=6']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes('page-'))).toEqual(['configmap/page-1', 'configmap/page-2', 'configmap/page-3', 'configmap/page-4', 'configmap/page-5']);
    const gets = r.stderr.split('\n').filter((l) => /GET \S+\/namespaces\/other\/configmaps\?/.test(l));
    expect(gets.length).toBe(3);
    expect(gets.every((l) => l.includes('limit=2') && l.includes('200 OK'))).toBe(true);
    expect(gets.filter((l) => l.includes('continue=')).length).toBe(2);
  });
});

describe('get -w', () => {
  it('prints a row for the add, the label change and the delete, until killed', async () => {
    const w = k.background(['get', 'pods', '-n', 'other', '-w', '--output-watch-events']);
    try {
      await w.waitFor(/^EVENT\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n(ADDED\s+elsewhere.*\n)/m);
      await k.ok(['run', 'watched', '--image=busybox', '-n', 'other']);
      await w.waitFor(/ADDED\s+watched\s+0\/1\s+Pending\s+0/);
      await k.ok(['label', 'pod', 'watched', 'seen=yes', '-n', 'other']);
      await w.waitFor(/MODIFIED\s+watched\s+0\/1\s+Pending/);
      await k.ok(['delete', 'pod', 'watched', '-n', 'other']);
      await w.waitFor(/DELETED\s+watched/);
      const events = w.stdout.split('\n').filter((l) => l.includes('watched')).map((l) => l.split(/\s+/)[0]);
      expect(events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(w.child.exitCode).toBeNull(); // still watching
    } finally {
      await w.stop();
    }
    // gone: kubectl traps SIGTERM and exits on its own
    expect(w.child.exitCode !== null || w.child.signalCode !== null).toBe(true);
    expect(() => process.kill(w.child.pid!, 0)).toThrow();
  });

  it('a plain -w prints the table rows as they change', async () => {
    const w = k.background(['get', 'pods', '-n', 'other', '-w', '-l', 'app=seen']);
    try {
      await k.ok(['create', '-f', '-', '-n', 'other'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w2', labels: { app: 'seen' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } }) });
      await w.waitFor(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nw2\s+0\/1\s+Pending\s+0/m);
      await k.ok(['delete', 'pod', 'w2', '-n', 'other', '--wait=false']);
      await w.waitFor(/w2\s+0\/1\s+Terminating/);
      await k.ok(['delete', 'pod', 'w2', '-n', 'other', '--grace-period=0', '--force']);
      await w.waitFor(/(w2\s+0\/1\s+Terminating.*\n){2}/);
    } finally {
      await w.stop();
    }
  });
});
