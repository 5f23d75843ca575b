// The generic store starts read-modify-writes and deletes from its watch cache's copy (upstream's
// cachedExistingObject). That copy can lag etcd; here it is made stale on purpose (on a real etcd) to show the
// store never lets the lag reach the client: preconditions, no-ops, "not found" and deletes are all decided on
// what etcd holds.
import { GenericStore } from '../../apiserver/src/registry/store';
import { EtcdStore } from '../../apiserver/src/storage/etcd';
import { configMapStrategy } from '../../apiserver/src/registry/core/configmaps';
import { createLogger } from '@mk8s/apimachinery';
import { startEtcd } from '../src';

jest.setTimeout(60_000);

let etcd: Awaited<ReturnType<typeof startEtcd>>;
let storage: EtcdStore;
let store: GenericStore;
const cm = (name: string, n: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n } }) as any;

beforeAll(async () => {
  etcd = await startEtcd();
  storage = new EtcdStore([etcd.endpoint]);
  store = new GenericStore(configMapStrategy, storage, '/registry', {}, createLogger('test', 'json'));
  await store.cache.ready();
});
afterAll(async () => {
  await store?.cache.stop();
  storage?.close();
  await etcd?.stop();
});

/** Put an old copy of the object back into the cache, as if its newest events had not arrived yet. */
async function staleCache(name: string, copy: any) {
  const key = store.key('default', name);
  await store.cache.waitFor(Number((await store.get('default', name)).metadata.resourceVersion), 5000);
  store.cache.state.set(key, copy);
}

it('an update with the current resourceVersion succeeds although the cached copy is older', async () => {
  const v1 = await store.create('default', cm('a', '1'));
  const v2 = (await store.guaranteedUpdate('default', 'a', (cur) => ({ ...cur!, data: { n: '2' } }))).object;
  await staleCache('a', v1);
  const r = await store.guaranteedUpdate('default', 'a', () => ({ ...cm('a', '3'), metadata: { name: 'a', resourceVersion: v2.metadata.resourceVersion } }));
  expect(r.object.data).toEqual({ n: '3' });
  expect(Number(r.object.metadata.resourceVersion)).toBeGreaterThan(Number(v2.metadata.resourceVersion));
  // and one with a really stale resourceVersion is still a 409
  await expect(store.guaranteedUpdate('default', 'a', () => ({ ...cm('a', '4'), metadata: { name: 'a', resourceVersion: v1.metadata.resourceVersion } })))
    .rejects.toMatchObject({ code: 409 });
});

it('a no-op against a stale copy is answered with what etcd holds', async () => {
  const v1 = await store.create('default', cm('b', '1'));
  const v2 = (await store.guaranteedUpdate('default', 'b', (cur) => ({ ...cur!, data: { n: '2' } }))).object;
  await staleCache('b', v1);
  // "set n to 1" is a no-op for the stale copy, not for etcd
  const r = await store.guaranteedUpdate('default', 'b', (cur) => ({ ...cur!, data: { n: '1' } }));
  expect(r.object.data).toEqual({ n: '1' });
  expect(Number(r.object.metadata.resourceVersion)).toBeGreaterThan(Number(v2.metadata.resourceVersion));
  // "set n to 1" again is a no-op for both: the answer is etcd's object
  await staleCache('b', v1);
  const same = await store.guaranteedUpdate('default', 'b', (cur) => ({ ...cur!, data: { n: '1' } }));
  expect(same.object.metadata.resourceVersion).toBe(r.object.metadata.resourceVersion);
});

it('an object the cache does not hold yet is updated, and one the cache still holds but etcd lost is not found', async () => {
  const c1 = await store.create('default', cm('c', '1'));
  await store.cache.waitFor(Number(c1.metadata.resourceVersion), 5000);
  store.cache.state.delete(store.key('default', 'c'));
  const r = await store.guaranteedUpdate('default', 'c', (cur) => ({ ...cur!, data: { n: '2' } }));
  expect(r.object.data).toEqual({ n: '2' });
  const gone = await store.create('default', cm('d', '1'));
  await store.delete('default', 'd');
  store.cache.state.set(store.key('default', 'd'), gone);
  await expect(store.guaranteedUpdate('default', 'd', (cur) => ({ ...cur!, data: { n: '2' } }))).rejects.toMatchObject({ code: 404 });
  await expect(store.delete('default', 'd')).rejects.toMatchObject({ code: 404 });
});

it('a delete with the current resourceVersion as precondition succeeds although the cached copy is older', async () => {
  const v1 = await store.create('default', cm('e', '1'));
  const v2 = (await store.guaranteedUpdate('default', 'e', (cur) => ({ ...cur!, data: { n: '2' } }))).object;
  await staleCache('e', v1);
  const r = await store.delete('default', 'e', { preconditions: { resourceVersion: v2.metadata.resourceVersion } });
  expect(r.deleted).toBe(true);
  expect(r.object.data).toEqual({ n: '2' });
});

it('the cached copy is never changed by a write', async () => {
  await store.create('default', cm('f', '1'));
  const key = store.key('default', 'f');
  await staleCache('f', (await store.get('default', 'f')));
  const cached = store.cache.state.get(key)!;
  const before = JSON.stringify(cached);
  await store.guaranteedUpdate('default', 'f', (cur) => { cur!.data.n = '2'; cur!.metadata.labels = { x: 'y' }; return cur!; });
  expect(JSON.stringify(cached)).toBe(before);
});
