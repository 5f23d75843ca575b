// The reflector keeps a cache in step with the server through an abstract list/watch source (client-go
// tools/cache/reflector.go, tools/pager/pager.go):
// 1. LIST (paged) at resourceVersion "0" (first time), else at the last seen RV; hand all items to `replace`.
// 2. WATCH from the list's RV with bookmarks; every event (and bookmark) moves the last seen RV.
// 3. A watch that ends normally is re-opened from the last RV without relisting.
// 4. An ERROR event or a close with 410 Gone/Expired -> relist at the last RV; if that LIST itself is 410, the
//    RV is marked unavailable and the list is retried at RV "" (a consistent read).
// 5. Other failures back off 800 ms doubling to 30 s (jittered; reset after 2 quiet minutes).
import { StatusError } from '../api/errors';
import { Clock, realClock } from './clock';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface WatchEvent<T = any> { type: WatchEventType; object: T }

export interface ListOptions { resourceVersion?: string; limit?: number; continue?: string }
export interface ListResult<T> { items: T[]; resourceVersion: string; continue?: string }
export interface WatchOptions { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds?: number }

/**
 * The source an informer reads; both the HTTP and the gRPC client implement it. `list` rejects with a StatusError
 * for API errors (410 when the RV is too old). `watch` reports events in order, then exactly one `onClose`
 * (with the error if the stream failed or could not start; without one when it ended normally).
 */
export interface ListWatcher<T> {
  list(opts: ListOptions): Promise<ListResult<T>>;
  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void): { stop(): void };
}

/** What the reflector drives: the informer's delta handling. */
export interface ReflectorSink<T> {
  replace(items: T[], resourceVersion: string): void;
  added(obj: T): void;
  modified(obj: T): void;
  deleted(obj: T): void;
}

/** Exponential backoff with jitter that resets after a quiet period (wait.NewExponentialBackoffManager). */
export class BackoffManager {
  private current: number;
  private lastStart = -Infinity;
  constructor(private readonly initialMs = 800, private readonly maxMs = 30_000, private readonly resetMs = 120_000,
              private readonly factor = 2, private readonly jitter = 1, private readonly clock: Clock = realClock,
              private readonly random: () => number = Math.random) {
    this.current = initialMs;
  }
  /** The next wait, in ms. */
  next(): number {
    const now = this.clock.now();
    if (now - this.lastStart > this.resetMs) this.current = this.initialMs;
    this.lastStart = now;
    const d = this.current;
    this.current = Math.min(this.maxMs, this.current * this.factor);
    return this.jitter > 0 ? d + this.random() * this.jitter * d : d;
  }
}

export interface ReflectorOptions {
  name?: string;
  clock?: Clock;
  /** Page size of LISTs (client-go's pager uses 500). */
  pageSize?: number;
  backoff?: BackoffManager;
  random?: () => number;
  /** Called for failures worth logging (list errors, watch errors); defaults to console.warn. */
  onError?: (err: unknown, what: string) => void;
}

const numericRV = (rv: string | undefined) => (rv !== undefined && /^[0-9]+$/.test(rv) ? BigInt(rv) : undefined);

/** True when `a` is a numeric RV strictly older than `b` (RVs are opaque in general; ours are etcd revisions). */
export function isOlderResourceVersion(a: string | undefined, b: string | undefined): boolean {
  const x = numericRV(a), y = numericRV(b);
  return x !== undefined && y !== undefined && x < y;
}

export function isGoneError(err: unknown): boolean {
  return err instanceof StatusError ? err.code === 410 : (err as { code?: unknown } | undefined)?.code === 410;
}
const isTooLargeRVError = (err: unknown) =>
  err instanceof StatusError && err.code === 504 && /Too large resource version/i.test(err.message);
const isTooManyRequests = (err: unknown) => err instanceof StatusError && err.code === 429;

/** An ERROR watch event's Status object as an error. */
function statusEventError(object: unknown): StatusError {
  const s = (object ?? {}) as { code?: number; reason?: string; message?: string };
  if (typeof s.code === 'number') return StatusError.fromStatus(s as never);
  return new StatusError(500, 'InternalError', `watch ERROR event without a Status: ${JSON.stringify(object)}`);
}

type WatchOutcome = 'rewatch' | 'relist' | 'backoff-rewatch' | 'backoff-relist' | 'stopped';

export class Reflector<T> {
  private lastSyncRV = '';
  private lastSyncRVUnavailable = false;
  private stopped = false;
  private running = false;
  private currentWatch?: { stop(): void };
  private wake?: () => void;
  private sleepTimer: unknown;
  private readonly clock: Clock;
  private readonly backoff: BackoffManager;
  private readonly random: () => number;
  private readonly pageSize: number;
  readonly name: string;

  constructor(private readonly lw: ListWatcher<T>, private readonly sink: ReflectorSink<T>,
              private readonly opts: ReflectorOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.backoff = opts.backoff ?? new BackoffManager(800, 30_000, 120_000, 2, 1, this.clock, this.random);
    this.pageSize = opts.pageSize ?? 500;
    this.name = opts.name ?? 'reflector';
  }

  /** The RV of the newest state the cache reflects. */
  lastSyncResourceVersion(): string { return this.lastSyncRV; }

