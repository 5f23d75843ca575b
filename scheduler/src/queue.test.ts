import { FakeClock } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';
import { Status } from './framework';
import { SchedulingQueue } from './queue';
import { prioritySort } from './plugins/prioritysort';
import { schedulingGates } from './plugins/schedulinggates';

const pod = (name: string, priority = 0, extra: Partial<Pod['spec']> = {}): Pod =>
  ({ metadata: { name, namespace: 'default', uid: name }, spec: { containers: [{ name: 'c' }], priority, ...extra } });

function newQueue(clock = new FakeClock()) {
  const gates = schedulingGates();
  const q = new SchedulingQueue({
    less: prioritySort().less!, clock,
    preEnqueue: p => { const st = gates.preEnqueue!(p); if (st) st.plugin = 'SchedulingGates'; return st as Status | null; },
  });
  return { q, clock };
}
const popName = async (q: SchedulingQueue) => (await q.pop())!.info.pod.metadata!.name;

describe('SchedulingQueue', () => {
  it('pops by priority, then by time entered', async () => {
    const { q, clock } = newQueue();
    q.add(pod('low-old', 0)); clock.advance(10);
    q.add(pod('high', 100)); clock.advance(10);
    q.add(pod('low-new', 0));
    expect([await popName(q), await popName(q), await popName(q)]).toEqual(['high', 'low-old', 'low-new']);
  });

  it('pop waits for a pod', async () => {
    const { q } = newQueue();
    const p = q.pop();
    q.add(pod('later'));
    expect((await p)!.key).toBe('later');
  });

  it('backoff doubles from 1 s to a 10 s cap per pod', async () => {
    const { q } = newQueue();
    q.add(pod('p'));
    const got: number[] = [];
    for (let i = 0; i < 6; i++) { const x = (await q.pop())!; got.push(q.backoffDuration(x)); q.addBackoff(x); q.flushBackoffCompleted(); (q as any).backoff.pop(); (q as any).active.addOrUpdate(x); }
    expect(got).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('a pod in backoff returns to activeQ only when its backoff expires', async () => {
    const { q, clock } = newQueue();
    q.add(pod('p'));
    q.addBackoff((await q.pop())!);
    expect(q.where('p')).toBe('backoff');
    clock.advance(999);
    expect(q.where('p')).toBe('backoff');
    clock.advance(1);
    expect(q.where('p')).toBe('active');
  });

  it('unschedulable pods move only on events their rejecting plugins registered for', async () => {
    const { q, clock } = newQueue();
    q.add(pod('taint')); q.add(pod('fit'));
    q.addUnschedulable((await q.pop())!, new Set(['TaintToleration']));
    q.addUnschedulable((await q.pop())!, new Set(['NodeResourcesFit']));
    expect(q.lengths().unschedulable).toBe(2);
    clock.advance(5000);
    expect(q.moveOnEvent(new Set(['NodeResourcesFit']))).toBe(1);
    expect(q.where('fit')).toBe('active');
    expect(q.where('taint')).toBe('unschedulable');
  });

  it('a move while the pod was in flight sends it to backoffQ, not the unschedulable set', async () => {
    const { q } = newQueue();
    q.add(pod('p'));
    const x = (await q.pop())!;
    q.moveOnEvent(new Set(['NodeAffinity'])); // e.g. a node got labelled during the cycle
    q.addUnschedulable(x, new Set(['NodeAffinity']));
    expect(q.where('p')).toBe('backoff');
  });

  it('moved pods still wait out their backoff', async () => {
    const { q, clock } = newQueue();
    q.add(pod('p'));
    q.addUnschedulable((await q.pop())!, new Set(['X']));
    clock.advance(200);
    q.moveOnEvent(new Set(['X']));
    expect(q.where('p')).toBe('backoff');
    clock.advance(800);
    expect(q.where('p')).toBe('active');
  });

  it('pods left unschedulable for 5 minutes go back anyway', async () => {
    const { q, clock } = newQueue();
    q.add(pod('p'));
    q.addUnschedulable((await q.pop())!, new Set(['X']));
    clock.advance(4 * 60_000);
    q.flushUnschedulableLeftover();
    expect(q.where('p')).toBe('unschedulable');
    clock.advance(60_000);
    q.flushUnschedulableLeftover();
    expect(q.where('p')).toBe('active');
  });

  it('scheduling gates park a pod until an update removes them', () => {
    const { q } = newQueue();
    const gated = pod('g', 0, { schedulingGates: [{ name: 'wait' }] });
    q.add(gated);
    expect(q.lengths()).toMatchObject({ active: 0, gated: 1 });
    expect(q.moveOnEvent(new Set(['SchedulingGates', 'NodeAffinity']))).toBe(0);
    q.update(gated, pod('g'));
    expect(q.where('g')).toBe('active');
  });

  it('an update of the spec moves an unschedulable pod; a status-only update does not', async () => {
    const { q, clock } = newQueue();
    const p = pod('p');
    q.add(p);
    q.addUnschedulable((await q.pop())!, new Set(['X']));
    clock.advance(2000);
    const statusOnly = { ...p, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } } as Pod;
    q.update(p, statusOnly);
    expect(q.where('p')).toBe('unschedulable');
    q.update(statusOnly, { ...statusOnly, spec: { ...statusOnly.spec!, nodeSelector: { a: 'b' } } });
    expect(q.where('p')).toBe('active');
  });

  it('deleted pods leave every queue, also while in flight', async () => {
    const { q } = newQueue();
    q.add(pod('a')); q.add(pod('b'));
    q.delete(pod('a'));
    const x = (await q.pop())!;
    expect(x.key).toBe('b');
    q.delete(pod('b'));
    q.addUnschedulable(x, new Set());
    expect(q.where('b')).toBeUndefined();
  });

  it('an unparsable pod is reported, not queued', () => {
    const bad: string[] = [];
    const q = new SchedulingQueue({ less: prioritySort().less!, preEnqueue: () => null, onBadPod: (_p, e) => bad.push(e.message) });
    q.add({ metadata: { name: 'bad', uid: 'bad' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: 'lots' } } }] } });
    expect(q.where('bad')).toBeUndefined();
    expect(bad[0]).toMatch(/lots/);
    q.close();
  });
});
