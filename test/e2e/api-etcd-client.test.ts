// The apiserver's etcd client (EtcdStore on grpcwire, our own gRPC over node:http2) against a real etcd:
// every store method, CAS conflicts, watches with prev_kv and from compacted revisions, a 20 MB range, an
// etcd crash and restart under the same store, and failover from a dead first endpoint.
import * as fs from 'fs';
import { Etcd3 } from 'etcd3';
import { EtcdStore, CompactedError, FutureRevisionError, storageError, WatchEvent, WatchHandler } from '../../apiserver/src/storage/etcd';
import { GrpcError } from '@mk8s/apimachinery';
import { startEtcd, EtcdHandle, freePorts } from '../src';

jest.setTimeout(120_000);

let etcd: EtcdHandle;
let store: EtcdStore;
let raw: Etcd3;

beforeAll(async () => {
  etcd = await startEtcd();
  store = new EtcdStore([etcd.endpoint]);
  raw = new Etcd3({ hosts: etcd.endpoint });
});
afterAll(async () => {
  store?.close();
  raw?.close();
  await etcd?.stop();
});

const v = (s: unknown) => Buffer.from(JSON.stringify(s));
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try { const r = await fn(); if (r !== undefined) return r; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}

/** Collects a watch's events; `error` is set when the watch ends on its own. */
class Collector implements WatchHandler {
  events: WatchEvent[] = [];
  error?: Error;
  onEvents(evs: WatchEvent[]) { this.events.push(...evs); }
  onError(err: Error) { this.error = err; }
}

