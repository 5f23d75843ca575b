// Leader election over a coordination.k8s.io/v1 Lease (client-go tools/leaderelection/leaderelection.go and
// resourcelock/leaselock.go):
// - candidates try every retryPeriod (jittered ×1.2): GET the lease; if another holder's record was seen
//   unchanged for less than leaseDuration (on OUR clock, from when we saw it change) we wait; else we UPDATE it
//   with its resourceVersion (compare-and-swap) to take it, counting leaseTransitions when the holder changes;
// - the leader renews every retryPeriod; if no renew has succeeded for renewDeadline it stops leading (aborts the
//   signal given to onStartedLeading) - before its lease (leaseDuration > renewDeadline) can expire for others;
// - a process that was frozen (SIGSTOP, VM pause) wakes with stale timers: every renew and every isLeader() first
//   checks the time since the last successful renew, so it never acts on a lease that may have passed to others.
import { StatusError } from '../api/errors';
import { Clock, realClock } from './clock';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
export interface Lease {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  metadata: { namespace?: string; name: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

/** Lease access; `update` is a CAS on metadata.resourceVersion and throws a StatusError 409 on conflict. */
export interface LeaseClient {
  get(namespace: string, name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

export interface LeaderCallbacks {
  /** Leading began; `signal` aborts when leadership is lost or the elector is stopped. */
  onStartedLeading(signal: AbortSignal): void;
  /** Leading ended (only called after onStartedLeading). Real binaries exit here. */
  onStoppedLeading(): void;
  /** The observed holder changed (including to ourselves). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  /** Unique per candidate, conventionally `<hostname>_<uuid>`. */
  identity: string;
  client: LeaseClient;
  callbacks: LeaderCallbacks;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Give the lease up (empty holder) when stopped while leading, so a successor need not wait it out. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  random?: () => number;
  onError?: (err: unknown, what: string) => void;
}

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
const JITTER_FACTOR = 1.2;

/** metav1.MicroTime text: RFC 3339 in UTC with exactly six fractional digits. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
/** Parses a MicroTime/Time string; undefined when absent or unparsable. */
export function parseMicroTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Throws with upstream's messages when the timing is unsafe (NewLeaderElector's checks). */
export function validateLeaderElectionConfig(c: LeaderElectionConfig): void {
  const lease = c.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
  const renew = c.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
  const retry = c.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
  if (lease <= renew) throw new Error('leaseDuration must be greater than renewDeadline');
  if (renew <= JITTER_FACTOR * retry) throw new Error('renewDeadline must be greater than retryPeriod*JitterFactor');
  if (lease < 1) throw new Error('leaseDuration must be greater than zero');
  if (renew < 1) throw new Error('renewDeadline must be greater than zero');
  if (retry < 1) throw new Error('retryPeriod must be greater than zero');
  if (!c.callbacks?.onStartedLeading) throw new Error('OnStartedLeading callback must not be nil');
  if (!c.callbacks?.onStoppedLeading) throw new Error('OnStoppedLeading callback must not be nil');
  if (!c.client) throw new Error('Lock must not be nil.');
  if (!c.identity) throw new Error('Lock identity is empty');
  if (!c.namespace || !c.name) throw new Error('lease namespace and name are required');
}

const isConflict = (e: unknown) => e instanceof StatusError && e.code === 409;
const isNotFound = (e: unknown) => e instanceof StatusError && e.code === 404;

export class LeaderElector {
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** The lease as last read or written (its resourceVersion is what our next CAS is based on). */
  private lease?: Lease;
  private observed: LeaseSpec = {};
  private observedRaw = '';
  /** Our clock when the observed record last changed. */
  private observedTime = 0;
  /** Our clock when we last successfully wrote the lease as holder. */
  private lastRenew = -Infinity;
  private reportedLeader = '';
  private leading?: AbortController;
  private stopped = false;
  private timer: unknown;
  private wake?: () => void;

  constructor(private readonly config: LeaderElectionConfig) {
    validateLeaderElectionConfig(config);
    this.leaseMs = config.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewMs = config.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryMs = config.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    this.clock = config.clock ?? realClock;
    this.random = config.random ?? Math.random;
  }

  /** The holder we last observed ('' if none). */
  getLeader(): string { return this.observed.holderIdentity ?? ''; }

