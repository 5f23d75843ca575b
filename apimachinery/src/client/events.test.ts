import { StatusError } from '../api/errors';
import { FakeClock } from './clock';
import { CoreEvent, EventPatch, EventRecorder, EventSink, formatTime, generateEventName, sprintf, uniqueEventNanos } from './events';

class FakeSink implements EventSink {
  events = new Map<string, CoreEvent>();
  calls: string[] = [];
  failures: Error[] = [];
  private rv = 0;
  private fail() { const f = this.failures.shift(); if (f) throw f; }
  async create(ev: CoreEvent) {
    this.calls.push(`create ${ev.metadata.name}`);
    this.fail();
    const key = `${ev.metadata.namespace}/${ev.metadata.name}`;
    if (this.events.has(key)) throw new StatusError(409, 'AlreadyExists', 'exists');
    const stored = structuredClone({ ...ev, metadata: { ...ev.metadata, resourceVersion: String(++this.rv) } });
    this.events.set(key, stored);
    return structuredClone(stored);
  }
  async patch(ev: CoreEvent, patch: EventPatch) {
    this.calls.push(`patch ${ev.metadata.name} ${JSON.stringify(patch)}`);
    this.fail();
    const key = `${ev.metadata.namespace}/${ev.metadata.name}`;
    const cur = this.events.get(key);
    if (!cur) throw new StatusError(404, 'NotFound', 'not found');
    const stored = { ...cur, ...patch, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } };
    this.events.set(key, stored);
    return structuredClone(stored);
  }
  async update(ev: CoreEvent) { this.calls.push(`update ${ev.metadata.name}`); return ev; }
  list() { return [...this.events.values()]; }
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', uid: 'u1', resourceVersion: '7' } };

function setup(opts = {}) {
  const clock = new FakeClock(Date.UTC(2024, 0, 1, 0, 0, 0));
  const sink = new FakeSink();
  const errors: string[] = [];
  const rec = new EventRecorder(sink, { component: 'replicaset-controller' }, {
    clock, random: () => 0.5, onError: (e, what) => errors.push(`${what}: ${(e as Error).message}`), ...opts,
  });
  return { clock, sink, rec, errors };
}

