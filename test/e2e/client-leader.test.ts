// Leader election (LeaderElector over a real Lease through leaseClient) with two real processes
// (test/dist/leader-process.js) against a real apiserver: exactly one leads; after SIGKILL of the leader the
// other takes over once the lease has run out (and not before); a leader frozen by SIGSTOP past its lease never
// acts again after SIGCONT (it notices and stops), while the other has taken over.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Cluster, cluster, REPO_ROOT } from '../src';
import { grpcClient, KubeClient, resources } from '@mk8s/apimachinery';
import { sleep, waitFor } from './client-util';

jest.setTimeout(120_000);

const PROGRAM = path.join(REPO_ROOT, 'test', 'dist', 'leader-process.js');
let c: Cluster;
let kube: KubeClient;
const children = new Set<Candidate>();

beforeAll(async () => {
  if (!fs.existsSync(PROGRAM)) throw new Error(`${PROGRAM} is missing: build first (npx tsc -b)`);
  c = await cluster();
  kube = grpcClient(c.apiserver.grpc, 'leader-test');
}, 60_000);

afterAll(async () => {
  for (const ch of children) ch.kill('SIGKILL');
  kube?.close();
  await c?.teardown();
});

interface Line { what: string; id: string; at: number; rest: string[] }

/** One leader-process child and the lines it printed. */
class Candidate {
  readonly lines: Line[] = [];
  stderr = '';
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly child: ChildProcess;
  constructor(readonly id: string, args: string[]) {
    this.child = spawn(process.execPath, [PROGRAM, `--id=${id}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this);
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const parts = buf.slice(0, i).trim().split(' ');
        buf = buf.slice(i + 1);
        if (parts.length >= 3) this.lines.push({ what: parts[0], id: parts[1], at: Number(parts[parts.length - 1]), rest: parts.slice(2, -1) });
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      children.delete(this);
    });
  }
  kill(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }
  of(what: string): Line[] {
    return this.lines.filter((l) => l.what === what);
  }
  leadingAt(): number | undefined {
    return this.of('LEADING')[0]?.at;
  }
  describe(): string {
    return `${this.id}: ${this.lines.filter((l) => l.what !== 'ACTING').map((l) => `${l.what}@${l.at}`).join(' ')}; ` +
      `${this.of('ACTING').length} ACTING; exit ${JSON.stringify(this.exit)}; stderr ${this.stderr.slice(-500)}`;
  }
}

/** The latest a follower can take over after the leader dies: it may see the leader's last renew only one jittered
 *  retry later (retry x (1 + 1.2)), wait out the lease from then, and try again up to one jittered retry after that;
 *  plus 1.5 s for process and apiserver latency on a loaded CI machine. */
const latestTakeover = (lease: number, retry: number) => lease + 2 * retry * 2.2 + 1500;
const timing = (lease: number, renew: number, retry: number) =>
  [`--lease-duration-ms=${lease}`, `--renew-deadline-ms=${renew}`, `--retry-period-ms=${retry}`, '--act-ms=50'];

async function pair(lock: string, extra: string[], transport = `--grpc=${c.apiserver.grpc}`): Promise<[Candidate, Candidate]> {
  const a = new Candidate(`${lock}-a`, [transport, `--name=${lock}`, ...extra]);
  const b = new Candidate(`${lock}-b`, [transport, `--name=${lock}`, ...extra]);
  await waitFor(`one of ${a.id}/${b.id} to lead`, () => a.leadingAt() !== undefined || b.leadingAt() !== undefined, 30_000);
  return a.leadingAt() !== undefined ? [a, b] : [b, a];
}

describe('two real processes', () => {
  it('exactly one leads; after SIGKILL of the leader the other takes over once the lease has run out', async () => {
    const [lease, renew, retry] = [3000, 2000, 500];
    const [leader, follower] = await pair('kill-lock', timing(lease, renew, retry));
    await sleep(2000);
    // only the leader acts, and keeps acting
    expect(leader.of('ACTING').length).toBeGreaterThan(10);
    expect(follower.of('ACTING')).toHaveLength(0);
    expect(follower.leadingAt()).toBeUndefined();
    expect(follower.of('NEWLEADER').map((l) => l.rest[0])).toContain(leader.id);
    const held = await kube.get<any>(resources.leases, 'default', 'kill-lock');
    expect(held.spec.holderIdentity).toBe(leader.id);
    expect(held.spec.leaseDurationSeconds).toBe(3);

    const killedAt = Date.now();
    leader.kill('SIGKILL');
    await waitFor(`${follower.id} to take over (${follower.describe()})`, () => follower.leadingAt() !== undefined, 15_000);
    const gap = follower.leadingAt()! - killedAt;
    // not before the lease (renewed every retry period) could have run out; at the latest the follower first sees
    // the leader's last renew one jittered retry (up to 2.2 x retry) after the kill, and takes over at its first
    // try after that record is leaseDuration old: one more jittered retry
    expect(gap).toBeGreaterThanOrEqual(lease - retry - 300);
    expect(gap).toBeLessThanOrEqual(latestTakeover(lease, retry));
    await waitFor(`${follower.id} to act`, () => follower.of('ACTING').length > 0, 5000);
    const after = await kube.get<any>(resources.leases, 'default', 'kill-lock');
    expect(after.spec.holderIdentity).toBe(follower.id);
    expect(after.spec.leaseTransitions).toBe(held.spec.leaseTransitions + 1);
    follower.kill('SIGTERM');
  });

  it('a leader paused by SIGSTOP never acts after its lease passed to the other, and stops after SIGCONT', async () => {
    const [lease, renew, retry] = [3000, 2000, 500];
    const [leader, follower] = await pair('stop-lock', timing(lease, renew, retry));
    await sleep(1000);
    expect(leader.of('ACTING').length).toBeGreaterThan(5);
    leader.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor(`${follower.id} to take over (${follower.describe()})`, () => follower.leadingAt() !== undefined, 15_000);
    const takeover = follower.leadingAt()!;
    expect(takeover - stoppedAt).toBeGreaterThanOrEqual(lease - retry - 300);
    await waitFor(`${follower.id} to act`, () => follower.of('ACTING').length > 0, 5000);
    await sleep(1000);
    leader.kill('SIGCONT');
    // it wakes with stale timers: the first thing it does is notice its renew deadline passed, and stop
    await waitFor(`${leader.id} to stop leading after SIGCONT (${leader.describe()})`, () => leader.exit !== undefined, 15_000);
    expect(leader.exit).toEqual({ code: 0, signal: null });
    expect(leader.of('STOPPED')).toHaveLength(1);
    const lateActs = leader.of('ACTING').filter((l) => l.at >= takeover);
    expect(lateActs).toEqual([]);
    // every ACTING of the paused leader happened before it was paused (none was held back and done after)
    expect(leader.of('ACTING').every((l) => l.at <= stoppedAt)).toBe(true);
    // the follower is undisturbed and still the holder
    await sleep(1000);
    expect(follower.exit).toBeUndefined();
    expect((await kube.get<any>(resources.leases, 'default', 'stop-lock')).spec.holderIdentity).toBe(follower.id);
    follower.kill('SIGTERM');
  });

  it('with the default timings (15 s lease) over HTTP, the takeover after SIGKILL waits out the lease', async () => {
    const [leader, follower] = await pair('default-lock', ['--act-ms=200'], `--http=${c.apiserver.url}`);
    expect((await kube.get<any>(resources.leases, 'default', 'default-lock')).spec.leaseDurationSeconds).toBe(15);
    const killedAt = Date.now();
    leader.kill('SIGKILL');
    await waitFor(`${follower.id} to take over (${follower.describe()})`, () => follower.leadingAt() !== undefined, 30_000, 100);
    const gap = follower.leadingAt()! - killedAt;
    expect(gap).toBeGreaterThanOrEqual(15_000 - 2000 - 300);
    expect(gap).toBeLessThanOrEqual(latestTakeover(15_000, 2000));
    follower.kill('SIGTERM');
  });

  it('bad flags are refused with a clear message', async () => {
    const bad = new Candidate('bad', [`--grpc=${c.apiserver.grpc}`, ...timing(2000, 3000, 500)]);
    await waitFor('the bad candidate to exit', () => bad.exit !== undefined, 10_000);
    expect(bad.exit?.code).toBe(2);
    expect(bad.stderr).toContain('leaseDuration must be greater than renewDeadline');
    const noTarget = new Candidate('none', []);
    await waitFor('the candidate without a target to exit', () => noTarget.exit !== undefined, 10_000);
    expect(noTarget.exit?.code).toBe(2);
    expect(noTarget.stderr).toContain('usage: leader-process');
  });
});
