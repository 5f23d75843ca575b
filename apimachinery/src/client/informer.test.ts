import { StatusError } from '../api/errors';
import { parseLabelSelector } from '../labels/selector';
import { FakeClock, flushPromises } from './clock';
import { FakeListWatcher } from './fake-listwatcher';
import { InformerFactory, SharedInformer } from './informer';
import { BackoffManager } from './reflector';
import { DeletedFinalStateUnknown, KubeObject, NODE_NAME_INDEX, nodeNameIndexFunc, unwrapTombstone } from './store';

const pod = (ns: string, name: string, labels: Record<string, string> = {}, nodeName = ''): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, spec: { nodeName } });

type Ev = string;
function recorder() {
  const events: Ev[] = [];
  const rv = (o: KubeObject) => o.metadata?.resourceVersion;
  return {
    events,
    handler: {
      add: (o: KubeObject, initial: boolean) => events.push(`add ${o.metadata!.name}${initial ? ' initial' : ''}`),
      update: (a: KubeObject, b: KubeObject) => events.push(`update ${b.metadata!.name} ${rv(a)}->${rv(b)}`),
      delete: (o: KubeObject | DeletedFinalStateUnknown<KubeObject>) =>
        events.push(`delete ${unwrapTombstone(o).metadata!.name}${o instanceof DeletedFinalStateUnknown ? ' tombstone' : ''}`),
    },
  };
}