describe('EventRecorder', () => {
  test('creates a v1 Event with upstream fields and name', async () => {
    const { sink, rec, clock } = setup();
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned prod/web-1 to node1');
    await rec.flush();
    const [ev] = sink.list();
    expect(ev.metadata.name).toBe(`web-1.${(BigInt(clock.now()) * 1_000_000n).toString(16)}`);
    expect(ev.metadata.namespace).toBe('prod');
    expect(ev.involvedObject).toEqual({ kind: 'Pod', namespace: 'prod', name: 'web-1', uid: 'u1', apiVersion: 'v1', resourceVersion: '7' });
    expect(ev).toMatchObject({ apiVersion: 'v1', kind: 'Event', reason: 'Scheduled', type: 'Normal', count: 1,
      firstTimestamp: '2024-01-01T00:00:00Z', lastTimestamp: '2024-01-01T00:00:00Z',
      source: { component: 'replicaset-controller' }, reportingComponent: 'replicaset-controller', reportingInstance: '' });
  });

  test('an identical event is patched: count and lastTimestamp move, the name stays', async () => {
    const { sink, rec, clock } = setup();
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await rec.flush();
    const name = sink.list()[0].metadata.name;
    clock.jump(30_000);
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    clock.jump(30_000);
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await rec.flush();
    expect(sink.list().length).toBe(1);
    expect(sink.calls).toEqual([
      `create ${name}`,
      `patch ${name} {"count":2,"lastTimestamp":"2024-01-01T00:00:30Z","message":"Back-off restarting failed container"}`,
      `patch ${name} {"count":3,"lastTimestamp":"2024-01-01T00:01:00Z","message":"Back-off restarting failed container"}`,
    ]);
    expect(sink.list()[0]).toMatchObject({ count: 3, firstTimestamp: '2024-01-01T00:00:00Z', lastTimestamp: '2024-01-01T00:01:00Z' });
  });

  test('a different message or object is a new event', async () => {
    const { sink, rec, clock } = setup();
    rec.event(pod, 'Normal', 'Pulled', 'image a');
    clock.jump(1);
    rec.event(pod, 'Normal', 'Pulled', 'image b');
    clock.jump(1);
    rec.event({ ...pod, metadata: { ...pod.metadata, name: 'web-2', uid: 'u2' } }, 'Normal', 'Pulled', 'image a');
    await rec.flush();
    expect(sink.list().map(e => e.count)).toEqual([1, 1, 1]);
  });

  test('if the event to patch is gone, it is created again', async () => {
    const { sink, rec } = setup();
    rec.event(pod, 'Normal', 'Killing', 'Stopping container');
    await rec.flush();
    sink.events.clear();
    rec.event(pod, 'Normal', 'Killing', 'Stopping container');
    await rec.flush();
    expect(sink.calls.slice(1).map(c => c.split(' ')[0])).toEqual(['patch', 'create']);
    expect(sink.list()[0].count).toBe(2);
    expect(sink.list()[0].metadata.resourceVersion).toBe('2');
  });

  test('10 similar events (same reason, different messages) in 10 min are combined', async () => {
    const { sink, rec, clock } = setup();
    for (let i = 1; i <= 12; i++) { rec.event(pod, 'Warning', 'FailedCreate', `error ${i}`); clock.jump(1000); }
    await rec.flush();
    const all = sink.list();
    const combined = all.filter(e => e.message.startsWith('(combined from similar events): '));
    expect(all.length - combined.length).toBe(9);
    expect(combined.length).toBe(1);
    expect(combined[0].message).toBe('(combined from similar events): error 12');
    expect(combined[0].count).toBe(3); // the 10th, 11th and 12th
    // after the window, messages count afresh
    clock.jump(601_000);
    rec.event(pod, 'Warning', 'FailedCreate', 'error 13');
    await rec.flush();
    expect(sink.list().at(-1)!.message).toBe('error 13');
  });

  test('spam filter: 25 events per object at once, then 1 per 5 minutes', async () => {
    const { sink, rec, clock } = setup();
    for (let i = 0; i < 30; i++) { rec.event(pod, 'Normal', `Reason${i}`, 'm'); clock.jump(1); }
    await rec.flush();
    expect(sink.calls.length).toBe(25);
    clock.jump(299_000);
    rec.event(pod, 'Normal', 'Late', 'm');
    await rec.flush();
    expect(sink.calls.length).toBe(25);
    clock.jump(1000);
    rec.event(pod, 'Normal', 'Later', 'm');
    await rec.flush();
    expect(sink.calls.length).toBe(26);
    // another object has its own bucket
    rec.event({ ...pod, metadata: { ...pod.metadata, name: 'other', uid: 'u9' } }, 'Normal', 'X', 'm');
    await rec.flush();
    expect(sink.calls.length).toBe(27);
  });

  test('transport errors are retried, API rejections are not; bad input is reported, not thrown', async () => {
    const { sink, rec, clock, errors } = setup({ sleepMs: 1000 });
    sink.failures.push(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'));
    rec.event(pod, 'Normal', 'A', 'm');
    await clock.advanceAsync(5000, 100);
    await rec.flush();
    expect(sink.calls.filter(c => c.startsWith('create')).length).toBe(3);
    expect(sink.list().length).toBe(1);
    sink.failures.push(new StatusError(403, 'Forbidden', 'events is forbidden'));
    rec.event(pod, 'Normal', 'B', 'm');
    await rec.flush();
    expect(sink.calls.filter(c => c.startsWith('create')).length).toBe(4);
    expect(errors.some(e => e.startsWith('Server rejected event'))).toBe(true);
    rec.event(pod, 'Bogus', 'C', 'm');
    rec.event({ metadata: {} }, 'Normal', 'C', 'm');
    await rec.flush();
    expect(errors.some(e => e.includes("Unsupported event type: 'Bogus'"))).toBe(true);
    expect(errors.some(e => e.includes('Could not construct reference'))).toBe(true);
  });

  test('helpers', () => {
    expect(sprintf('created pod: %s (%d) %q %v 100%%', 'web-1', 3, 'x', { a: 1 })).toBe('created pod: web-1 (3) "x" {"a":1} 100%');
    expect(sprintf('%s %s', 'only')).toBe('only %!s(MISSING)');
    expect(formatTime(Date.UTC(2024, 1, 2, 3, 4, 5, 678))).toBe('2024-02-02T03:04:05Z');
    expect(generateEventName('web-1', 1000)).toBe('web-1.3b9aca00');
    expect(generateEventName('Bad_Name', 1000)).toMatch(/^[0-9a-f-]{36}$/);
    // events within one millisecond still get distinct names
    const now = Date.now();
    const names = new Set([1, 2, 3].map(() => generateEventName('web-1', now, uniqueEventNanos(now))));
    expect(names.size).toBe(3);
  });
});