  /**
   * True only while we lead AND our last successful renew is recent: a leader woken from a pause that exceeded
   * renewDeadline stops leading right here, before doing anything else.
   */
  isLeader(): boolean {
    if (!this.leading || this.leading.signal.aborted) return false;
    if (this.observed.holderIdentity !== this.config.identity) return false;
    const sinceRenew = this.clock.now() - this.lastRenew;
    if (sinceRenew >= this.renewMs) {
      this.stopLeading(`no successful renew for ${sinceRenew} ms`);
      return false;
    }
    return sinceRenew < this.leaseMs;
  }

  /**
   * Campaigns until leading, then renews until leadership is lost or `signal` aborts. Resolves when done;
   * a candidate that never led just stops campaigning.
   */
  async run(signal?: AbortSignal): Promise<void> {
    const onAbort = () => { this.stopped = true; this.interrupt(); };
    if (signal?.aborted) return;
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await this.acquire())) return;
      const ac = new AbortController();
      this.leading = ac;
      this.safeCall('onStartedLeading', () => this.config.callbacks.onStartedLeading(ac.signal));
      await this.renewLoop();
      if (this.config.releaseOnCancel && this.stopped) await this.release();
      this.stopLeading('elector stopped');
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async acquire(): Promise<boolean> {
    while (!this.stopped) {
      const ok = await this.tryAcquireOrRenew();
      this.maybeReportTransition();
      if (ok) return true;
      await this.sleep(this.retryMs * (1 + this.random() * JITTER_FACTOR));
    }
    return false;
  }

  private async renewLoop(): Promise<void> {
    while (!this.stopped && this.leading && !this.leading.signal.aborted) {
      await this.sleep(this.retryMs);
      if (this.stopped || !this.leading || this.leading.signal.aborted) return;
      // checked before trying: after a long pause the lease may already belong to someone else
      if (this.clock.now() - this.lastRenew >= this.renewMs) {
        this.stopLeading('failed to renew lease within the renew deadline');
        return;
      }
      await this.tryAcquireOrRenew();
      this.maybeReportTransition();
      if (this.observed.holderIdentity !== this.config.identity) {
        this.stopLeading('lease is held by another candidate');
        return;
      }
      if (this.clock.now() - this.lastRenew >= this.renewMs) {
        this.stopLeading('failed to renew lease within the renew deadline');
        return;
      }
    }
  }

  private stopLeading(why: string): void {
    const ac = this.leading;
    if (!ac || ac.signal.aborted) return;
    this.report(new Error(why), 'stopped leading');
    ac.abort(new Error(`leader election lost: ${why}`));
    this.interrupt();
    this.safeCall('onStoppedLeading', () => this.config.callbacks.onStoppedLeading());
  }

  /** The record we write: us as holder, renewed now (callers keep acquireTime/transitions as appropriate). */
  private record(now: number): LeaseSpec {
    const stamp = formatMicroTime(now);
    return { holderIdentity: this.config.identity, leaseDurationSeconds: Math.floor(this.leaseMs / 1000),
      acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 };
  }

  private setObserved(spec: LeaseSpec): void {
    this.observed = { ...spec };
    this.observedRaw = JSON.stringify(spec);
    this.observedTime = this.clock.now();
  }

  private isLeaseValid(now: number): boolean {
    const duration = (this.observed.leaseDurationSeconds ?? Math.floor(this.leaseMs / 1000)) * 1000;
    return this.observedTime + duration > now;
  }

  private holdsObserved(): boolean { return this.observed.holderIdentity === this.config.identity; }

