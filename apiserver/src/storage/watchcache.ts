// One etcd watch per resource type, fanned out to every client watch (upstream's Cacher + watchCache).
// Holds the current state (for resourceVersion=0 lists and initial events) and a ring of recent events
// (to resume watches from a resourceVersion); a watch from before the ring's start gets 410 Expired.
import { EventEmitter } from 'node:events';
import { GrpcError } from '@mk8s/apimachinery';
import type { EtcdStore, EtcdWatch, KV, WatchEvent } from './etcd';
import { CompactedError } from './etcd';
import type { KObject } from '../registry/strategy';
import type { Logger } from '@mk8s/apimachinery';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface CacheEvent {
  type: EventType; key: string; object: KObject; prevObject?: KObject; revision: number;
}

export interface CacheWatcher {
  /** Deliver an event; return false to unsubscribe. */
  send(ev: CacheEvent): void;
  /** The cache had to drop its history (etcd compacted under it): the client must re-watch. */
  terminate(): void;
}

export class WatchCache {
  readonly state = new Map<string, KObject>();
  /** The revision up to which this cache has applied events. */
  revision = 0;
  /** Events with revision > historyStart are all in `events`. */
  private historyStart = 0;
  private events: CacheEvent[] = [];
  private head = 0; // index of the oldest event in the ring (events is used as a ring once full)
  private watchers = new Set<CacheWatcher>();
  private etcdWatcher?: EtcdWatch;
  private readyPromise?: Promise<void>;
  private stopped = false;
  private emitter = new EventEmitter();

  constructor(private readonly etcd: EtcdStore, readonly prefix: string,
              private readonly decode: (kv: KV) => KObject, private readonly log: Logger,
              private readonly capacity = 50000) {
    this.emitter.setMaxListeners(0);
  }

  ready(): Promise<void> {
    if (!this.readyPromise) this.readyPromise = this.start();
    return this.readyPromise;
  }

  private async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try { await this.load(); break; } catch (e) {
        if (this.stopped) return;
        this.log.warn('watch cache list failed, retrying', { prefix: this.prefix, error: String(e) });
        await sleep(Math.min(200 * 2 ** attempt, 5000));
      }
    }
  }

  /** List everything, then watch from the list's revision; on compaction under us, do it again. */
  private async load(): Promise<void> {
    const all = new Map<string, KObject>();
    let start = this.prefix, revision = 0;
    for (;;) {
      const r = await this.etcd.range(this.prefix, { startKey: start, limit: 10000, revision });
      revision = r.revision;
      for (const kv of r.kvs) all.set(kv.key, this.decode(kv));
      if (!r.more || !r.kvs.length) break;
      start = r.kvs[r.kvs.length - 1].key + '\0';
    }
    this.state.clear();
    for (const [k, v] of all) this.state.set(k, v);
    this.revision = revision;
    this.historyStart = revision;
    this.events = []; this.head = 0;
    await this.watchFrom(revision + 1);
  }

  private async watchFrom(rev: number): Promise<void> {
    const handler = {
      onEvents: (events: WatchEvent[]) => this.applyEtcd(events),
      onError: (err: Error) => {
        if (this.stopped) return;
        this.etcdWatcher = undefined;
        // A lost connection loses no events: watch again from where we are (as etcd's own clients do).
        // Compaction or a cancel by etcd means events are gone: start over from a list.
        if (err instanceof GrpcError) {
          this.log.warn('etcd watch interrupted; resuming', { prefix: this.prefix, revision: this.revision, error: String(err) });
          void this.resume();
        } else this.relist(err);
      },
    };
    this.etcdWatcher = await this.etcd.watch(this.prefix, rev, handler);
    if (this.stopped) this.etcdWatcher.cancel();
  }

  private relist(err: unknown) {
    this.log.warn('etcd watch failed; relisting', { prefix: this.prefix, error: String(err) });
    for (const cw of this.watchers) cw.terminate();
    this.watchers.clear();
    this.readyPromise = this.start();
  }

  /** Re-creates the etcd watch after the last applied revision, retrying while etcd is unreachable. */
  private async resume() {
    for (let attempt = 0; !this.stopped; attempt++) {
      try { await this.watchFrom(this.revision + 1); return; } catch (e) {
        if (this.stopped) return;
        if (e instanceof CompactedError || !(e instanceof GrpcError)) { this.relist(e); return; }
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
  }

  private applyEtcd(events: WatchEvent[]) {
    for (const e of events) {
      const kv = e.kv;
      try {
        if (e.type === 'delete') {
          const prev = this.state.get(kv.key) ?? (e.prevKv ? this.decode({ ...kv, value: e.prevKv.value, modRevision: kv.modRevision }) : undefined);
          this.state.delete(kv.key);
          if (prev) {
            const obj = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(kv.modRevision) } };
            this.apply({ type: 'DELETED', key: kv.key, object: obj, prevObject: prev, revision: kv.modRevision });
          } else this.revision = kv.modRevision;
        } else {
          const obj = this.decode(kv);
          const prev = this.state.get(kv.key);
          this.state.set(kv.key, obj);
          this.apply({ type: prev ? 'MODIFIED' : 'ADDED', key: kv.key, object: obj, prevObject: prev, revision: kv.modRevision });
        }
      } catch (err) {
        this.log.error('undecodable value in etcd', { key: kv.key, error: String(err) });
      }
    }
  }

  private apply(ev: CacheEvent) {
    this.revision = ev.revision;
    if (this.events.length < this.capacity) this.events.push(ev);
    else {
      this.historyStart = this.events[this.head].revision;
      this.events[this.head] = ev;
      this.head = (this.head + 1) % this.capacity;
    }
    for (const w of this.watchers) w.send(ev);
    this.emitter.emit('rev', ev.revision);
  }

  /** Wait until the cache has seen `rev` (for watches from a future revision), at most timeoutMs. */
  async waitFor(rev: number, timeoutMs: number): Promise<boolean> {
    if (this.revision >= rev) return true;
    return new Promise(resolve => {
      const onRev = () => { if (this.revision >= rev) { done(); resolve(true); } };
      const t = setTimeout(() => { done(); resolve(this.revision >= rev); }, timeoutMs);
      const done = () => { clearTimeout(t); this.emitter.off('rev', onRev); };
      this.emitter.on('rev', onRev);
    });
  }

  /** The oldest revision a watch may resume from. */
  get oldestResumable(): number { return this.historyStart; }

  /** Events after `rev`, or undefined when they are no longer all held (410). */
  eventsAfter(rev: number): CacheEvent[] | undefined {
    if (rev < this.historyStart) return undefined;
    const n = this.events.length, out: CacheEvent[] = [];
    for (let i = 0; i < n; i++) {
      const ev = this.events[(this.head + i) % n];
      if (ev.revision > rev) out.push(ev);
    }
    return out;
  }

  /** Subscribe; returns the unsubscribe function. Replay and subscription are atomic (single-threaded). */
  subscribe(w: CacheWatcher): () => void {
    this.watchers.add(w);
    return () => { this.watchers.delete(w); };
  }

  get watcherCount() { return this.watchers.size; }

  /** Drop history at or below a revision the apiserver compacted. */
  compacted(rev: number) {
    if (rev <= this.historyStart) return;
    const kept = this.eventsAfter(rev) ?? [];
    this.events = kept; this.head = 0; this.historyStart = rev;
  }

  async stop() {
    this.stopped = true;
    for (const w of this.watchers) w.terminate();
    this.watchers.clear();
    this.etcdWatcher?.cancel();
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
