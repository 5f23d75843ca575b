// Event recorder with client-go's correlation (tools/record/event.go, events_cache.go):
// 1. aggregation: events that differ only in message (same source, object, type, reason) seen 10 times with
//    distinct messages within 10 min become one `(combined from similar events): <message>` event;
// 2. de-duplication: an identical event (same source, object, type, reason, message) is not created again but
//    PATCHed on the first one: count+1, lastTimestamp, message (the cache lives 4096 entries, LRU);
// 3. spam filter: per source+object+type a token bucket of burst 25 refilling 1 token per 5 min; beyond that
//    events are dropped.
// Writes go to an abstract EventSink one at a time, in order; transport errors are retried (12 tries, 10 s apart,
// the first wait randomised), API rejections are not.
import { randomUUID } from 'node:crypto';
import { StatusError } from '../api/errors';
import { isDNS1123Subdomain } from '../labels/validation';
import { Clock, realClock } from './clock';

export interface ObjectReference {
  kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string;
  fieldPath?: string;
}
export interface EventSource { component?: string; host?: string }

/** core/v1 Event, the fields the recorder writes. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; [k: string]: unknown };
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: EventSource;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: string;
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

/** What a repeated event changes (the body of the strategic-merge patch upstream sends). */
export interface EventPatch { count: number; lastTimestamp: string; message: string }

export interface EventSink {
  create(ev: CoreEvent): Promise<CoreEvent>;
  /** PATCH /namespaces/{ns}/events/{name}; reject with a 404 StatusError if it no longer exists. */
  patch(ev: CoreEvent, patch: EventPatch): Promise<CoreEvent>;
  update(ev: CoreEvent): Promise<CoreEvent>;
}

export const EVENT_TYPE_NORMAL = 'Normal';
export const EVENT_TYPE_WARNING = 'Warning';

/** metav1.Time text: RFC 3339, whole seconds, UTC. */
export const formatTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** `<object>.<unix nanoseconds in hex>`, or a UUID when that is not a valid name (util.GenerateEventName). */
export function generateEventName(refName: string, unixMs: number, unixNanos = BigInt(Math.round(unixMs)) * 1_000_000n): string {
  const name = `${refName}.${unixNanos.toString(16)}`;
  return isDNS1123Subdomain(name).length === 0 ? name : randomUUID();
}

let lastEventNanos = 0n;
/**
 * Unix nanoseconds for an event name, strictly increasing in this process: our clock has millisecond resolution,
 * so a burst of events about one object within a millisecond would otherwise share a name, and all but the first
 * would be lost as 409 AlreadyExists.
 */
export function uniqueEventNanos(unixMs: number): bigint {
  let n = BigInt(Math.round(unixMs)) * 1_000_000n;
  if (n <= lastEventNanos) n = lastEventNanos + 1n;
  lastEventNanos = n;
  return n;
}

// ---- small LRU and token bucket ----

class LRU<V> {
  private map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) { this.map.delete(k); this.map.set(k, v); }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