  /** One attempt; true if we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const desired = this.record(now);

    // fast path: we lead and our view is fresh - update the lease we wrote last
    if (this.holdsObserved() && this.isLeaseValid(now) && this.lease) {
      const spec = { ...desired, acquireTime: this.observed.acquireTime, leaseTransitions: this.observed.leaseTransitions ?? 0 };
      try {
        const written = await this.config.client.update({ ...this.lease, spec });
        return this.wrote(written, spec, now);
      } catch (err) {
        if (!isConflict(err)) this.report(err, 'failed to update lease optimistically, falling back to slow path');
      }
    }

    let current: Lease | undefined;
    try {
      current = await this.config.client.get(this.config.namespace, this.config.name);
    } catch (err) {
      if (!isNotFound(err)) { this.report(err, 'error retrieving lease'); return false; }
    }
    if (!current) {
      const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { namespace: this.config.namespace, name: this.config.name }, spec: desired };
      try {
        const created = await this.config.client.create(lease);
        return this.wrote(created, desired, now);
      } catch (err) {
        this.report(err, 'error initially creating lease');
        return false;
      }
    }

    this.lease = current;
    const spec = current.spec ?? {};
    if (JSON.stringify(spec) !== this.observedRaw) this.setObserved(spec);
    if (spec.holderIdentity && this.isLeaseValid(this.clock.now()) && !this.holdsObserved()) {
      return false; // held by someone else and not expired by our clock
    }
    const next: LeaseSpec = this.holdsObserved()
      ? { ...desired, acquireTime: spec.acquireTime, leaseTransitions: spec.leaseTransitions ?? 0 }
      : { ...desired, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }; // the holder changes (upstream counts from '' too)
    try {
      const written = await this.config.client.update({ ...current, spec: next });
      return this.wrote(written, next, now);
    } catch (err) {
      if (!isConflict(err)) this.report(err, 'failed to update lease');
      return false;
    }
  }

  private wrote(lease: Lease, spec: LeaseSpec, attemptStart: number): boolean {
    this.lease = lease;
    this.setObserved(lease.spec ?? spec);
    // measured from when the attempt started: a slow write must not extend our belief in the lease
    this.lastRenew = attemptStart;
    return true;
  }

  private async release(): Promise<void> {
    if (!this.holdsObserved() || !this.lease) return;
    const now = formatMicroTime(this.clock.now());
    const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now,
      leaseTransitions: this.observed.leaseTransitions ?? 0 };
    try {
      const written = await this.config.client.update({ ...this.lease, spec });
      this.lease = written;
      this.setObserved(spec);
    } catch (err) {
      this.report(err, 'failed to release lease');
    }
  }

  private maybeReportTransition(): void {
    const holder = this.observed.holderIdentity ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    const cb = this.config.callbacks.onNewLeader;
    if (cb) this.safeCall('onNewLeader', () => cb(holder));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      this.wake = resolve;
      this.timer = this.clock.setTimeout(() => { this.timer = undefined; resolve(); }, ms);
    });
  }

  private interrupt(): void {
    if (this.timer !== undefined) { this.clock.clearTimeout(this.timer); this.timer = undefined; }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private safeCall(what: string, fn: () => void): void {
    try { fn(); } catch (err) { this.report(err, `${what} callback failed`); }
  }

  private report(err: unknown, what: string): void {
    if (this.config.onError) this.config.onError(err, what);
  }
}

/** An in-memory LeaseClient with resourceVersion CAS, for tests (`failNext` injects API errors). */
export class FakeLeaseClient implements LeaseClient {
  private leases = new Map<string, Lease>();
  private rv = 0;
  readonly failNext: Error[] = [];
  /** When set, every call rejects (a partitioned apiserver). */
  unreachable = false;
  private check(): void {
    if (this.unreachable) throw new StatusError(503, 'ServiceUnavailable', 'connection refused');
    const f = this.failNext.shift();
    if (f) throw f;
  }
  async get(ns: string, name: string): Promise<Lease | undefined> {
    this.check();
    const l = this.leases.get(`${ns}/${name}`);
    return l && structuredClone(l);
  }
  async create(lease: Lease): Promise<Lease> {
    this.check();
    const key = `${lease.metadata.namespace}/${lease.metadata.name}`;
    if (this.leases.has(key)) {
      throw new StatusError(409, 'AlreadyExists', `leases.coordination.k8s.io "${lease.metadata.name}" already exists`);
    }
    const stored = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
    this.leases.set(key, stored);
    return structuredClone(stored);
  }
  async update(lease: Lease): Promise<Lease> {
    this.check();
    const key = `${lease.metadata.namespace}/${lease.metadata.name}`;
    const cur = this.leases.get(key);
    if (!cur) throw new StatusError(404, 'NotFound', `leases.coordination.k8s.io "${lease.metadata.name}" not found`);
    if (lease.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${lease.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const stored = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
    this.leases.set(key, stored);
    return structuredClone(stored);
  }
  /** Direct read, bypassing failures. */
  peek(ns: string, name: string): Lease | undefined { return this.leases.get(`${ns}/${name}`); }
}
