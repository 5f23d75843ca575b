// The workqueue driving a tiny real controller on an informer against a real apiserver: a "mirror" controller that
// keeps `<name>-mirror` ConfigMaps equal to each source ConfigMap labelled mirror=yes (in the namespace named by its
// target-ns label, default the source's). Checked: keys queued many times while waiting are synced once; a key
// changed while in flight is synced again after (never twice at once); failures retry with the controller rate
// limiter's exponential backoff (5 ms doubling), measured between attempts; success forgets the failures.
import { Cluster, cluster } from '../src';
import { grpcClient, KubeClient, KubeObject, Queue, resources, SharedInformer, StatusError } from '@mk8s/apimachinery';
import { sleep, waitFor } from './client-util';

jest.setTimeout(120_000);

const NS = 'wq';
let c: Cluster;
let kube: KubeClient;
let informer: SharedInformer;
let queue: Queue<string>;

interface Sync { key: string; start: number; end?: number; rv?: string; error?: string }
const syncs: Sync[] = [];
/** When the informer handed each key's events to the controller. */
const delivered = new Map<string, number[]>();
/** How long one sync of a key takes (to hold it in flight); default 0. */
const slow = new Map<string, number>();
let running = true;
/** List/watch failures the informer reported (none are expected while the apiserver runs). */
const reflectorErrors: string[] = [];

const cm = (name: string, labels: Record<string, string>, data: Record<string, string>) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });

/** One sync: make the mirror match the source as the lister has it now (or delete it if the source is gone). */
async function syncMirror(key: string): Promise<string | undefined> {
  const src = informer.lister.get(key);
  const [srcNs, name] = key.split('/');
  const ns = (src?.metadata?.labels?.['target-ns'] as string | undefined) ?? srcNs;
  const mirrorName = `${name}-mirror`;
  if (!src) {
    await kube.delete(resources.configmaps, ns, mirrorName).catch((e) => { if (!(e instanceof StatusError && e.code === 404)) throw e; });
    return undefined;
  }
  let cur: any;
  try {
    cur = await kube.get(resources.configmaps, ns, mirrorName);
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 404)) throw e;
  }
  const want = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: mirrorName, labels: { mirrored: 'yes' } }, data: src.data };
  if (!cur) await kube.create(resources.configmaps, ns, want);
  else if (JSON.stringify(cur.data) !== JSON.stringify(src.data)) await kube.update(resources.configmaps, ns, { ...cur, data: src.data });
  return src.metadata?.resourceVersion;
}

async function worker(): Promise<void> {
  while (running) {
    const item = await queue.get();
    if (item.shutdown) return;
    const s: Sync = { key: item.key, start: Date.now() };
    syncs.push(s);
    try {
      const hold = slow.get(item.key) ?? 0;
      if (hold) await sleep(hold);
      s.rv = await syncMirror(item.key);
      queue.forget(item.key);
    } catch (e) {
      s.error = (e as Error).message;
      queue.addRateLimited(item.key);
    } finally {
      s.end = Date.now();
      queue.done(item.key);
    }
  }
}

beforeAll(async () => {
  c = await cluster();
  kube = grpcClient(c.apiserver.grpc, 'mirror-controller');
  await kube.create(resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  informer = new SharedInformer(kube.listWatcher(resources.configmaps, NS, { labelSelector: 'mirror=yes' }), {
    name: 'mirror', onError: (err, what) => reflectorErrors.push(`${what}: ${(err as Error)?.message}`),
  });
  queue = new Queue<string>({ name: 'mirror' });
  const enqueue = (o: KubeObject) => {
    const key = `${o.metadata!.namespace}/${o.metadata!.name}`;
    delivered.set(key, [...(delivered.get(key) ?? []), Date.now()]);
    queue.add(key);
  };
  informer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n), delete: (o) => enqueue((o as any).obj ?? o) });
  informer.run();
  await informer.waitForSync();
  void worker(); // one worker, as a controller with --concurrent-syncs=1
}, 60_000);

afterAll(async () => {
  running = false;
  queue?.shutDown();
  informer?.stop();
  kube?.close();
  await c?.teardown();
});

const syncsOf = (key: string) => syncs.filter((s) => s.key === key);
const mirrorData = async (ns: string, name: string) => {
  try {
    return (await kube.get<any>(resources.configmaps, ns, `${name}-mirror`)).data;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return undefined;
    throw e;
  }
};

