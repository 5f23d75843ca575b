import { FakeClock, flushPromises } from './clock';
import {
  FakeLeaseClient, formatMicroTime, LeaderElectionConfig, LeaderElector, parseMicroTime, validateLeaderElectionConfig,
} from './leaderelection';

interface Candidate { elector: LeaderElector; log: string[]; signal?: AbortSignal; ac: AbortController; done: Promise<void> }

function candidate(id: string, client: FakeLeaseClient, clock: FakeClock, extra: Partial<LeaderElectionConfig> = {}): Candidate {
  const log: string[] = [];
  const c: Partial<Candidate> = { log, ac: new AbortController() };
  c.elector = new LeaderElector({
    namespace: 'kube-system', name: 'kube-controller-manager', identity: id, client, clock, random: () => 0,
    callbacks: {
      onStartedLeading: s => { c.signal = s; log.push(`started@${clock.now()}`); },
      onStoppedLeading: () => log.push(`stopped@${clock.now()}`),
      onNewLeader: who => log.push(`leader=${who}`),
    },
    ...extra,
  });
  c.done = c.elector.run(c.ac!.signal);
  return c as Candidate;
}

const lease = (client: FakeLeaseClient) => client.peek('kube-system', 'kube-controller-manager')!;

describe('LeaderElector', () => {
  test('a lone candidate creates the lease and renews every retry period', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const t0 = clock.now();
    const client = new FakeLeaseClient();
    const a = candidate('a', client, clock);
    await flushPromises();
    expect(a.log).toEqual(['leader=a', `started@${t0}`]);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.getLeader()).toBe('a');
    expect(lease(client).spec).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2024-01-01T00:00:00.000000Z',
      renewTime: '2024-01-01T00:00:00.000000Z', leaseTransitions: 0 });
    expect(lease(client).kind).toBe('Lease');
    await clock.advanceAsync(2000);
    expect(lease(client).spec!.renewTime).toBe('2024-01-01T00:00:02.000000Z');
    expect(lease(client).spec!.acquireTime).toBe('2024-01-01T00:00:00.000000Z');
    await clock.advanceAsync(20_000, 1000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.signal!.aborted).toBe(false);
    a.ac.abort();
    await a.done;
    expect(a.signal!.aborted).toBe(true);
    expect(a.log.at(-1)).toBe(`stopped@${clock.now()}`);
  });

  test('a second candidate waits out leaseDuration after the leader vanishes, then takes over', async () => {
    const clock = new FakeClock(0);
    const client = new FakeLeaseClient();
    const a = candidate('a', client, clock);
    await flushPromises();
    const b = candidate('b', client, clock);
    await clock.advanceAsync(10_000, 500);
    expect(b.log).toEqual(['leader=a']);
    expect(b.elector.isLeader()).toBe(false);
    // a dies without releasing: stop its loops by aborting, but keep the lease as it was
    client.unreachable = true;
    a.ac.abort();
    await a.done;
    client.unreachable = false;
    const lastRenew = parseMicroTime(lease(client).spec!.renewTime)!;
    await clock.advanceAsync(30_000, 500);
    expect(b.log.filter(l => l.startsWith('started')).length).toBe(1);
    const startedAt = Number(b.log.find(l => l.startsWith('started'))!.split('@')[1]);
    expect(startedAt).toBeGreaterThanOrEqual(lastRenew + 15_000);
    expect(startedAt).toBeLessThanOrEqual(lastRenew + 15_000 + 2000 * 2.2);
    expect(lease(client).spec!.holderIdentity).toBe('b');
    expect(lease(client).spec!.leaseTransitions).toBe(1);
    expect(b.log).toContain('leader=b');
    b.ac.abort();
    await b.done;
  });

  test('releaseOnCancel hands the lease over without waiting', async () => {
    const clock = new FakeClock(0);
    const client = new FakeLeaseClient();
    const a = candidate('a', client, clock, { releaseOnCancel: true });
    await flushPromises();
    const b = candidate('b', client, clock);
    await flushPromises();
    a.ac.abort();
    await a.done;
    expect(lease(client).spec!.holderIdentity).toBe('');
    await clock.advanceAsync(2000 * 2.2, 100);
    expect(lease(client).spec!.holderIdentity).toBe('b');
    expect(lease(client).spec!.leaseTransitions).toBe(1);
    b.ac.abort();
    await b.done;
  });

  test('a leader that cannot renew stops within renewDeadline, before the lease expires for others', async () => {
    const clock = new FakeClock(0);
    const client = new FakeLeaseClient();
    const errors: string[] = [];
    const a = candidate('a', client, clock, { onError: (_e, what) => errors.push(what) });
    await clock.advanceAsync(4000, 500);
    const lastRenew = parseMicroTime(lease(client).spec!.renewTime)!;
    client.unreachable = true;
    await clock.advanceAsync(9000, 250);
    expect(a.signal!.aborted).toBe(false); // still within the deadline
    await clock.advanceAsync(3000, 250);
    expect(a.signal!.aborted).toBe(true);
    const stoppedAt = Number(a.log.find(l => l.startsWith('stopped'))!.split('@')[1]);
    expect(stoppedAt - lastRenew).toBeGreaterThanOrEqual(10_000);
    expect(stoppedAt - lastRenew).toBeLessThan(15_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(errors).toContain('error retrieving lease');
    await a.done;
  });

  test('after a freeze longer than renewDeadline, isLeader() is false at once and leadership is dropped', async () => {
    const clock = new FakeClock(0);
    const client = new FakeLeaseClient();
    const a = candidate('a', client, clock);
    await clock.advanceAsync(3000, 500);
    expect(a.elector.isLeader()).toBe(true);
    clock.jump(11_000); // SIGSTOP ... SIGCONT: no timer ran meanwhile
    expect(a.elector.isLeader()).toBe(false);
    expect(a.signal!.aborted).toBe(true);
    expect(a.log.some(l => l.startsWith('stopped'))).toBe(true);
    await flushPromises();
    await a.done;
    // a shorter freeze is tolerated
    const client2 = new FakeLeaseClient();
    const b = candidate('b', client2, clock);
    await flushPromises();
    clock.jump(9_000);
    expect(b.elector.isLeader()).toBe(true);
    b.ac.abort();
    await b.done;
  });

  test('a timer firing late after a freeze does not renew a lease that may be gone', async () => {
    const clock = new FakeClock(0);
    const client = new FakeLeaseClient();
    const a = candidate('a', client, clock);
    await flushPromises();
    const writesBefore = lease(client).metadata.resourceVersion;
    clock.jump(16_000);
    await clock.advanceAsync(1, 1); // the overdue renew timer fires now
    expect(a.signal!.aborted).toBe(true);
    expect(lease(client).metadata.resourceVersion).toBe(writesBefore);
    await a.done;
  });

  test('concurrent candidates on an expired lease: the CAS lets exactly one win', async () => {
    const clock = new FakeClock(0);
    const client = new FakeLeaseClient();
    await client.create({ metadata: { namespace: 'kube-system', name: 'kube-controller-manager' },
      spec: { holderIdentity: 'old', leaseDurationSeconds: 15, renewTime: formatMicroTime(0), leaseTransitions: 4 } });
    const cs = ['x', 'y', 'z'].map(id => candidate(id, client, clock));
    await clock.advanceAsync(40_000, 250);
    const leaders = cs.filter(c => c.elector.isLeader());
    expect(leaders.length).toBe(1);
    expect(lease(client).spec!.leaseTransitions).toBe(5);
    for (const c of cs) c.ac.abort();
    await Promise.all(cs.map(c => c.done));
  });

  test('config validation uses upstream messages', () => {
    const base = { namespace: 'ns', name: 'n', identity: 'me', client: new FakeLeaseClient(),
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} } };
    expect(() => validateLeaderElectionConfig({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }))
      .toThrow('leaseDuration must be greater than renewDeadline');
    expect(() => validateLeaderElectionConfig({ ...base, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }))
      .toThrow('renewDeadline must be greater than retryPeriod*JitterFactor');
    expect(() => validateLeaderElectionConfig({ ...base, identity: '' })).toThrow('Lock identity is empty');
    expect(() => validateLeaderElectionConfig(base)).not.toThrow();
  });

  test('MicroTime has six fractional digits', () => {
    expect(formatMicroTime(Date.UTC(2024, 4, 5, 6, 7, 8, 9))).toBe('2024-05-05T06:07:08.009000Z');
    expect(parseMicroTime('2024-05-05T06:07:08.009000Z')).toBe(Date.UTC(2024, 4, 5, 6, 7, 8, 9));
    expect(parseMicroTime('garbage')).toBeUndefined();
  });
});
