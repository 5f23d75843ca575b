// The scheduling queue (upstream backend/queue/scheduling_queue.go):
// - activeQ: pods ready to be tried, ordered by the QueueSort plugin (priority, then time entered);
// - backoffQ: pods that failed, waiting out 1 s * 2^(attempts-1) capped at 10 s before going back to activeQ;
// - unschedulable: pods rejected by plugins; a cluster event one of the rejecting plugins registered for moves
//   them back (to backoffQ while their backoff runs, else activeQ), and after 5 min they go back anyway.
// A pod that was being scheduled while such an event arrived goes to backoffQ instead of the unschedulable set
// (the event may have made it schedulable), so no event is lost to the race.
import { Clock, realClock } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Status } from './framework';
import { Heap } from './heap';
import { newPodInfo, PodInfo, podKey } from './podinfo';

export interface QueuedPodInfo {
  key: string;
  info: PodInfo;
  /** When it (last) entered the queue: the QueueSort tie-breaker. */
  timestamp: number;
  /** When it was first added (e2e scheduling latency starts here). */
  initialTimestamp: number;
  attempts: number;
  lastAttempt: number;
  unschedulablePlugins: Set<string>;
  /** Kept out by a PreEnqueue plugin (scheduling gates). */
  gatedBy?: string;
}

export interface QueueOptions {
  less(a: { priority: number; timestamp: number }, b: { priority: number; timestamp: number }): boolean;
  /** PreEnqueue check; a status keeps the pod parked. */
  preEnqueue(pod: Pod): Status | null;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  clock?: Clock;
  /** Called when a pod cannot even be parsed (bad quantity or selector). */
  onBadPod?(pod: Pod, err: Error): void;
}

type Where = 'active' | 'backoff' | 'unschedulable' | 'inflight';

export class SchedulingQueue {
  private readonly active: Heap<QueuedPodInfo>;
  private readonly backoff: Heap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, { qpi: QueuedPodInfo; cycle: number; updated: boolean; deleted: boolean }>();
  private readonly clock: Clock;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxInUnschedulable: number;
  private waiters: ((q: QueuedPodInfo | undefined) => void)[] = [];
  private closed = false;
  private backoffTimer: unknown; private backoffTimerAt = Infinity;
  private leftoverTimer: unknown;
  /** Incremented at every pop; a move request remembers the cycle it happened in. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;

  constructor(private readonly opts: QueueOptions) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoff = opts.initialBackoffMs ?? 1000;
    this.maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulable = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.active = new Heap(q => q.key, (a, b) => opts.less({ priority: a.info.priority, timestamp: a.timestamp }, { priority: b.info.priority, timestamp: b.timestamp }));
    this.backoff = new Heap(q => q.key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Starts the timer that returns pods left in the unschedulable set for too long (checked every 30 s). */
  run(): void {
    if (this.leftoverTimer !== undefined) return;
    const tick = () => {
      if (this.closed) return;
      this.flushUnschedulableLeftover();
      this.leftoverTimer = this.clock.setTimeout(tick, 30_000);
    };
    this.leftoverTimer = this.clock.setTimeout(tick, 30_000);
  }

  close(): void {
    this.closed = true;
    if (this.backoffTimer !== undefined) this.clock.clearTimeout(this.backoffTimer);
    if (this.leftoverTimer !== undefined) this.clock.clearTimeout(this.leftoverTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  backoffDuration(q: QueuedPodInfo): number {
    if (q.attempts <= 0) return 0;
    const d = this.initialBackoff * 2 ** (q.attempts - 1);
    return d > this.maxBackoff || !Number.isFinite(d) ? this.maxBackoff : d;
  }
  private backoffExpiry(q: QueuedPodInfo): number { return q.lastAttempt + this.backoffDuration(q); }

  lengths(): { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number } {
    let gated = 0;
    for (const q of this.unschedulable.values()) if (q.gatedBy) gated++;
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size - gated, gated, inFlight: this.inFlight.size };
  }

  where(key: string): Where | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inflight';
    return undefined;
  }
  get(key: string): QueuedPodInfo | undefined {
    return this.active.get(key) ?? this.backoff.get(key) ?? this.unschedulable.get(key) ?? this.inFlight.get(key)?.qpi;
  }

  private info(pod: Pod): PodInfo | undefined {
    try { return newPodInfo(pod); } catch (e) { this.opts.onBadPod?.(pod, e as Error); return undefined; }
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const info = this.info(pod);
    if (!info || this.where(info.key)) return;
    const now = this.clock.now();
    this.toActiveOrGated({ key: info.key, info, timestamp: now, initialTimestamp: now, attempts: 0, lastAttempt: 0, unschedulablePlugins: new Set() });
  }