/** A passive token bucket: tryAccept() takes a token if one is there (flowcontrol TokenBucketPassiveRateLimiter). */
class PassiveTokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly qps: number, private readonly burst: number, private readonly clock: Clock) {
    this.tokens = burst;
    this.last = clock.now();
  }
  tryAccept(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

// ---- correlation ----

const ref = (e: CoreEvent) => e.involvedObject;
/** Identity of an event for de-duplication (getEventKey). */
export const eventKey = (e: CoreEvent) => [e.source.component, e.source.host, ref(e).kind, ref(e).namespace, ref(e).name,
  ref(e).fieldPath, ref(e).uid, ref(e).apiVersion, e.type, e.reason, e.message].map(x => x ?? '').join('');
const spamKey = (e: CoreEvent) => [e.source.component, e.source.host, ref(e).kind, ref(e).namespace, ref(e).name,
  ref(e).uid, ref(e).apiVersion, e.type].map(x => x ?? '').join('');
const aggregateKey = (e: CoreEvent) => [e.source.component, e.source.host, ref(e).kind, ref(e).namespace, ref(e).name,
  ref(e).uid, ref(e).apiVersion, e.type, e.reason, e.reportingComponent, e.reportingInstance].map(x => x ?? '').join('');

export interface CorrelatorOptions {
  clock?: Clock;
  lruCacheSize?: number;
  /** Spam filter bucket (default 25 events, refilling 1/300 per second). */
  burst?: number;
  qps?: number;
  /** Distinct messages per reason before aggregating (10) and the window in seconds (600). */
  maxEvents?: number;
  maxIntervalSeconds?: number;
}

export interface CorrelateResult { event?: CoreEvent; patch?: EventPatch; skip: boolean }

interface AggregateRecord { localKeys: Set<string>; lastTimestamp: number }
interface EventLog { count: number; firstTimestamp: string; name: string; resourceVersion?: string }

export class EventCorrelator {
  private readonly clock: Clock;
  private readonly spam: LRU<PassiveTokenBucket>;
  private readonly aggregates: LRU<AggregateRecord>;
  private readonly logs: LRU<EventLog>;
  private readonly burst: number;
  private readonly qps: number;
  private readonly maxEvents: number;
  private readonly maxIntervalMs: number;

  constructor(opts: CorrelatorOptions = {}) {
    this.clock = opts.clock ?? realClock;
    const size = opts.lruCacheSize ?? 4096;
    this.spam = new LRU(size);
    this.aggregates = new LRU(size);
    this.logs = new LRU(size);
    this.burst = opts.burst ?? 25;
    this.qps = opts.qps ?? 1 / 300;
    this.maxEvents = opts.maxEvents ?? 10;
    this.maxIntervalMs = (opts.maxIntervalSeconds ?? 600) * 1000;
  }

  /** Decides what to write for a new event: skip it, create it, or patch the earlier identical one. */
  correlate(newEvent: CoreEvent): CorrelateResult {
    const { event: aggregated, key } = this.aggregate(newEvent);
    const { event, patch } = this.observe(aggregated, key);
    if (this.filtered(event)) return { skip: true };
    return { event, patch, skip: false };
  }

  /** Records what the server returned, so later repeats patch the right object. */
  updateState(ev: CoreEvent): void {
    this.logs.set(eventKey(ev), { count: ev.count, firstTimestamp: ev.firstTimestamp, name: ev.metadata.name,
      resourceVersion: ev.metadata.resourceVersion });
  }

  private aggregate(ev: CoreEvent): { event: CoreEvent; key: string } {
    const now = this.clock.now();
    const aKey = aggregateKey(ev);
    let rec = this.aggregates.get(aKey);
    if (!rec || now - rec.lastTimestamp > this.maxIntervalMs) rec = { localKeys: new Set(), lastTimestamp: 0 };
    rec.localKeys.add(ev.message);
    rec.lastTimestamp = now;
    this.aggregates.set(aKey, rec);
    if (rec.localKeys.size < this.maxEvents) return { event: ev, key: eventKey(ev) };
    // keep the set below the limit so every further distinct message is aggregated too (upstream pops any key)
    rec.localKeys.delete(rec.localKeys.values().next().value as string);
    const stamp = formatTime(now);
    const combined: CoreEvent = {
      ...ev,
      metadata: { name: generateEventName(ev.involvedObject.name ?? '', now), namespace: ev.metadata.namespace },
      count: 1, firstTimestamp: stamp, lastTimestamp: stamp,
      message: `(combined from similar events): ${ev.message}`,
    };
    return { event: combined, key: aKey };
  }

  private observe(ev: CoreEvent, key: string): { event: CoreEvent; patch?: EventPatch } {
    const last = this.logs.get(key);
    let event = ev;
    let patch: EventPatch | undefined;
    if (last && last.count > 0) {
      event = { ...ev, metadata: { ...ev.metadata, name: last.name, resourceVersion: last.resourceVersion },
        firstTimestamp: last.firstTimestamp, count: last.count + 1 };
      patch = { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message };
    }
    this.logs.set(key, { count: event.count, firstTimestamp: event.firstTimestamp, name: event.metadata.name,
      resourceVersion: event.metadata.resourceVersion });
    return { event, patch };
  }

  private filtered(ev: CoreEvent): boolean {
    const k = spamKey(ev);
    let bucket = this.spam.get(k);
    if (!bucket) bucket = new PassiveTokenBucket(this.qps, this.burst, this.clock);
    const accepted = bucket.tryAccept();
    this.spam.set(k, bucket);
    return !accepted;
  }
}

// ---- recorder ----

export interface EventRecorderOptions extends CorrelatorOptions {
  /** Wait between write retries (10 s; the first is randomised). */
  sleepMs?: number;
  maxTries?: number;
  /** Events queued beyond this are dropped (the broadcaster's channel holds 1000). */
  maxQueued?: number;
  random?: () => number;
  onError?: (err: unknown, what: string) => void;
}

interface ObjectLike {
  apiVersion?: string; kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** An ObjectReference to a full object (ref.GetReference), or a reference passed through as is. */
export function objectReference(obj: ObjectLike | ObjectReference): ObjectReference {
  const md = (obj as ObjectLike).metadata;
  if (!md) return { ...(obj as ObjectReference) };
  const r: ObjectReference = { kind: (obj as ObjectLike).kind, namespace: md.namespace, name: md.name, uid: md.uid,
    apiVersion: (obj as ObjectLike).apiVersion, resourceVersion: md.resourceVersion };
  for (const k of Object.keys(r) as (keyof ObjectReference)[]) if (r[k] === undefined || r[k] === '') delete r[k];
  return r;
}

/** Go-style `%s %d %v %q %%` formatting for eventf messages. */
export function sprintf(fmt: string, ...args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%([%sdvq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    if (verb === 'q') return JSON.stringify(String(a));
    if (verb === 'd') return typeof a === 'number' || typeof a === 'bigint' ? String(a) : `%!d(${String(a)})`;
    return typeof a === 'object' && a !== null && !(a instanceof Error) ? JSON.stringify(a) : String(a);
  });
}

export class EventRecorder {
  private readonly correlator: EventCorrelator;
  private readonly clock: Clock;
  private readonly random: () => number;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;

  constructor(private readonly sink: EventSink, private readonly source: EventSource,
              private readonly opts: EventRecorderOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.correlator = new EventCorrelator({ ...opts, clock: this.clock });
  }

  /** Records an event about `obj` (an object or an ObjectReference). Never throws; writes happen in background. */
  event(obj: ObjectLike | ObjectReference, type: string, reason: string, message: string,
        annotations?: Record<string, string>): void {
    if (this.closed) return;
    if (type !== EVENT_TYPE_NORMAL && type !== EVENT_TYPE_WARNING) {
      this.report(new Error(`Unsupported event type: '${type}'`), 'event not recorded');
      return;
    }
    let reference: ObjectReference;
    try {
      reference = objectReference(obj);
      if (!reference.name) throw new Error('object has no name');
    } catch (err) {
      this.report(err, 'Could not construct reference, will not report event');
      return;
    }
    if (this.queued >= (this.opts.maxQueued ?? 1000)) {
      this.report(new Error('too many queued events'), 'Unable to record event: dropped');
      return;
    }
    const ev = this.makeEvent(reference, type, reason, message, annotations);
    this.queued++;
    this.chain = this.chain.then(() => this.recordToSink(ev))
      .catch(err => this.report(err, 'event correlation failed'))
      .finally(() => { this.queued--; });
  }

  eventf(obj: ObjectLike | ObjectReference, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, sprintf(fmt, ...args));
  }
  annotatedEventf(obj: ObjectLike | ObjectReference, annotations: Record<string, string>, type: string, reason: string,
                  fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, sprintf(fmt, ...args), annotations);
  }

  /** Resolves when every event recorded so far has been written (or given up on). */
  flush(): Promise<void> { return this.chain; }
  /** Stops accepting events; pending ones still finish (flush() to wait). */
  shutdown(): void { this.closed = true; }

  private makeEvent(r: ObjectReference, type: string, reason: string, message: string,
                    annotations?: Record<string, string>): CoreEvent {
    const now = this.clock.now();
    const t = formatTime(now);
    const md: CoreEvent['metadata'] = { name: generateEventName(r.name ?? '', now, uniqueEventNanos(now)), namespace: r.namespace || 'default' };
    if (annotations) md.annotations = { ...annotations };
    return {
      apiVersion: 'v1', kind: 'Event', metadata: md, involvedObject: r, reason, message,
      source: { ...this.source }, firstTimestamp: t, lastTimestamp: t, count: 1, type, eventTime: null,
      reportingComponent: this.source.component ?? '', reportingInstance: this.source.host ?? '',
    };
  }

  private async recordToSink(ev: CoreEvent): Promise<void> {
    const result = this.correlator.correlate(ev);
    if (result.skip || !result.event) return;
    const maxTries = this.opts.maxTries ?? 12;
    const sleepMs = this.opts.sleepMs ?? 10_000;
    for (let tries = 1; ; tries++) {
      if (await this.write(result.event, result.patch)) return;
      if (tries >= maxTries) { this.report(new Error('retry limit exceeded'), 'Unable to write event'); return; }
      const delay = tries === 1 ? sleepMs * this.random() : sleepMs;
      await new Promise<void>(r => this.clock.setTimeout(r, delay));
    }
  }

  /** One attempt; true when done (written, or rejected by the API so retrying is pointless). */
  private async write(ev: CoreEvent, patch?: EventPatch): Promise<boolean> {
    let err: unknown;
    let written: CoreEvent | undefined;
    const isUpdate = ev.count > 1 && patch !== undefined;
    if (isUpdate) {
      try { written = await this.sink.patch(ev, patch); } catch (e) { err = e; }
    }
    if (!isUpdate || (err instanceof StatusError && err.code === 404)) {
      err = undefined;
      const fresh: CoreEvent = { ...ev, metadata: { ...ev.metadata } };
      delete fresh.metadata.resourceVersion;
      try { written = await this.sink.create(fresh); } catch (e) { err = e; }
    }
    if (err === undefined) {
      if (written) this.correlator.updateState(written);
      return true;
    }
    if (err instanceof StatusError) {
      if (err.code !== 409) this.report(err, 'Server rejected event (will not retry!)');
      return true;
    }
    this.report(err, 'Unable to write event (may retry after sleeping)');
    return false;
  }

  private report(err: unknown, what: string): void {
    if (this.opts.onError) this.opts.onError(err, what);
    else console.warn(`event recorder: ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
