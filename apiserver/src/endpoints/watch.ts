// WATCH: newline-delimited JSON events streamed and flushed at once, served from the watch cache.
import type { ApiResponder } from './handler';
import { errors, StatusError } from '@mk8s/apimachinery';
import type { GenericStore, ListOptions } from '../registry/store';
import type { CacheEvent } from '../storage/watchcache';
import { CompactedError } from '../storage/etcd';
import type { KObject } from '../registry/strategy';
import { tableRow, tableColumns } from './table';

export interface WatchRequest extends ListOptions {
  namespace?: string; name?: string; allowWatchBookmarks?: boolean; timeoutSeconds?: number;
  sendInitialEvents?: boolean; table?: { version: string; includeObject: string };
}

export interface WatchMetrics { opened(resource: string): void; closed(resource: string): void }

const BOOKMARK_EVERY_MS = 60_000;
// Each cache event is serialized once and shared by every plain-JSON watcher.
const encoded = new WeakMap<CacheEvent, Map<string, string>>();

export async function serveWatch(store: GenericStore, w: WatchRequest, out: ApiResponder, metrics?: WatchMetrics): Promise<void> {
  const baseMatch = store.matcher(w);
  const match = (o: KObject) => (!w.namespace || o.metadata.namespace === w.namespace) && (!w.name || o.metadata.name === w.name) && baseMatch(o);
  await store.cacheReady();

  let initial: KObject[] = [];
  let fromRev: number;
  const rv = w.resourceVersion;
  if (rv === undefined || rv === '' ) {
    // "Most recent": a consistent list, then events after it.
    const list = await store.list(w.namespace, { labelSelector: w.labelSelector, fieldSelector: w.fieldSelector });
    initial = list.items.filter(match);
    fromRev = Number(list.metadata.resourceVersion);
  } else if (rv === '0') {
    fromRev = store.cache.revision;
    for (const o of store.cache.state.values()) if (match(o)) initial.push(o);
  } else {
    fromRev = Number(rv);
    if (!Number.isInteger(fromRev) || fromRev < 0) throw errors.badRequest(`invalid resource version "${rv}"`);
    initial = [];
  }
  if (w.sendInitialEvents === false && (rv === undefined || rv === '' || rv === '0')) initial = [];

  const res = out.stream();
  let closed = false;
  let lastRev = fromRev;
  let firstTable = true;
  const write = (s: string) => { if (!closed) res.write(s); };
  const frame = (type: string, obj: unknown) => JSON.stringify({ type, object: obj }) + '\n';
  const tableOf = (obj: KObject) => {
    const t = {
      kind: 'Table', apiVersion: `meta.k8s.io/${w.table!.version}`, metadata: { resourceVersion: obj.metadata.resourceVersion },
      columnDefinitions: firstTable ? tableColumns(store) : null, rows: [tableRow(store, obj, w.table!.includeObject, new Date())],
    };
    firstTable = false;
    return t;
  };
  const emit = (type: string, obj: KObject, ev?: CacheEvent) => {
    if (w.table) { write(frame(type, tableOf(obj))); return; }
    if (ev && obj === ev.object) {
      let m = encoded.get(ev); if (!m) encoded.set(ev, m = new Map());
      let s = m.get(type); if (!s) m.set(type, s = frame(type, obj));
      write(s); return;
    }
    write(frame(type, obj));
  };
  const onEvent = (ev: CacheEvent) => {
    if (ev.revision <= lastRev) return;
    lastRev = ev.revision;
    const now = match(ev.object);
    const before = ev.prevObject ? match(ev.prevObject) : false;
    if (ev.type === 'ADDED') { if (now) emit('ADDED', ev.object, ev); }
    else if (ev.type === 'MODIFIED') {
      if (now && before) emit('MODIFIED', ev.object, ev);
      else if (now) emit('ADDED', ev.object, ev);
      else if (before) emit('DELETED', ev.object, ev);
    } else if (before || now) emit('DELETED', ev.object, ev);
  };
  const bookmark = (extra?: Record<string, string>) => {
    const obj: KObject = { kind: store.info.kind, apiVersion: store.apiVersion, metadata: { resourceVersion: String(Math.max(lastRev, store.cache.revision)) } };
    if (extra) obj.metadata.annotations = extra;
    write(frame('BOOKMARK', obj));
  };

  // Starting from an explicit revision: it must still be held (by etcd and by our history).
  if (rv !== undefined && rv !== '' && rv !== '0') {
    let expired: StatusError | undefined;
    try { await store.etcdCheck(fromRev); } catch (e) {
      if (e instanceof CompactedError) expired = errors.gone('The resourceVersion for the provided watch is too old.');
      else throw e;
    }
    if (!expired && store.cache.eventsAfter(fromRev) === undefined) {
      expired = errors.gone(`too old resource version: ${fromRev} (${store.cache.oldestResumable + 1})`);
    }
    if (expired) { write(frame('ERROR', expired.toStatus())); res.end(); closed = true; return; }
  }
  // Replay and subscribe in one tick so that no event falls between them.
  for (const o of initial) emit('ADDED', o);
  if (w.allowWatchBookmarks && w.sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  const backlog = store.cache.eventsAfter(fromRev) ?? [];
  for (const ev of backlog) onEvent(ev);
  metrics?.opened(store.info.resource);
  let timer: NodeJS.Timeout | undefined, bookmarks: NodeJS.Timeout | undefined;
  const finish = () => {
    if (closed) return;
    closed = true; unsubscribe(); clearTimeout(timer); clearInterval(bookmarks);
    metrics?.closed(store.info.resource);
    res.end();
  };
  const unsubscribe = store.cache.subscribe({ send: onEvent, terminate: finish });
  res.onClose(finish);
  const timeoutMs = (w.timeoutSeconds && w.timeoutSeconds > 0 ? w.timeoutSeconds : 1800 + Math.random() * 1800) * 1000;
  timer = setTimeout(() => { if (w.allowWatchBookmarks) bookmark(); finish(); }, timeoutMs);
  if (w.allowWatchBookmarks) bookmarks = setInterval(() => bookmark(), BOOKMARK_EVERY_MS);
}