describe('a mirror controller on informer + workqueue', () => {
  it('mirrors a source, follows changes and deletes', async () => {
    await kube.create(resources.configmaps, NS, cm('plain', { mirror: 'yes' }, { a: '1' }));
    await waitFor('the mirror', async () => JSON.stringify(await mirrorData(NS, 'plain')) === '{"a":"1"}');
    await kube.patch(resources.configmaps, NS, 'plain', 'merge', { data: { a: '2' } });
    await waitFor('the mirror to follow', async () => JSON.stringify(await mirrorData(NS, 'plain')) === '{"a":"2"}');
    await kube.delete(resources.configmaps, NS, 'plain');
    await waitFor('the mirror to go', async () => (await mirrorData(NS, 'plain')) === undefined);
    expect(syncsOf(`${NS}/plain`).every((s) => !s.error)).toBe(true);
    expect(reflectorErrors).toEqual([]);
  });

  it('dedups: a key added many times while it waits behind another is synced once, with the latest state', async () => {
    slow.set(`${NS}/blocker`, 2000);
    await kube.create(resources.configmaps, NS, cm('blocker', { mirror: 'yes' }, { b: '1' }));
    await waitFor('the blocker sync to start', () => syncsOf(`${NS}/blocker`).length === 1);
    // while the only worker is busy: one create and five changes of the same key
    await kube.create(resources.configmaps, NS, cm('dup', { mirror: 'yes' }, { v: '0' }));
    let last: any;
    for (let i = 1; i <= 5; i++) last = await kube.patch(resources.configmaps, NS, 'dup', 'merge', { data: { v: String(i) } });
    await waitFor('all six events delivered', () => (delivered.get(`${NS}/dup`) ?? []).length === 6);
    await waitFor('the dup sync', () => syncsOf(`${NS}/dup`).some((s) => s.end !== undefined), 20_000);
    await sleep(500);
    const blockerEnd = syncsOf(`${NS}/blocker`)[0].end!;
    // the precondition of "exactly once": every event came while the key still waited behind the blocker
    expect(Math.max(...delivered.get(`${NS}/dup`)!)).toBeLessThan(blockerEnd);
    expect(syncsOf(`${NS}/dup`)).toHaveLength(1);
    expect(syncsOf(`${NS}/dup`)[0].rv).toBe(last.metadata.resourceVersion);
    expect(await mirrorData(NS, 'dup')).toEqual({ v: '5' });
    slow.delete(`${NS}/blocker`);
  });

  it('a key changed while in flight is synced again after the first sync ends, never concurrently', async () => {
    const key = `${NS}/inflight`;
    slow.set(key, 3000);
    await kube.create(resources.configmaps, NS, cm('inflight', { mirror: 'yes' }, { v: '0' }));
    await waitFor('the first sync to start', () => syncsOf(key).length === 1);
    let last: any;
    for (let i = 1; i <= 4; i++) last = await kube.patch(resources.configmaps, NS, 'inflight', 'merge', { data: { v: String(i) } });
    slow.set(key, 0);
    await waitFor('the mirror to reach the last change', async () => (await mirrorData(NS, 'inflight'))?.v === '4', 20_000);
    await sleep(500);
    const mine = syncsOf(key);
    // the precondition: all 5 events reached the queue while the first sync was in flight
    expect(delivered.get(key)).toHaveLength(5);
    expect(Math.max(...delivered.get(key)!)).toBeLessThan(mine[0].end!);
    // 5 adds (create + 4 changes) make 2 syncs: the one in flight and one re-queued at its done()
    expect(mine.length).toBe(2);
    expect(mine[1].start).toBeGreaterThanOrEqual(mine[0].end!);
    expect(mine[1].rv).toBe(last.metadata.resourceVersion);
  });

  it('failures retry with exponential backoff (5 ms doubling); success forgets them', async () => {
    const key = `${NS}/elsewhere`;
    // its mirror goes to a namespace that does not exist yet: every sync fails with 404 until it does
    await kube.create(resources.configmaps, NS, cm('elsewhere', { mirror: 'yes', 'target-ns': 'later' }, { x: '1' }));
    await waitFor('8 failed syncs', () => syncsOf(key).filter((s) => s.error).length >= 8, 20_000);
    expect(queue.numRequeues(key)).toBeGreaterThanOrEqual(8);
    await kube.create(resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'later' } });
    await waitFor('the mirror in the new namespace', async () => (await mirrorData('later', 'elsewhere'))?.x === '1', 30_000);
    const mine = syncsOf(key);
    const failures = mine.filter((s) => s.error);
    expect(failures[0].error).toMatch(/not found/);
    expect(mine[mine.length - 1].error).toBeUndefined();
    await waitFor('forget after success', () => queue.numRequeues(key) === 0, 5000);
    // attempt n+1 starts at least 5 ms * 2^n after attempt n ended
    const waits = mine.slice(1).map((s, i) => s.start - mine[i].end!);
    for (let n = 0; n < Math.min(waits.length, 9); n++) expect(waits[n]).toBeGreaterThanOrEqual(5 * 2 ** n - 2);
    // and the backoff does grow: the 8th wait is far longer than the first
    expect(waits[7]).toBeGreaterThan(waits[0] + 400);
    console.log(`workqueue e2e: waits between attempts (ms): ${waits.join(', ')}`);
  });
});
