// Two scheduler processes on one Lease kube-system/kube-scheduler: only the leader binds; after kill -9 of the
// leader the standby takes over within the lease duration. Plus --config profiles and bad flags/config.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { clientFromKubeconfig, KubeClient, resources } from '@mk8s/apimachinery';
import { hollowNode } from '@mk8s/scheduler';
import { Cluster, cluster, REPO_ROOT, sessionDir } from '../src';

jest.setTimeout(60_000);

let c: Cluster;
let kube: KubeClient;
const started: ChildProcess[] = [];
const MAIN = path.join(REPO_ROOT, 'scheduler/dist/main.js');
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function startScheduler(name: string, args: string[]) {
  const log = path.join(sessionDir(), `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [MAIN, `--kubeconfig=${c.kubeconfig}`, '--port=0', '--log-format=json', ...args], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  started.push(child);
  return { child, log: () => fs.readFileSync(log, 'utf8') };
}
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const pod = (name: string, schedulerName?: string) => kube.create(resources.pods, 'default', {
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { schedulerName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m' } } }] },
});
const nodeOf = async (name: string) => (await kube.get(resources.pods, 'default', name)).spec?.nodeName as string | undefined;

beforeAll(async () => {
  c = await cluster();
  kube = clientFromKubeconfig(c.kubeconfig, 'e2e-scheduler-leader');
  await kube.create(resources.nodes, undefined, hollowNode('n1'));
  await kube.create(resources.nodes, undefined, hollowNode('n2', { labels: { pool: 'batch' } }));
});
afterAll(() => {
  for (const ch of started) if (ch.pid && ch.exitCode === null && ch.signalCode === null) process.kill(ch.pid, 'SIGKILL');
  kube?.close();
});

const LEASE = ['--leader-elect-lease-duration=3s', '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=300ms'];

describe('leader election', () => {
  it('only the leader schedules; the standby takes over within the lease duration after kill -9', async () => {
    const a = startScheduler('sched-a', LEASE);
    await waitFor('a leads', async () => a.log().includes('started leading'));
    const b = startScheduler('sched-b', LEASE);
    await waitFor('b is a standby', async () => b.log().includes('"message":"leader is"'));
    const lease = await kube.get(resources.leases, 'kube-system', 'kube-scheduler');
    expect(lease.spec.holderIdentity).toBe(/"identity":"([^"]+)"/.exec(a.log())![1]);
    await pod('before');
    await waitFor('before bound', () => nodeOf('before'));
    expect(b.log()).not.toContain('started leading');

    process.kill(a.child.pid!, 'SIGKILL');
    const killedAt = Date.now();
    await pod('after');
    await waitFor('b leads', async () => b.log().includes('started leading'), 10_000);
    await waitFor('after bound', () => nodeOf('after'), 10_000);
    const took = Date.now() - killedAt;
    // lease duration, two jittered retries (the last renew seen late, then the first try after expiry), 1.5 s for the bind
    expect(took).toBeLessThan(3000 + 2 * 300 * 2.2 + 1500);
    const newLease = await kube.get(resources.leases, 'kube-system', 'kube-scheduler');
    expect(newLease.spec.holderIdentity).toBe(/"identity":"([^"]+)"/.exec(b.log())![1]);
    expect(newLease.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
    process.kill(b.child.pid!, 'SIGTERM');
    await new Promise(r => b.child.once('exit', r));
  });
});

describe('--config', () => {
  it('profiles by schedulerName with disabled plugins; pods of an unknown scheduler are left alone', async () => {
    const cfg = path.join(sessionDir(), 'sched.yaml');
    fs.writeFileSync(cfg, [
      'apiVersion: kubescheduler.config.k8s.io/v1',
      'kind: KubeSchedulerConfiguration',
      'profiles:',
      '- schedulerName: default-scheduler',
      '- schedulerName: batch-scheduler',
      '  plugins:',
      '    score:',
      '      disabled: [{ name: "*" }]',
      '      enabled: [{ name: NodeAffinity, weight: 5 }]',
      '    filter:',
      '      disabled: [{ name: TaintToleration }]',
      '',
    ].join('\n'));
    await kube.patch(resources.nodes, undefined, 'n2', 'merge', { spec: { taints: [{ key: 'batch-only', effect: 'NoSchedule' }] } });
    const s = startScheduler('sched-config', [`--config=${cfg}`, '--leader-elect=false']);
    await pod('batch-1', 'batch-scheduler');
    await pod('other', 'someone-else');
    await waitFor('batch-1 bound', () => nodeOf('batch-1'));
    await pod('default-1');
    expect(await waitFor('default-1 bound', () => nodeOf('default-1'))).toBe('n1'); // default profile honours the taint
    await sleep(500);
    expect(await nodeOf('other')).toBeUndefined();
    // the batch profile ignores taints: over 10 pods some land on the tainted n2
    for (let i = 2; i <= 10; i++) await pod(`batch-${i}`, 'batch-scheduler');
    const placed = await Promise.all(Array.from({ length: 10 }, (_, i) => waitFor(`batch-${i + 1}`, () => nodeOf(`batch-${i + 1}`))));
    expect(placed).toContain('n2');
    process.kill(s.child.pid!, 'SIGTERM');
    await new Promise(r => s.child.once('exit', r));
  });

  it('a bad config or flag is a clear error and exit code 2', () => {
    const cfg = path.join(sessionDir(), 'bad.yaml');
    fs.writeFileSync(cfg, 'profiles:\n- schedulerName: x\n  plugins:\n    score:\n      enabled: [{ name: NoSuchPlugin }]\n');
    const r = spawnSync(process.execPath, [MAIN, `--kubeconfig=${c.kubeconfig}`, `--config=${cfg}`], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('scheduler config: profiles[0].plugins.score.enabled[0]: unknown plugin "NoSuchPlugin"');
    const d = spawnSync(process.execPath, [MAIN, `--kubeconfig=${c.kubeconfig}`, '--leader-elect-lease-duration=soon'], { encoding: 'utf8' });
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('--leader-elect-lease-duration: bad duration "soon"');
    const u = spawnSync(process.execPath, [MAIN, '--bogus=1'], { encoding: 'utf8' });
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('unknown flag --bogus');
  });
});