  private toActiveOrGated(q: QueuedPodInfo): void {
    const gate = this.opts.preEnqueue(q.info.pod);
    if (gate) {
      q.gatedBy = gate.plugin;
      q.unschedulablePlugins = new Set([gate.plugin]);
      this.unschedulable.set(q.key, q);
      return;
    }
    q.gatedBy = undefined;
    this.active.addOrUpdate(q);
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length && this.active.size) this.waiters.shift()!(this.popNow());
  }

  private popNow(): QueuedPodInfo {
    const q = this.active.pop()!;
    q.attempts++;
    this.schedulingCycle++;
    this.inFlight.set(q.key, { qpi: q, cycle: this.schedulingCycle, updated: false, deleted: false });
    return q;
  }

  /** The next pod to schedule; waits while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if (this.active.size) return Promise.resolve(this.popNow());
    return new Promise(resolve => this.waiters.push(resolve));
  }

  /** The pending pod changed. */
  update(_old: Pod, pod: Pod): void {
    const info = this.info(pod);
    if (!info) return;
    const key = info.key;
    const fl = this.inFlight.get(key);
    if (fl) { fl.qpi.info = info; fl.updated = true; return; }
    const inActive = this.active.get(key);
    if (inActive) { inActive.info = info; this.active.addOrUpdate(inActive); return; }
    const inBackoff = this.backoff.get(key);
    if (inBackoff) { inBackoff.info = info; this.backoff.addOrUpdate(inBackoff); return; }
    const parked = this.unschedulable.get(key);
    if (parked) {
      parked.info = info;
      // a change of the pod itself (not just its status) may make it schedulable: try again
      if (parked.gatedBy || specChanged(_old, pod)) {
        this.unschedulable.delete(key);
        this.requeueNowOrAfterBackoff(parked);
      }
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    const fl = this.inFlight.get(key);
    if (fl) fl.deleted = true;
    this.active.delete(key); this.backoff.delete(key); this.unschedulable.delete(key);
  }

  /** The cycle for a popped pod ended (bound, assumed or failed). */
  done(key: string): void { this.inFlight.delete(key); }

  /**
   * A popped pod was rejected: park it as unschedulable, or in backoffQ if a move request came while it was in
   * flight (or it was updated meanwhile). Deleted pods are dropped.
   */
  addUnschedulable(q: QueuedPodInfo, rejectors: Set<string>): void {
    const fl = this.inFlight.get(q.key);
    this.inFlight.delete(q.key);
    if (fl?.deleted) return;
    q.lastAttempt = this.clock.now();
    q.timestamp = q.lastAttempt;
    q.unschedulablePlugins = rejectors;
    if (fl && (fl.updated || this.moveRequestCycle >= fl.cycle)) { this.toBackoff(q); return; }
    this.unschedulable.set(q.key, q);
  }

  /** A popped pod hit an error (API failure, plugin error): retry after its backoff. */
  addBackoff(q: QueuedPodInfo): void {
    const fl = this.inFlight.get(q.key);
    this.inFlight.delete(q.key);
    if (fl?.deleted) return;
    q.lastAttempt = this.clock.now();
    q.timestamp = q.lastAttempt;
    this.toBackoff(q);
  }

  private toBackoff(q: QueuedPodInfo) {
    this.backoff.addOrUpdate(q);
    this.armBackoffTimer();
  }

  private requeueNowOrAfterBackoff(q: QueuedPodInfo) {
    if (this.backoffExpiry(q) > this.clock.now()) this.toBackoff(q);
    else { q.timestamp = this.clock.now(); this.toActiveOrGated(q); }
  }

  private armBackoffTimer() {
    const next = this.backoff.peek();
    if (!next || this.closed) return;
    const at = this.backoffExpiry(next);
    if (this.backoffTimer !== undefined && at >= this.backoffTimerAt) return;
    if (this.backoffTimer !== undefined) this.clock.clearTimeout(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = this.clock.setTimeout(() => {
      this.backoffTimer = undefined; this.backoffTimerAt = Infinity;
      this.flushBackoffCompleted();
    }, Math.max(0, at - this.clock.now()));
  }

  /** Moves pods whose backoff has expired to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (let q = this.backoff.peek(); q && this.backoffExpiry(q) <= now; q = this.backoff.peek()) {
      this.backoff.pop();
      q.timestamp = now;
      this.toActiveOrGated(q);
    }
    this.armBackoffTimer();
  }

  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, q] of this.unschedulable) {
      if (q.gatedBy || now - q.lastAttempt < this.maxInUnschedulable) continue;
      this.unschedulable.delete(key);
      this.requeueNowOrAfterBackoff(q);
    }
  }

  /**
   * A cluster event: unschedulable pods rejected by a plugin in `interested` (or by no plugin) go back to
   * activeQ/backoffQ. `filter` can restrict the event to some pods (e.g. a pod update only concerns itself).
   */
  moveOnEvent(interested: Set<string>, filter?: (q: QueuedPodInfo) => boolean): number {
    this.moveRequestCycle = this.schedulingCycle;
    let moved = 0;
    for (const [key, q] of this.unschedulable) {
      if (q.gatedBy) continue;
      if (filter && !filter(q)) continue;
      let hit = q.unschedulablePlugins.size === 0;
      for (const p of q.unschedulablePlugins) if (interested.has(p)) { hit = true; break; }
      if (!hit) continue;
      this.unschedulable.delete(key);
      this.requeueNowOrAfterBackoff(q);
      moved++;
    }
    return moved;
  }
}

function specChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => JSON.stringify({ spec: p.spec, labels: p.metadata?.labels, annotations: p.metadata?.annotations });
  return strip(a) !== strip(b);
}
