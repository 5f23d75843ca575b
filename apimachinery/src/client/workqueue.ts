// Controller work queue with client-go's semantics (util/workqueue: queue.go, delaying_queue.go,
// rate_limiting_queue.go, default_rate_limiters.go):
// - a key waits at most once (the `dirty` set), however often it is added;
// - a key handed to a worker (`processing`) is never handed to another until `done(key)`; if it was added again
//   meanwhile it is queued once more at `done`, so no change is lost and no key is processed twice at once;
// - `addAfter` delays (keeping the earliest deadline per key), `addRateLimited` delays by the rate limiter;
// - after `shutDown` adds are ignored, queued keys are still handed out, then `get` reports shutdown.

import { Clock, realClock } from './clock';

// ---------------- rate limiters ----------------

export interface RateLimiter<K> {
  /** How long to wait before the item may be retried (also counts the failure). */
  when(item: K): number;
  /** Stop tracking the item (call after it was processed successfully). */
  forget(item: K): void;
  /** How many failures the item has had since it was last forgotten. */
  numRequeues(item: K): number;
}

/** baseDelay × 2^failures, capped at maxDelay (ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private failures = new Map<K, number>();
  constructor(private readonly baseDelayMs: number, private readonly maxDelayMs: number) {}
  when(item: K): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const backoff = this.baseDelayMs * 2 ** exp;
    return backoff > this.maxDelayMs || !Number.isFinite(backoff) ? this.maxDelayMs : backoff;
  }
  forget(item: K): void { this.failures.delete(item); }
  numRequeues(item: K): number { return this.failures.get(item) ?? 0; }
}

/** An overall token bucket (golang.org/x/time/rate semantics): `qps` refill, `burst` capacity, starts full. */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  constructor(private readonly qps: number, private readonly burst: number, private readonly clock: Clock = realClock) {
    this.tokens = burst;
    this.last = clock.now();
  }
  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1; // a reservation: later callers wait behind earlier ones
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
  forget(): void {}
  numRequeues(): number { return 0; }
}

/** The longest delay of several limiters (MaxOfRateLimiter). */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) { this.limiters = limiters; }
  when(item: K): number { return Math.max(0, ...this.limiters.map(l => l.when(item))); }
  forget(item: K): void { for (const l of this.limiters) l.forget(item); }
  numRequeues(item: K): number { return Math.max(0, ...this.limiters.map(l => l.numRequeues(item))); }
}

/** client-go's DefaultControllerRateLimiter: max(5 ms·2^n capped at 1000 s, 10 qps with burst 100). */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(5, 1000_000), new BucketRateLimiter<K>(10, 100, clock));
}

// ---------------- metrics ----------------

/** Per-queue metric hooks (client-go's workqueue metrics); see promWorkqueueMetrics for a prom-client binding. */
export interface WorkqueueMetrics {
  depth(n: number): void;
  add(): void;
  /** Seconds a key waited in the queue before a worker got it. */
  queueLatency(seconds: number): void;
  /** Seconds a worker held a key (get → done). */
  workDuration(seconds: number): void;
  retry(): void;
}

// ---------------- queue ----------------

export interface QueueOptions<K> {
  /** Used for metric labels. */
  name?: string;
  rateLimiter?: RateLimiter<K>;
  clock?: Clock;
  metrics?: WorkqueueMetrics;
}

export interface GetResult<K> { key: K; shutdown: false }
export interface ShutdownResult { key: undefined; shutdown: true }

interface Waiting<K> { key: K; readyAt: number }

export class Queue<K = string> {
  private readonly queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** When each dirty key entered the queue, for the latency metric. */
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  private readonly getters: ((r: GetResult<K> | ShutdownResult) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private shuttingDown = false;

  // delaying part: a min-deadline set, one entry per key
  private readonly waiting = new Map<K, Waiting<K>>();
  private timer: unknown;
  private timerAt = Infinity;

  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private readonly metrics?: WorkqueueMetrics;

  constructor(opts: QueueOptions<K> = {}) {
    this.name = opts.name ?? '';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
    this.metrics = opts.metrics;
  }

  /** Queues the key unless it is already waiting; a key being processed is re-queued at its `done`. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.add();
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Number of keys waiting to be handed out (not counting delayed or in-flight ones). */
  len(): number { return this.queue.length - this.head; }

  /** The next key, waiting for one if needed; `{shutdown: true}` once shut down and empty. */
  get(): Promise<GetResult<K> | ShutdownResult> {
    if (this.len() > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve({ key: undefined, shutdown: true });
    return new Promise(resolve => this.getters.push(resolve));
  }

  /** Marks the key finished; if it was added while in flight it is queued again now. */
  done(key: K): void {
    const started = this.startedAt.get(key);
    if (started !== undefined) {
      this.metrics?.workDuration((this.clock.now() - started) / 1000);
      this.startedAt.delete(key);
    }
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
    else if (this.processing.size === 0) this.notifyDrained();
  }

  /** Adds the key after `ms` (at once when ms <= 0); a key already waiting keeps the earlier deadline. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    this.metrics?.retry();
    if (!(ms > 0)) { this.add(key); return; }
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    this.waiting.set(key, { key, readyAt });
    if (readyAt < this.timerAt) this.armTimer(readyAt);
  }

  /** Adds the key once the rate limiter allows (exponential per key, token bucket overall). */
  addRateLimited(key: K): void { this.addAfter(key, this.limiter.when(key)); }
  /** Resets the key's failure count; call after a successful sync. */
  forget(key: K): void { this.limiter.forget(key); }
  numRequeues(key: K): number { return this.limiter.numRequeues(key); }

  /** Stops accepting keys; waiting `get`s resolve with shutdown once the queue is empty. Delayed keys are dropped. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.waiting.clear();
    if (this.timer !== undefined) { this.clock.clearTimeout(this.timer); this.timer = undefined; this.timerAt = Infinity; }
    if (this.len() === 0) {
      for (const g of this.getters.splice(0)) g({ key: undefined, shutdown: true });
    }
  }

  /** Shuts down, then resolves when every in-flight key has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise(resolve => this.drainWaiters.push(resolve));
  }

  isShuttingDown(): boolean { return this.shuttingDown; }

  private push(key: K): void {
    this.queue.push(key);
    this.metrics?.depth(this.len());
    const g = this.getters.shift();
    if (g) g(this.take());
  }

  private take(): GetResult<K> {
    const key = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    if (added !== undefined) { this.metrics?.queueLatency((now - added) / 1000); this.addedAt.delete(key); }
    this.metrics?.depth(this.len());
    this.processing.add(key);
    this.startedAt.set(key, now);
    this.dirty.delete(key);
    if (this.shuttingDown && this.len() === 0) {
      // nothing left for the other waiting getters
      for (const g of this.getters.splice(0)) g({ key: undefined, shutdown: true });
    }
    return { key, shutdown: false };
  }

  private notifyDrained(): void {
    if (!this.shuttingDown) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  /** (Re)arms the single timer for the earliest deadline; scans only when the caller does not know it. */
  private armTimer(next = Infinity): void {
    if (next === Infinity) for (const w of this.waiting.values()) if (w.readyAt < next) next = w.readyAt;
    if (next === Infinity || next >= this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => this.fireDue(), Math.max(0, next - this.clock.now()));
  }

  private fireDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const due = [...this.waiting.values()].filter(w => w.readyAt <= now).sort((a, b) => a.readyAt - b.readyAt);
    for (const w of due) { this.waiting.delete(w.key); this.add(w.key); }
    this.armTimer();
  }
}
