// SharedInformer: one reflector feeding one indexed cache and any number of event handlers
// (client-go tools/cache/shared_informer.go, controller.go, delta_fifo.go).
//
// Contract for handlers and lister users: objects handed out are the cache's own and are shared by everyone.
// NEVER mutate them; copy first (structuredClone). With `freezeObjects: true` (or env MK8S_FREEZE_CACHE=1) the
// cache deep-freezes what it stores, so a mutation throws in strict mode instead of silently corrupting the cache.
//
// Notifications (delivered synchronously, in order, to each handler; a throwing handler is reported and skipped):
// - add(obj, isInInitialList) for a new key, update(old, new) for a known key (also after a relist, and on resync
//   with old === new), delete(obj | DeletedFinalStateUnknown) - a tombstone when the delete was only noticed by a
//   relist. Handlers added after the informer started first get add() for every cached object.
import { LabelSelector, parseLabelSelector } from '../labels/selector';
import { Clock, realClock } from './clock';
import { isOlderResourceVersion, ListWatcher, Reflector, ReflectorOptions } from './reflector';
import {
  DeletedFinalStateUnknown, deepFreeze, IndexFunc, Indexer, KeyFunc, KubeObject, metaNamespaceKeyFunc, NAMESPACE_INDEX,
  namespaceIndexFunc,
} from './store';

export interface ResourceEventHandler<T> {
  add?(obj: T, isInInitialList: boolean): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface HandlerRegistration {
  /** True once this handler has been given the initial list. */
  hasSynced(): boolean;
  remove(): void;
}

export interface Lister<T> {
  /** By key: get('ns/name'), get('ns', 'name'), or get('name') for cluster-scoped objects. */
  get(keyOrNamespace: string, name?: string): T | undefined;
  /** Every cached object matching the selector (a parsed one or the string syntax). */
  list(selector?: LabelSelector | string): T[];
  /** Objects of one namespace (via the namespace index) matching the selector. */
  listNamespace(namespace: string, selector?: LabelSelector | string): T[];
  byIndex(indexName: string, value: string): T[];
}

export interface InformerOptions<T> extends ReflectorOptions {
  /** Period of resync notifications (update(obj, obj) for everything); 0 or absent = none. Minimum 1 s. */
  resyncPeriodMs?: number;
  /** Extra indexes; `byNamespace` is always there. */
  indexers?: Record<string, IndexFunc<T>>;
  keyFunc?: KeyFunc<T>;
  /** Deep-freeze cached objects (dev/test aid); defaults to env MK8S_FREEZE_CACHE=1. */
  freezeObjects?: boolean;
}

interface Listener<T> { handler: ResourceEventHandler<T>; synced: boolean; removed: boolean }

export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  private readonly reflector: Reflector<T>;
  private readonly listeners: Listener<T>[] = [];
  private readonly clock: Clock;
  private started = false;
  private stopped = false;
  private synced = false;
  private resyncTimer: unknown;
  private syncWaiters: (() => void)[] = [];
  private readonly freeze: boolean;

  constructor(lw: ListWatcher<T>, private readonly opts: InformerOptions<T> = {}) {
    this.clock = opts.clock ?? realClock;
    this.freeze = opts.freezeObjects ?? process.env.MK8S_FREEZE_CACHE === '1';
    this.indexer = new Indexer<T>(opts.keyFunc ?? (metaNamespaceKeyFunc as KeyFunc<T>),
      { [NAMESPACE_INDEX]: namespaceIndexFunc as IndexFunc<T>, ...(opts.indexers ?? {}) }, this.freeze);
    this.lister = makeLister(this.indexer);
    this.reflector = new Reflector<T>(lw, {
      replace: (items, rv) => this.onReplace(items, rv),
      added: obj => this.onUpsert(obj),
      modified: obj => this.onUpsert(obj),
      deleted: obj => this.onDelete(obj),
    }, opts);
  }

  /** Adds indexes; allowed before and after start (existing objects are indexed at once). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void { this.indexer.addIndexers(indexers); }

  addEventHandler(handler: ResourceEventHandler<T>): HandlerRegistration {
    const l: Listener<T> = { handler, synced: false, removed: false };
    this.listeners.push(l);
    if (this.synced) {
      for (const obj of this.indexer.list()) this.call(l, 'add', () => handler.add?.(obj, true));
      l.synced = true;
    }
    return {
      hasSynced: () => l.synced,
      remove: () => { l.removed = true; const i = this.listeners.indexOf(l); if (i >= 0) this.listeners.splice(i, 1); },
    };
  }

  /** Starts the reflector (and resync timer). Idempotent. */
  run(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.reflector.run();
    this.scheduleResync();
  }

  stop(): void {
    this.stopped = true;
    this.reflector.stop();
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    for (const w of this.syncWaiters.splice(0)) w();
  }