  /** Starts the list/watch loop (runs until stop()). */
  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.currentWatch?.stop();
    this.currentWatch = undefined;
    if (this.sleepTimer !== undefined) this.clock.clearTimeout(this.sleepTimer);
    this.wake?.();
  }

  private report(err: unknown, what: string): void {
    if (this.opts.onError) this.opts.onError(err, what);
    else console.warn(`${this.name}: ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      this.wake = resolve;
      this.sleepTimer = this.clock.setTimeout(() => { this.sleepTimer = undefined; resolve(); }, ms);
    });
  }

  private async loop(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.listOnce();
          needList = false;
        } catch (err) {
          if (this.stopped) return;
          this.report(err, 'failed to list');
          await this.sleep(this.backoff.next());
          continue;
        }
      }
      if (this.stopped) return;
      const outcome = await this.watchOnce();
      switch (outcome) {
        case 'stopped': return;
        case 'rewatch': break;
        case 'relist': needList = true; break;
        case 'backoff-rewatch': await this.sleep(this.backoff.next()); break;
        case 'backoff-relist': needList = true; await this.sleep(this.backoff.next()); break;
      }
    }
  }

  /** The RV for a relist: "0" before anything was seen, "" when the last one is gone, else the last one. */
  private relistResourceVersion(): string {
    if (this.lastSyncRVUnavailable) return '';
    return this.lastSyncRV === '' ? '0' : this.lastSyncRV;
  }

  private async listOnce(): Promise<void> {
    let result: { items: T[]; resourceVersion: string };
    try {
      result = await this.pagedList(this.relistResourceVersion());
    } catch (err) {
      if (!(isGoneError(err) || isTooLargeRVError(err)) || this.lastSyncRVUnavailable) throw err;
      // the RV we asked for is compacted away (or not yet known): fall back to a consistent read
      this.lastSyncRVUnavailable = true;
      result = await this.pagedList('');
    }
    if (this.stopped) return;
    this.lastSyncRVUnavailable = false;
    this.sink.replace(result.items, result.resourceVersion);
    this.lastSyncRV = result.resourceVersion;
  }

  /** All pages of a LIST; an expired continue token restarts as one unpaged LIST at the same RV (pager.go). */
  private async pagedList(resourceVersion: string): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let opts: ListOptions = { resourceVersion, limit: this.pageSize };
    for (;;) {
      let page: ListResult<T>;
      try {
        page = await this.lw.list(opts);
      } catch (err) {
        if (!isGoneError(err) || !opts.continue) throw err;
        const full = await this.lw.list({ resourceVersion });
        return { items: full.items ?? [], resourceVersion: full.resourceVersion };
      }
      if (!page || !Array.isArray(page.items)) throw new Error('list returned no items array');
      items.push(...page.items);
      if (!page.continue) return { items, resourceVersion: page.resourceVersion };
      // continuing pages carry no RV (the server rejects an RV together with a continue token)
      opts = { limit: this.pageSize, continue: page.continue };
    }
  }

  private advanceRV(rv: string | undefined): void {
    if (typeof rv !== 'string' || rv === '') return;
    if (isOlderResourceVersion(rv, this.lastSyncRV)) return; // never move backwards
    this.lastSyncRV = rv;
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>(resolve => {
      const started = this.clock.now();
      let events = 0;
      let finished = false;
      let handle: { stop(): void } | undefined;
      const finish = (o: WatchOutcome) => {
        if (finished) return;
        finished = true;
        this.currentWatch = undefined;
        this.wake = undefined;
        resolve(this.stopped ? 'stopped' : o);
      };
      this.wake = () => finish('stopped');
      const onEvent = (ev: WatchEvent) => {
        if (finished || this.stopped) return;
        events++;
        try {
          switch (ev?.type) {
            case 'ADDED': this.sink.added(ev.object); break;
            case 'MODIFIED': this.sink.modified(ev.object); break;
            case 'DELETED': this.sink.deleted(ev.object); break;
            case 'BOOKMARK': break;
            case 'ERROR': {
              const err = statusEventError(ev.object);
              handle?.stop();
              if (isGoneError(err)) {
                finish('relist');
              } else {
                this.report(err, 'watch ERROR event');
                finish('backoff-relist');
              }
              return;
            }
            default:
              this.report(new Error(`unknown watch event type ${JSON.stringify(ev?.type)}`), 'bad watch event');
              return;
          }
        } catch (err) {
          this.report(err, 'failed to apply watch event');
          return;
        }
        this.advanceRV(ev.object?.metadata?.resourceVersion);
      };
      const onClose = (err?: Error) => {
        if (finished) return;
        if (!err) {
          // a watch that ends at once with nothing in it usually means a problem: relist after a pause
          if (events === 0 && this.clock.now() - started < 1000) finish('backoff-relist');
          else finish('rewatch');
          return;
        }
        if (isGoneError(err)) { finish('relist'); return; }
        if (isTooManyRequests(err)) { finish('backoff-rewatch'); return; }
        this.report(err, 'watch closed with error');
        finish('backoff-rewatch');
      };
      const timeoutSeconds = Math.floor(300 + this.random() * 300);
      try {
        handle = this.lw.watch({ resourceVersion: this.lastSyncRV, allowWatchBookmarks: true, timeoutSeconds },
          onEvent, onClose);
      } catch (err) {
        onClose(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      // an ERROR may have arrived synchronously, before the handle existed
      if (finished) handle.stop();
      else this.currentWatch = handle;
    });
  }
}