function setup(opts: { pageSize?: number; resyncPeriodMs?: number } = {}) {
  const clock = new FakeClock(0);
  const lw = new FakeListWatcher();
  const errors: string[] = [];
  const informer = new SharedInformer(lw, {
    clock, random: () => 0, freezeObjects: true, indexers: { [NODE_NAME_INDEX]: nodeNameIndexFunc },
    onError: (e, what) => errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`), ...opts,
  });
  const rec = recorder();
  informer.addEventHandler(rec.handler);
  return { clock, lw, informer, rec, errors };
}

describe('SharedInformer list and watch', () => {
  test('initial list syncs the cache, then watch events flow with old/new', async () => {
    const { lw, informer, rec } = setup();
    lw.create(pod('ns1', 'a', { app: 'web' }, 'node1'));
    lw.create(pod('ns2', 'b', { app: 'db' }));
    expect(informer.hasSynced()).toBe(false);
    informer.run();
    expect(await informer.waitForSync()).toBe(true);
    expect(rec.events).toEqual(['add a initial', 'add b initial']);
    expect(lw.listCalls[0]).toEqual({ resourceVersion: '0', limit: 500 });
    await flushPromises();
    expect(lw.watchCalls[0]).toMatchObject({ resourceVersion: '2', allowWatchBookmarks: true });
    expect(lw.watchCalls[0].timeoutSeconds).toBeGreaterThanOrEqual(300);

    lw.create(pod('ns1', 'c', { app: 'web' }));
    lw.update({ ...lw.get('ns1/a')!, spec: { nodeName: 'node2' } });
    lw.delete('ns2/b');
    await flushPromises();
    expect(rec.events.slice(2)).toEqual(['add c', 'update a 1->4', 'delete b']);
    expect(informer.lastSyncResourceVersion()).toBe('5');

    // lister: by key, by selector, by namespace index, by custom index
    expect(informer.lister.get('ns1/a')?.metadata?.resourceVersion).toBe('4');
    expect(informer.lister.get('ns1', 'c')).toBeDefined();
    expect(informer.lister.get('ns2/b')).toBeUndefined();
    expect(informer.lister.list('app=web').map(o => o.metadata!.name).sort()).toEqual(['a', 'c']);
    expect(informer.lister.list(parseLabelSelector('app!=web'))).toEqual([]);
    expect(informer.lister.listNamespace('ns1', 'app in (web)').length).toBe(2);
    expect(informer.lister.listNamespace('ns2')).toEqual([]);
    expect(informer.lister.byIndex(NODE_NAME_INDEX, 'node2').map(o => o.metadata!.name)).toEqual(['a']);
    expect(informer.lister.byIndex(NODE_NAME_INDEX, 'node1')).toEqual([]);
    expect(() => informer.lister.list('a b')).toThrow(StatusError);
    informer.stop();
  });

  test('paged initial list is assembled from all pages; later pages carry no RV', async () => {
    const { lw, informer, rec } = setup({ pageSize: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) lw.create(pod('ns', n));
    informer.run();
    await informer.waitForSync();
    // RV "0" lets the server ignore the limit, so the first relist with a real RV shows paging
    expect(rec.events.length).toBe(5);
    await flushPromises();
    lw.sendWatchError(410, 'Expired', 'too old resource version: 1 (2)');
    await flushPromises();
    expect(lw.listCalls.slice(1)).toEqual([
      { resourceVersion: '5', limit: 2 },
      { limit: 2, continue: expect.any(String) },
      { limit: 2, continue: expect.any(String) },
    ]);
    expect(informer.indexer.size()).toBe(5);
    informer.stop();
  });

  test('a normally closed watch is re-opened from the last RV without relisting, and nothing is lost', async () => {
    const { lw, informer, rec, clock } = setup();
    lw.create(pod('ns', 'a'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    lw.update({ ...lw.get('ns/a')!, metadata: { ...lw.get('ns/a')!.metadata, labels: { v: '2' } } });
    await flushPromises();
    clock.jump(5000); // the watch lived a while
    lw.dropWatches();
    lw.create(pod('ns', 'b')); // happens while disconnected
    await flushPromises();
    expect(lw.listCalls.length).toBe(1);
    expect(lw.watchCalls.map(w => w.resourceVersion)).toEqual(['1', '2']);
    expect(rec.events).toEqual(['add a initial', 'update a 1->2', 'add b']);
    informer.stop();
  });

  test('a failed stream backs off (800 ms, doubling) and re-watches without relisting', async () => {
    const { lw, informer, clock, errors } = setup();
    lw.create(pod('ns', 'a'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    lw.watchFailures.push(new Error('ECONNRESET'));
    lw.dropWatches(new Error('socket hang up'));
    await flushPromises();
    expect(lw.watchCalls.length).toBe(1);
    await clock.advanceAsync(799);
    expect(lw.watchCalls.length).toBe(1);
    await clock.advanceAsync(1);
    expect(lw.watchCalls.length).toBe(2); // that one fails at once (ECONNRESET)
    await clock.advanceAsync(1599);
    expect(lw.watchCalls.length).toBe(2);
    await clock.advanceAsync(1);
    expect(lw.watchCalls.length).toBe(3);
    expect(lw.listCalls.length).toBe(1);
    expect(errors).toEqual(['watch closed with error: socket hang up', 'watch closed with error: ECONNRESET']);
    lw.create(pod('ns', 'b'));
    await flushPromises();
    expect(informer.lister.get('ns/b')).toBeDefined();
    informer.stop();
  });

  test('ERROR 410 relists at the last RV and re-watches from the list RV', async () => {
    const { lw, informer, rec } = setup();
    lw.create(pod('ns', 'a'));
    lw.create(pod('ns', 'b'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    lw.sendWatchError(410, 'Expired', 'too old resource version: 2 (3)');
    lw.update({ ...lw.get('ns/b')!, metadata: { ...lw.get('ns/b')!.metadata, labels: { v: '2' } } });
    await flushPromises();
    expect(lw.listCalls.map(c => c.resourceVersion)).toEqual(['0', '2']);
    expect(lw.watchCalls.map(c => c.resourceVersion)).toEqual(['2', '3']);
    // relisted objects that were already cached are delivered as updates (b with its new RV)
    expect(rec.events).toEqual(['add a initial', 'add b initial', 'update a 1->1', 'update b 2->3']);
    expect(informer.lister.get('ns/b')!.metadata!.labels).toEqual({ v: '2' });
    informer.stop();
  });

  test('relist deletions are delivered as DeletedFinalStateUnknown with the last known state', async () => {
    const { lw, informer, rec } = setup();
    lw.create(pod('ns', 'a'));
    lw.create(pod('ns', 'b'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    const tombstones: DeletedFinalStateUnknown<KubeObject>[] = [];
    informer.addEventHandler({ delete: o => { if (o instanceof DeletedFinalStateUnknown) tombstones.push(o); } });
    lw.sendWatchError(410, 'Expired', 'too old resource version: 2 (3)');
    // before the relist LIST runs (it is async), the object disappears on the server without a watch event
    (lw as unknown as { objects: Map<string, KubeObject> }).objects.delete('ns/a');
    await flushPromises();
    expect(rec.events).toContain('delete a tombstone');
    expect(tombstones.map(t => [t.key, t.obj.metadata?.name, t.obj.metadata?.resourceVersion])).toEqual([['ns/a', 'a', '1']]);
    expect(rec.events).toContain('update b 2->2'); // a relisted known object is an update
    informer.stop();
  });

  test('relist at a compacted RV gets 410 and falls back to RV ""', async () => {
    const { lw, informer } = setup();
    lw.create(pod('ns', 'a'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    lw.create(pod('ns', 'b'));
    await flushPromises();
    lw.create(pod('ns', 'c'));
    lw.compact(); // everything up to 3 is gone; the informer's RV is 2 (c not yet delivered)
    lw.dropWatches();
    lw.listFailures.push(new StatusError(410, 'Expired', 'The resourceVersion for the provided list is too old.'));
    await flushPromises();
    // re-watch from 2 -> ERROR 410 -> relist at 2 -> 410 -> relist at ""
    expect(lw.listCalls.slice(1).map(c => c.resourceVersion)).toEqual(['2', '']);
    expect(informer.lister.list().map(o => o.metadata!.name).sort()).toEqual(['a', 'b', 'c']);
    expect(informer.lastSyncResourceVersion()).toBe('3');
    informer.stop();
  });

  test('an expired continue token restarts as one unpaged list', async () => {
    const { lw, informer } = setup({ pageSize: 1 });
    lw.create(pod('ns', 'a'));
    lw.create(pod('ns', 'b'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    // first page OK, then the continue token has expired (compacted) by the time page 2 is asked for
    const origList = lw.list.bind(lw);
    lw.list = async opts => {
      if (opts.continue) {
        lw.listCalls.push({ ...opts });
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
      }
      return origList(opts);
    };
    lw.create(pod('ns', 'z'));
    lw.sendWatchError(410, 'Expired', 'gone');
    await flushPromises();
    expect(lw.listCalls.slice(1)).toEqual([
      { resourceVersion: '2', limit: 1 }, { limit: 1, continue: expect.any(String) }, { resourceVersion: '2' },
    ]);
    expect(informer.lister.list().length).toBe(3);
    informer.stop();
  });

  test('bookmarks move the RV; stale out-of-order events are ignored', async () => {
    const { lw, informer, rec } = setup();
    lw.create(pod('ns', 'a'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    lw.rv = 41;
    lw.sendBookmark();
    expect(informer.lastSyncResourceVersion()).toBe('41');
    const current = informer.lister.get('ns/a')!;
    lw.sendRaw({ type: 'MODIFIED', object: { ...pod('ns', 'a', { stale: 'yes' }), metadata: { ...current.metadata, labels: { stale: 'yes' }, resourceVersion: '0' } } });
    expect(informer.lister.get('ns/a')!.metadata!.labels).toEqual({});
    expect(informer.lastSyncResourceVersion()).toBe('41'); // never moves backwards
    lw.dropWatches();
    await flushPromises();
    expect(lw.watchCalls.at(-1)!.resourceVersion).toBe('41');
    expect(rec.events).toEqual(['add a initial']);
    informer.stop();
  });

  test('list failures back off with growing delays', async () => {
    const clock = new FakeClock(0);
    const lw = new FakeListWatcher();
    const inf = new SharedInformer(lw, { clock, random: () => 0, onError: () => {} });
    lw.listFailures.push(new Error('boom'), new Error('boom'), new Error('boom'));
    inf.run();
    await flushPromises();
    expect(lw.listCalls.length).toBe(1);
    await clock.advanceAsync(800);
    expect(lw.listCalls.length).toBe(2);
    await clock.advanceAsync(1600);
    expect(lw.listCalls.length).toBe(3);
    await clock.advanceAsync(3199);
    expect(lw.listCalls.length).toBe(3);
    await clock.advanceAsync(1);
    expect(lw.listCalls.length).toBe(4);
    expect(inf.hasSynced()).toBe(true);
    inf.stop();
  });
});

describe('handlers, resync, freezing', () => {
  test('resync delivers update(obj, obj) each period', async () => {
    const { lw, informer, rec, clock } = setup({ resyncPeriodMs: 30_000 });
    lw.create(pod('ns', 'a'));
    informer.run();
    await informer.waitForSync();
    await clock.advanceAsync(30_000);
    expect(rec.events).toEqual(['add a initial', 'update a 1->1']);
    await clock.advanceAsync(30_000);
    expect(rec.events.filter(e => e === 'update a 1->1').length).toBe(2);
    informer.stop();
  });

  test('late handlers get the cache replayed; removed handlers get nothing; a throwing handler is contained', async () => {
    const { lw, informer, rec, errors } = setup();
    lw.create(pod('ns', 'a'));
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    const late = recorder();
    const reg = informer.addEventHandler(late.handler);
    expect(late.events).toEqual(['add a initial']);
    expect(reg.hasSynced()).toBe(true);
    informer.addEventHandler({ add: () => { throw new Error('handler bug'); } });
    reg.remove();
    lw.create(pod('ns', 'b'));
    await flushPromises();
    expect(late.events).toEqual(['add a initial']);
    expect(rec.events).toEqual(['add a initial', 'add b']);
    expect(errors.some(e => e.includes('add handler failed'))).toBe(true);
    informer.stop();
  });

  test('cached objects are frozen: handlers cannot mutate them', async () => {
    const { lw, informer } = setup();
    lw.create(pod('ns', 'a', { app: 'x' }));
    let thrown: unknown;
    informer.addEventHandler({ add: o => { try { o.metadata!.labels!.app = 'changed'; } catch (e) { thrown = e; } } });
    informer.run();
    await informer.waitForSync();
    expect(thrown).toBeInstanceOf(TypeError);
    expect(informer.lister.get('ns/a')!.metadata!.labels!.app).toBe('x');
    informer.stop();
  });

  test('stop closes the watch; waitForSync on a stopped informer resolves false', async () => {
    const { lw, informer } = setup();
    informer.run();
    await informer.waitForSync();
    await flushPromises();
    expect(lw.openWatches()).toBe(1);
    informer.stop();
    expect(lw.openWatches()).toBe(0);
    const never = new SharedInformer(new FakeListWatcher());
    const p = never.waitForSync();
    never.stop();
    expect(await p).toBe(false);
    const ac = new AbortController();
    const inf3 = new SharedInformer(new FakeListWatcher());
    const p3 = inf3.waitForSync(ac.signal);
    ac.abort();
    expect(await p3).toBe(false);
  });

  test('InformerFactory shares one informer per resource and waits for all', async () => {
    const f = new InformerFactory();
    const lw = new FakeListWatcher();
    lw.create(pod('ns', 'a'));
    let created = 0;
    const make = () => { created++; return new SharedInformer(lw, { random: () => 0 }); };
    const i1 = f.forResource('pods', make);
    const i2 = f.forResource('pods', make);
    expect(i1).toBe(i2);
    expect(created).toBe(1);
    f.start();
    expect(await f.waitForCacheSync()).toBe(true);
    expect(i1.lister.list().length).toBe(1);
    f.stop();
  });
});

describe('BackoffManager', () => {
  test('doubles to the cap with jitter and resets after a quiet period', () => {
    const clock = new FakeClock(0);
    const b = new BackoffManager(800, 30_000, 120_000, 2, 1, clock, () => 0.5);
    expect(b.next()).toBe(1200);
    expect(b.next()).toBe(2400);
    for (let i = 0; i < 10; i++) b.next();
    expect(b.next()).toBe(45_000);
    clock.jump(120_001);
    expect(b.next()).toBe(1200);
  });
});
