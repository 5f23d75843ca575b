import { Registry } from 'prom-client';
import { FakeClock } from './clock';
import {
  BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, Queue,
} from './workqueue';
import { promWorkqueueMetrics } from './workqueue-metrics';

const settle = () => new Promise(r => setImmediate(r));

describe('Queue basics', () => {
  test('FIFO with dedup of waiting keys', async () => {
    const q = new Queue();
    q.add('a'); q.add('b'); q.add('a'); q.add('c'); q.add('b');
    expect(q.len()).toBe(3);
    expect((await q.get()).key).toBe('a');
    expect((await q.get()).key).toBe('b');
    expect((await q.get()).key).toBe('c');
    expect(q.len()).toBe(0);
  });

  test('a key in flight is not handed out again until done, then exactly once', async () => {
    const q = new Queue();
    q.add('a');
    const first = await q.get();
    expect(first.key).toBe('a');
    q.add('a'); q.add('a');
    expect(q.len()).toBe(0); // waiting in dirty, not queued while processing
    let second: string | undefined;
    void q.get().then(r => { second = r.key; });
    await settle();
    expect(second).toBeUndefined();
    q.done('a');
    await settle();
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  test('done without re-add does not requeue', async () => {
    const q = new Queue();
    q.add('x');
    await q.get();
    q.done('x');
    expect(q.len()).toBe(0);
  });

  test('waiting getters are served in order as keys arrive', async () => {
    const q = new Queue();
    const got: string[] = [];
    const p1 = q.get().then(r => got.push(`1:${r.key}`));
    const p2 = q.get().then(r => got.push(`2:${r.key}`));
    q.add('a'); q.add('b');
    await Promise.all([p1, p2]);
    expect(got).toEqual(['1:a', '2:b']);
  });

  test('concurrent workers never process the same key at once', async () => {
    const q = new Queue();
    const inFlight = new Set<string>();
    let overlaps = 0, processed = 0;
    const worker = async () => {
      for (;;) {
        const { key, shutdown } = await q.get();
        if (shutdown) return;
        if (inFlight.has(key)) overlaps++;
        inFlight.add(key);
        await settle();
        if (Math.random() < 0.3) q.add(key); // a change arrives while processing
        inFlight.delete(key);
        processed++;
        q.done(key);
      }
    };
    const workers = Array.from({ length: 5 }, worker);
    for (let i = 0; i < 200; i++) { q.add(`k${i % 7}`); if (i % 10 === 0) await settle(); }
    await settle(); await settle();
    await q.shutDownWithDrain();
    q.shutDown();
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(processed).toBeGreaterThanOrEqual(7);
  });
});

describe('shutdown', () => {
  test('shutDown ignores new adds, still hands out queued keys, then reports shutdown', async () => {
    const q = new Queue();
    q.add('a');
    const waiting = new Queue();
    const blocked = waiting.get();
    waiting.shutDown();
    expect(await blocked).toEqual({ key: undefined, shutdown: true });
    q.shutDown();
    q.add('b');
    expect(await q.get()).toEqual({ key: 'a', shutdown: false });
    expect(await q.get()).toEqual({ key: undefined, shutdown: true });
    expect(q.isShuttingDown()).toBe(true);
  });

  test('shutDownWithDrain waits for in-flight keys', async () => {
    const q = new Queue();
    q.add('a');
    await q.get();
    let drained = false;
    const p = q.shutDownWithDrain().then(() => { drained = true; });
    await settle();
    expect(drained).toBe(false);
    q.done('a');
    await p;
    expect(drained).toBe(true);
  });
});

describe('delaying and rate limiting', () => {
  test('addAfter delivers when due and keeps the earliest deadline', async () => {
    const clock = new FakeClock(0);
    const q = new Queue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    q.addAfter('b', 200);
    clock.advance(49);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect((await q.get()).key).toBe('a');
    clock.advance(149);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect((await q.get()).key).toBe('b');
    clock.advance(10_000);
    expect(q.len()).toBe(0); // the 500 ms entry for 'a' was superseded by the earlier one
  });

  test('addAfter with no delay adds at once; shutdown drops delayed keys', () => {
    const clock = new FakeClock(0);
    const q = new Queue({ clock });
    q.addAfter('now', 0);
    expect(q.len()).toBe(1);
    q.addAfter('later', 100);
    q.shutDown();
    expect(clock.pending()).toBe(0);
    clock.advance(1000);
    expect(q.len()).toBe(1);
  });

  test('exponential per-item limiter: 5ms doubling, capped, forget resets', () => {
    const l = new ItemExponentialFailureRateLimiter<string>(5, 1000_000);
    expect([l.when('a'), l.when('a'), l.when('a'), l.when('b')]).toEqual([5, 10, 20, 5]);
    expect(l.numRequeues('a')).toBe(3);
    for (let i = 0; i < 40; i++) l.when('a');
    expect(l.when('a')).toBe(1000_000);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(5);
  });

  test('token bucket: burst 100 free, then 100 ms apart at 10 qps, refills over time', () => {
    const clock = new FakeClock(0);
    const b = new BucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i++) expect(b.when()).toBe(0);
    expect(b.when()).toBeCloseTo(100);
    expect(b.when()).toBeCloseTo(200);
    clock.advance(10_000 + 200);
    expect(b.when()).toBe(0);
  });

  test('default controller limiter is the max of both', () => {
    const clock = new FakeClock(0);
    const l = defaultControllerRateLimiter<string>(clock);
    expect(l.when('x')).toBe(5);
    expect(l.when('x')).toBe(10);
    for (let i = 0; i < 98; i++) l.when(`y${i}`);
    expect(l.when('z')).toBeCloseTo(100); // bucket exhausted dominates the 5 ms
    expect(l.numRequeues('x')).toBe(2);
    l.forget('x');
    expect(l.numRequeues('x')).toBe(0);
    expect(new MaxOfRateLimiter<string>().when('q')).toBe(0);
  });

  test('addRateLimited backs off per key; forget and numRequeues go through the limiter', async () => {
    const clock = new FakeClock(0);
    const q = new Queue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    q.addRateLimited('k');
    q.addRateLimited('k');
    expect(q.numRequeues('k')).toBe(2);
    clock.advance(4);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect((await q.get()).key).toBe('k');
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
  });
});

describe('metrics', () => {
  test('prom-client hooks record depth, adds, latency and work duration', async () => {
    const registry = new Registry();
    const clock = new FakeClock(0);
    const q = new Queue({ name: 'test', clock, metrics: promWorkqueueMetrics('test', registry) });
    const q2 = new Queue({ name: 'other', clock, metrics: promWorkqueueMetrics('other', registry) });
    q.add('a'); q.add('b'); q.add('a'); q2.add('z');
    clock.advance(2000);
    const { key } = await q.get();
    clock.advance(500);
    q.done(key!);
    q.addAfter('c', 10);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="test"} 2');
    expect(text).toContain('workqueue_adds_total{name="other"} 1');
    expect(text).toContain('workqueue_depth{name="test"} 1');
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="test"} 2');
    expect(text).toContain('workqueue_work_duration_seconds_sum{name="test"} 0.5');
    expect(text).toContain('workqueue_retries_total{name="test"} 1');
  });
});