  /** True once the first LIST has been stored and its notifications delivered. */
  hasSynced(): boolean { return this.synced; }

  /** Resolves true when synced, false if stopped (or `signal` aborted) first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped || signal?.aborted) return Promise.resolve(false);
    return new Promise(resolve => {
      const done = () => resolve(this.synced);
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', () => {
        this.syncWaiters = this.syncWaiters.filter(w => w !== done);
        resolve(false);
      }, { once: true });
    });
  }

  lastSyncResourceVersion(): string { return this.reflector.lastSyncResourceVersion(); }
  isStopped(): boolean { return this.stopped; }

  // ---- delta handling ----

  private onReplace(items: T[], _rv: string): void {
    const initial = !this.synced;
    const listed = new Set<string>();
    for (const obj of items) {
      const key = this.indexer.keyFunc(obj);
      listed.add(key);
      const old = this.indexer.upsert(obj);
      if (old !== undefined) this.notify('update', l => l.handler.update?.(old, obj));
      else this.notify('add', l => l.handler.add?.(obj, initial));
    }
    for (const key of this.indexer.keys()) {
      if (listed.has(key)) continue;
      const old = this.indexer.deleteKey(key)!;
      // the delete happened while we were not watching: we only know the last state we had
      const tombstone = new DeletedFinalStateUnknown<T>(key, old);
      this.notify('delete', l => l.handler.delete?.(tombstone));
    }
    if (!this.synced) {
      this.synced = true;
      for (const l of this.listeners) l.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private onUpsert(obj: T): void {
    const key = this.indexer.keyFunc(obj);
    const cur = this.indexer.get(key);
    // a stale event (older than what the cache holds) must not roll the cache back
    if (cur !== undefined && isOlderResourceVersion(obj.metadata?.resourceVersion, cur.metadata?.resourceVersion)) return;
    const old = this.indexer.upsert(obj);
    if (old !== undefined) this.notify('update', l => l.handler.update?.(old, obj));
    else this.notify('add', l => l.handler.add?.(obj, false));
  }

  private onDelete(obj: T): void {
    const key = this.indexer.keyFunc(obj);
    const cur = this.indexer.get(key);
    if (cur === undefined) return; // already gone (e.g. removed by a relist)
    if (isOlderResourceVersion(obj.metadata?.resourceVersion, cur.metadata?.resourceVersion)) return;
    this.indexer.deleteKey(key);
    if (this.freeze) deepFreeze(obj); // handlers get the event's object: same no-mutation rule
    this.notify('delete', l => l.handler.delete?.(obj));
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 0;
    if (!(period > 0) || this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.synced) {
        for (const obj of this.indexer.list()) this.notify('update', l => l.handler.update?.(obj, obj));
      }
      this.scheduleResync();
    }, Math.max(1000, period));
  }

  private notify(what: string, fn: (l: Listener<T>) => void): void {
    for (const l of [...this.listeners]) if (!l.removed) this.call(l, what, () => fn(l));
  }

  private call(_l: Listener<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const msg = `${this.opts.name ?? 'informer'}: ${what} handler failed`;
      if (this.opts.onError) this.opts.onError(err, msg);
      else console.error(msg, err);
    }
  }
}

function toSelector(sel: LabelSelector | string | undefined): LabelSelector | undefined {
  return typeof sel === 'string' ? parseLabelSelector(sel) : sel;
}

function makeLister<T extends KubeObject>(indexer: Indexer<T>): Lister<T> {
  const filter = (objs: T[], sel?: LabelSelector | string) => {
    const s = toSelector(sel);
    return !s || s.empty() ? objs : objs.filter(o => s.matches(o.metadata?.labels));
  };
  return {
    get: (keyOrNs, name) => indexer.get(name === undefined ? keyOrNs : keyOrNs ? `${keyOrNs}/${name}` : name),
    list: sel => filter(indexer.list(), sel),
    listNamespace: (ns, sel) => filter(indexer.byIndex(NAMESPACE_INDEX, ns), sel),
    byIndex: (name, value) => indexer.byIndex(name, value),
  };
}

/** One informer per resource, shared by all controllers of a process (SharedInformerFactory). */
export class InformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private started = false;

  /** The informer for `resource` (e.g. `pods`, `deployments.apps`), created on first request. */
  forResource<T extends KubeObject>(resource: string, create: () => SharedInformer<T>): SharedInformer<T> {
    let inf = this.informers.get(resource);
    if (!inf) {
      inf = create() as unknown as SharedInformer<KubeObject>;
      this.informers.set(resource, inf);
      if (this.started) inf.run();
    }
    return inf as unknown as SharedInformer<T>;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.run();
  }

  /** Resolves true when every informer has synced; false if one stopped or the signal aborted first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map(i => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}