describe('EtcdStore on a real etcd', () => {
  it('creates, reads, updates and deletes with compare-and-swap on mod_revision', async () => {
    const rev = (await store.create('/t/crud/a', v({ n: 1 })))!;
    expect(rev).toBeGreaterThan(0);
    expect(await store.create('/t/crud/a', v({ n: 'again' }))).toBeUndefined();
    const kv = (await store.get('/t/crud/a'))!;
    expect([kv.key, kv.value.toString(), kv.modRevision, kv.createRevision]).toEqual(['/t/crud/a', '{"n":1}', rev, rev]);
    expect(await store.get('/t/crud/missing')).toBeUndefined();

    const up = await store.update('/t/crud/a', v({ n: 2 }), rev);
    expect('revision' in up && up.revision).toBeGreaterThan(rev);
    const stale = await store.update('/t/crud/a', v({ n: 3 }), rev);
    expect('current' in stale && stale.current!.value.toString()).toBe('{"n":2}');
    const staleDelete = await store.delete('/t/crud/a', rev);
    expect('current' in staleDelete && staleDelete.current!.modRevision).toBe((up as { revision: number }).revision);

    const del = await store.delete('/t/crud/a', (up as { revision: number }).revision);
    expect('revision' in del).toBe(true);
    expect(await store.get('/t/crud/a')).toBeUndefined();
    expect(await store.update('/t/crud/a', v({}), 5)).toEqual({ current: null });
    expect(await store.currentRevision()).toBe((del as { revision: number }).revision);
  });

  it('lets exactly one of many concurrent writers win a CAS race', async () => {
    const base = (await store.create('/t/race/x', v({ w: -1 })))!;
    const results = await Promise.all(Array.from({ length: 25 }, (_, w) => store.update('/t/race/x', v({ w }), base)));
    const winners = results.filter(r => 'revision' in r);
    expect(winners).toHaveLength(1);
    const current = (await store.get('/t/race/x'))!;
    for (const r of results) if ('current' in r) expect(r.current!.modRevision).toBe(current.modRevision);
  });

  it('ranges over a prefix with limit, startKey and an older revision; counts; future revisions', async () => {
    for (let i = 0; i < 12; i++) await store.create(`/t/range/k${String(i).padStart(2, '0')}`, v({ i }));
    await store.create('/t/rangeX', v('outside the prefix'));
    const page = await store.range('/t/range/', { limit: 5 });
    expect(page.kvs.map(k => k.key)).toEqual(['/t/range/k00', '/t/range/k01', '/t/range/k02', '/t/range/k03', '/t/range/k04']);
    expect([page.more, page.count]).toEqual([true, 12]);
    const next = await store.range('/t/range/', { startKey: '/t/range/k04\0', revision: page.revision });
    expect(next.kvs.map(k => k.key)).toHaveLength(7);
    expect(next.more).toBe(false);

    const before = page.revision;
    await store.update('/t/range/k00', v({ i: 'changed' }), page.kvs[0].modRevision);
    const old = await store.range('/t/range/', { revision: before, limit: 1 });
    expect(old.kvs[0].value.toString()).toBe('{"i":0}');

    const cur = await store.currentRevision();
    await expect(store.range('/t/range/', { revision: cur + 1000 })).rejects.toBeInstanceOf(FutureRevisionError);
    await expect(store.checkRevision(cur + 1000)).resolves.toBeUndefined();
  });

  it('grants leases with full int64 IDs, shares them, and attaches them to puts', async () => {
    const id = await store.leaseFor(30);
    expect(id).toMatch(/^\d+$/);
    expect(await store.leaseFor(30)).toBe(id);
    await store.create('/t/lease/e', v('event'), id);
    const got = await raw.get('/t/lease/e').exec();
    expect(got.kvs[0].lease).toBe(id);
    const lease = await raw.leaseClient.leaseTimeToLive({ ID: id });
    expect(Number(lease.grantedTTL)).toBe(90);
  });

  it('returns a 20 MB range in one response', async () => {
    const mb = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 20; i++) await store.create(`/t/big/${i}`, mb);
    const r = await store.range('/t/big/');
    expect(r.kvs).toHaveLength(20);
    expect(r.kvs.reduce((n, k) => n + k.value.length, 0)).toBe(20 * 1024 * 1024);
    expect(r.kvs.every(k => k.value.equals(mb))).toBe(true);
  });

  it('watches a prefix with prev_kv across many events, in order', async () => {
    const start = (await store.currentRevision()) + 1;
    const c = new Collector();
    const w = await store.watch('/t/watch/', start, c);
    const mods = new Map<string, number>();
    let expected = 0;
    for (let i = 0; i < 1000; i++) {
      const key = `/t/watch/k${i % 40}`;
      const m = mods.get(key);
      if (m === undefined) { mods.set(key, (await store.create(key, v({ i })))!); expected++; }
      else if (i % 7 === 0) { const r = await store.delete(key, m); expect('revision' in r).toBe(true); mods.delete(key); expected++; }
      else { const r = await store.update(key, v({ i }), m) as { revision: number }; mods.set(key, r.revision); expected++; }
    }
    await store.create('/t/watchX', v('not under the prefix'));
    await until('all events', async () => (c.events.length >= expected ? true : undefined));
    expect(c.events).toHaveLength(expected);
    expect(c.error).toBeUndefined();
    const last = new Map<string, string>();
    let prevRev = start - 1;
    for (const e of c.events) {
      expect(e.revision).toBeGreaterThan(prevRev);
      prevRev = e.revision;
      expect(e.kv.key.startsWith('/t/watch/')).toBe(true);
      // prev_kv is the value this key had before the event
      expect(e.prevKv?.value.toString()).toBe(last.get(e.kv.key));
      if (e.type === 'delete') { expect(e.kv.value.length).toBe(0); last.delete(e.kv.key); } else last.set(e.kv.key, e.kv.value.toString());
    }
    w.cancel();
    await store.create('/t/watch/after-cancel', v(1));
    await sleep(200);
    expect(c.events).toHaveLength(expected);
    expect(c.error).toBeUndefined();
  });

  it('refuses a watch from a compacted revision with CompactedError (410 for clients)', async () => {
    const r1 = (await store.create('/t/compact/a', v(1)))!;
    await store.update('/t/compact/a', v(2), r1);
    const now = await store.currentRevision();
    await store.compact(now);
    // etcd first confirms the watch, then cancels it with the compact revision: either way the caller sees it
    const c = new Collector();
    const early = await store.watch('/t/compact/', r1, c).then(() => undefined, e => e as Error);
    const err = early ?? await until('the compaction error', async () => c.error);
    expect(err).toBeInstanceOf(CompactedError);
    expect((err as CompactedError).compacted).toBe(now);
    expect(c.events).toHaveLength(0);
    expect(storageError(err).code).toBe(410);
    await expect(store.range('/t/compact/', { revision: r1 })).rejects.toBeInstanceOf(CompactedError);
    await expect(store.checkRevision(r1)).rejects.toBeInstanceOf(CompactedError);
    await expect(store.checkRevision(now)).resolves.toBeUndefined();
  });

  it('uses a later endpoint when the first one is down', async () => {
    const [deadPort] = await freePorts(1);
    const s = new EtcdStore([`http://127.0.0.1:${deadPort}`, etcd.endpoint]);
    try {
      for (let i = 0; i < 5; i++) await s.create(`/t/multi/${i}`, v(i));
      expect((await s.range('/t/multi/')).kvs).toHaveLength(5);
      const c = new Collector();
      const w = await s.watch('/t/multi/', (await s.currentRevision()) + 1, c);
      await s.create('/t/multi/w', v('w'));
      await until('the event', async () => (c.events.length ? true : undefined));
      w.cancel();
    } finally { s.close(); }
  });

  it('times out with 503 while etcd hangs (SIGSTOP), then works again', async () => {
    const s = new EtcdStore([etcd.endpoint], 1000);
    try {
      await s.currentRevision();
      etcd.kill('SIGSTOP');
      // stopped means every thread: wait for the kernel to say so before asking
      await until('etcd to be stopped', async () => (/\) T /.test(fs.readFileSync(`/proc/${etcd.pid}/stat`, 'utf8')) ? true : undefined), 5000);
      const t0 = Date.now();
      const err = await s.get('/t/crud/x').then(() => undefined, e => e);
      expect(err).toBeInstanceOf(GrpcError);
      expect((err as GrpcError).code).toBe(4);
      expect(storageError(err).code).toBe(503);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally { etcd.kill('SIGCONT'); }
    await until('etcd answering again', () => s.currentRevision());
    s.close();
  });

  it('reports UNAVAILABLE (503) within seconds of an etcd crash and recovers on the same store', async () => {
    const c = new Collector();
    await store.watch('/t/crash/', (await store.currentRevision()) + 1, c);
    etcd.kill('SIGKILL');
    const t0 = Date.now();
    const err = await until('a failure', async () => store.get('/t/crud/a').then(() => undefined, e => e as Error));
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(14);
    expect(err.message).toContain('UNAVAILABLE');
    expect(storageError(err).code).toBe(503);
    await until('the watch to end', async () => (c.error ? true : undefined), 6000);
    expect(c.error!.message).toContain('UNAVAILABLE');

    await etcd.restart();
    const rev = await until('etcd back', () => store.create('/t/crash/after', v('back')));
    expect(rev).toBeGreaterThan(0);
    expect((await store.get('/t/crash/after'))!.value.toString()).toBe('"back"');
    const c2 = new Collector();
    const w = await store.watch('/t/crash/', rev + 1, c2);
    await store.create('/t/crash/after2', v(2));
    await until('a watch event after recovery', async () => (c2.events.length ? true : undefined));
    w.cancel();
  });
});
