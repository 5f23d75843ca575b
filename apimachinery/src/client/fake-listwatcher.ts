// An in-memory ListWatcher for tests of informers and controllers: a tiny apiserver with a revision counter,
// paged LIST, watch replay from an RV, compaction (410s), bookmarks, and fault injection (dropped streams,
// ERROR events, failing lists).
import { StatusError } from '../api/errors';
import { ListOptions, ListResult, ListWatcher, WatchEvent, WatchOptions } from './reflector';
import { KubeObject, metaNamespaceKeyFunc } from './store';

interface HistoryEntry { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }
interface ActiveWatch { onEvent: (ev: WatchEvent) => void; onClose: (err?: Error) => void; closed: boolean; sentRV: number }

const clone = <T>(o: T): T => structuredClone(o);
const gone = (msg: string) => new StatusError(410, 'Expired', msg);

export class FakeListWatcher implements ListWatcher<KubeObject> {
  rv = 0;
  private objects = new Map<string, KubeObject>();
  private history: HistoryEntry[] = [];
  private compactedRV = 0;
  private watches: ActiveWatch[] = [];
  /** Every list/watch call, for assertions. */
  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: WatchOptions[] = [];
  /** Errors the next LIST calls throw, in order. */
  readonly listFailures: Error[] = [];
  /** Errors the next WATCH calls close with at once, in order. */
  readonly watchFailures: Error[] = [];

  // ---- server-side mutations ----
  create(obj: KubeObject): KubeObject { return this.write('ADDED', obj); }
  update(obj: KubeObject): KubeObject { return this.write('MODIFIED', obj); }
  delete(key: string): void {
    const cur = this.objects.get(key);
    if (!cur) throw new Error(`no object ${key}`);
    this.objects.delete(key);
    this.rv++;
    const obj = clone(cur);
    obj.metadata = { ...obj.metadata, resourceVersion: String(this.rv) };
    this.record({ rv: this.rv, type: 'DELETED', object: obj });
  }
  get(key: string): KubeObject | undefined { return this.objects.get(key); }

  /** Forgets history up to the current RV, so older RVs answer 410. */
  compact(): void { this.compactedRV = this.rv; this.history = this.history.filter(h => h.rv > this.rv); }

  /** Ends every open watch; with an error as a failed stream, without as a normal timeout. */
  dropWatches(err?: Error): void {
    for (const w of this.watches.splice(0)) this.close(w, err);
  }
  /** Sends an ERROR event (a Status) to every open watch, then closes them as the apiserver does. */
  sendWatchError(code: number, reason: string, message: string): void {
    for (const w of this.watches.splice(0)) {
      w.onEvent({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message } });
      this.close(w);
    }
  }
  sendBookmark(): void {
    for (const w of this.watches) {
      w.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.rv) } } });
      w.sentRV = this.rv;
    }
  }
  /** Delivers a raw event to open watches (e.g. a stale, out-of-order one). */
  sendRaw(ev: WatchEvent): void { for (const w of this.watches) w.onEvent(ev); }
  openWatches(): number { return this.watches.length; }

  // ---- ListWatcher ----
  async list(opts: ListOptions): Promise<ListResult<KubeObject>> {
    this.listCalls.push({ ...opts });
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    const asked = opts.resourceVersion;
    if (opts.continue) {
      const { rv, start } = JSON.parse(Buffer.from(opts.continue, 'base64').toString()) as { rv: number; start: number };
      if (rv < this.compactedRV) throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      return this.page(start, opts.limit);
    }
    if (asked && asked !== '0' && Number(asked) < this.compactedRV) {
      throw gone('The resourceVersion for the provided list is too old.');
    }
    return this.page(0, opts.resourceVersion === '0' ? undefined : opts.limit);
  }

  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void): { stop(): void } {
    this.watchCalls.push({ ...opts });
    const w: ActiveWatch = { onEvent, onClose, closed: false, sentRV: Number(opts.resourceVersion || this.rv) };
    const failure = this.watchFailures.shift();
    if (failure) {
      queueMicrotask(() => this.close(w, failure));
      return { stop: () => { w.closed = true; } };
    }
    const from = Number(opts.resourceVersion);
    if (from < this.compactedRV) {
      queueMicrotask(() => {
        onEvent({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410,
          reason: 'Expired', message: `too old resource version: ${from} (${this.compactedRV})` } });
        this.close(w);
      });
      return { stop: () => { w.closed = true; } };
    }
    this.watches.push(w);
    queueMicrotask(() => {
      for (const h of this.history) if (h.rv > from) this.deliver(w, h);
    });
    return { stop: () => { w.closed = true; this.watches = this.watches.filter(x => x !== w); } };
  }

  // ---- internals ----
  private write(type: 'ADDED' | 'MODIFIED', obj: KubeObject): KubeObject {
    const key = metaNamespaceKeyFunc(obj);
    if (type === 'ADDED' && this.objects.has(key)) throw new Error(`${key} exists`);
    if (type === 'MODIFIED' && !this.objects.has(key)) throw new Error(`${key} does not exist`);
    this.rv++;
    const stored = clone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(this.rv) };
    this.objects.set(key, stored);
    this.record({ rv: this.rv, type, object: clone(stored) });
    return clone(stored);
  }

  private record(h: HistoryEntry): void {
    this.history.push(h);
    for (const w of this.watches) queueMicrotask(() => this.deliver(w, h));
  }

  private deliver(w: ActiveWatch, h: HistoryEntry): void {
    if (w.closed || h.rv <= w.sentRV) return;
    w.sentRV = h.rv;
    w.onEvent({ type: h.type, object: clone(h.object) });
  }

  private close(w: ActiveWatch, err?: Error): void {
    if (w.closed) return;
    w.closed = true;
    w.onClose(err);
  }

  private page(start: number, limit?: number): ListResult<KubeObject> {
    const keys = [...this.objects.keys()].sort();
    const end = limit && limit > 0 ? Math.min(keys.length, start + limit) : keys.length;
    const items = keys.slice(start, end).map(k => clone(this.objects.get(k)!));
    const result: ListResult<KubeObject> = { items, resourceVersion: String(this.rv) };
    if (end < keys.length) result.continue = Buffer.from(JSON.stringify({ rv: this.rv, start: end })).toString('base64');
    return result;
  }
}
