// The shared KubeClient over gRPC and over HTTP against one real apiserver: every verb on pods, configmaps and
// deployments gives the same objects, the same errors (code, reason, message, causes) and the same watch
// events through both transports. Each transport works in its own namespace (par-grpc, par-http) doing the
// same requests in the same order, so the answers must be equal once per-object values (uid, resourceVersion,
// timestamps, continue tokens) and the namespace name are masked.
import { Cluster, cluster } from '../src';
import { grpcClient, httpClient, KubeClient, resources, Resource, WatchEvent } from '@mk8s/apimachinery';
import { normalize, outcome, Outcome, WatchLog, sleep } from './client-util';

jest.setTimeout(120_000);

type Side = 'grpc' | 'http';
const NS: Record<Side, string> = { grpc: 'par-grpc', http: 'par-http' };
let c: Cluster;
let kube: Record<Side, KubeClient>;

beforeAll(async () => {
  c = await cluster();
  kube = { grpc: grpcClient(c.apiserver.grpc, 'parity'), http: httpClient(c.apiserver.url, 'parity') };
  for (const side of ['grpc', 'http'] as Side[]) {
    await kube[side].create(resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS[side] } });
  }
}, 60_000);

afterAll(async () => {
  kube?.grpc.close();
  kube?.http.close();
  await c?.teardown();
});

const masked = (side: Side, v: unknown) => normalize(v, [[NS[side], 'NS']]);

/** Runs fn for both transports (gRPC first, then HTTP) and expects the same masked outcome; returns both. */
async function both(fn: (k: KubeClient, ns: string) => Promise<unknown>, maskDigits = false): Promise<Record<Side, Outcome>> {
  const grpc = await outcome(fn(kube.grpc, NS.grpc));
  const http = await outcome(fn(kube.http, NS.http));
  // messages that quote the object's own resourceVersion differ in that number only
  const digits = (v: unknown) => (maskDigits ? JSON.parse(JSON.stringify(v).replace(/(: |in precondition: )\d+/g, '$1N')) : v);
  expect(digits(masked('grpc', grpc))).toEqual(digits(masked('http', http)));
  return { grpc, http };
}
const okValue = (o: Outcome): any => {
  if (!('ok' in o)) throw new Error(`expected success, got ${JSON.stringify(o.status)}`);
  return o.ok;
};
const statusOf = (o: Outcome) => {
  if (!('status' in o)) throw new Error(`expected an error, got ${JSON.stringify(o.ok).slice(0, 300)}`);
  return o.status;
};

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { k: name }) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });
const pod = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
});
const deployment = (name: string, replicas = 2) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels: { app: name } },
  spec: {
    replicas, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'nginx:1.25' }] } },
  },
});

/** A watch per transport on r in its namespace, from the RV of a fresh list. */
async function watchBoth(r: Resource, extra: Record<string, unknown> = {}): Promise<Record<Side, WatchLog>> {
  const logs = {} as Record<Side, WatchLog>;
  for (const side of ['grpc', 'http'] as Side[]) {
    const rv = (await kube[side].list(r, NS[side])).metadata.resourceVersion;
    logs[side] = new WatchLog().start(kube[side], r, NS[side], { resourceVersion: rv, allowWatchBookmarks: true, ...extra });
  }
  await sleep(200); // both streams registered before the first write
  return logs;
}
const eventsOf = (side: Side, evs: WatchEvent[]) => evs.map((e) => masked(side, { type: e.type, object: e.object }));

describe('every verb gives the same answer over gRPC and HTTP', () => {
  it('configmaps: create, get, list (selectors, limit/continue), update, 4 patch types, delete, deleteCollection, and their watch events', async () => {
    const watches = await watchBoth(resources.configmaps);
    for (let i = 1; i <= 5; i++) {
      const r = await both((k, ns) => k.create(resources.configmaps, ns, cm(`cm${i}`, { app: 'par', even: String(i % 2 === 0) })));
      expect(okValue(r.grpc).metadata.name).toBe(`cm${i}`);
    }
    const got = await both((k, ns) => k.get(resources.configmaps, ns, 'cm1'));
    expect(okValue(got.http).data).toEqual({ k: 'cm1' });

    const all = await both((k, ns) => k.list(resources.configmaps, ns, { labelSelector: 'app=par' }));
    expect(okValue(all.grpc).items.map((o: any) => o.metadata.name)).toEqual(['cm1', 'cm2', 'cm3', 'cm4', 'cm5']);
    const even = await both((k, ns) => k.list(resources.configmaps, ns, { labelSelector: 'app=par,even in (true)' }));
    expect(okValue(even.grpc).items.map((o: any) => o.metadata.name)).toEqual(['cm2', 'cm4']);
    const byName = await both((k, ns) => k.list(resources.configmaps, ns, { fieldSelector: 'metadata.name=cm3' }));
    expect(okValue(byName.http).items.map((o: any) => o.metadata.name)).toEqual(['cm3']);
    const notName = await both((k, ns) => k.list(resources.configmaps, ns, { labelSelector: 'app', fieldSelector: 'metadata.name!=cm3' }));
    expect(okValue(notName.http).items).toHaveLength(4);

    // paging: pages of 2 through continue tokens (each transport follows its own token); remainingItemCount is
    // only known without a selector (as upstream)
    for (const selector of ['app=par', undefined]) {
      const pages: Record<Side, string[][]> = { grpc: [], http: [] };
      for (const side of ['grpc', 'http'] as Side[]) {
        let token: string | undefined;
        do {
          const page: any = await kube[side].list(resources.configmaps, NS[side], { labelSelector: selector, limit: 2, continue: token });
          pages[side].push(page.items.map((o: any) => o.metadata.name));
          token = page.metadata.continue || undefined;
          if (token && !selector) expect(page.metadata.remainingItemCount).toBe(5 - pages[side].flat().length);
          if (selector) expect(page.metadata.remainingItemCount).toBeUndefined();
        } while (token);
      }
      expect(pages.grpc).toEqual([['cm1', 'cm2'], ['cm3', 'cm4'], ['cm5']]);
      expect(pages.http).toEqual(pages.grpc);
    }

    const upd = await both(async (k, ns) => {
      const cur = await k.get(resources.configmaps, ns, 'cm1');
      return k.update(resources.configmaps, ns, { ...cur, data: { k: 'changed' } });
    });
    expect(okValue(upd.grpc).data).toEqual({ k: 'changed' });
    const json = await both((k, ns) => k.patch(resources.configmaps, ns, 'cm1', 'json', [{ op: 'add', path: '/data/j', value: 'json' }]));
    expect(okValue(json.grpc).data).toEqual({ k: 'changed', j: 'json' });
    const merge = await both((k, ns) => k.patch(resources.configmaps, ns, 'cm1', 'merge', { data: { m: 'merge', k: null } }));
    expect(okValue(merge.grpc).data).toEqual({ j: 'json', m: 'merge' });
    const smp = await both((k, ns) => k.patch(resources.configmaps, ns, 'cm1', 'strategic', { metadata: { labels: { s: 'smp' } } }));
    expect(okValue(smp.grpc).metadata.labels).toEqual({ app: 'par', even: 'false', s: 'smp' });
    const apply = await both((k, ns) => k.patch(resources.configmaps, ns, 'cm1', 'apply',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: 'applied' } }, { fieldManager: 'tester' }));
    expect(okValue(apply.grpc).data).toEqual({ j: 'json', m: 'merge', a: 'applied' });
    expect(okValue(apply.grpc).metadata.managedFields.map((m: any) => m.manager)).toContain('tester');
    const applyCreate = await both((k, ns) => k.patch(resources.configmaps, ns, 'cm-applied', 'apply',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-applied' }, data: { a: '1' } }, { fieldManager: 'tester' }));
    expect(okValue(applyCreate.http).metadata.name).toBe('cm-applied');

    const del = await both((k, ns) => k.delete(resources.configmaps, ns, 'cm5'));
    expect(okValue(del.grpc).metadata.name).toBe('cm5');
    const delColl = await both((k, ns) => k.deleteCollection(resources.configmaps, ns, { labelSelector: 'even=true' }));
    expect((okValue(delColl.grpc) as any).items.map((o: any) => o.metadata.name).sort()).toEqual(['cm2', 'cm4']);
    const left = await both((k, ns) => k.list(resources.configmaps, ns));
    expect(okValue(left.http).items.map((o: any) => o.metadata.name).filter((n: string) => n.startsWith('cm'))).toEqual(['cm-applied', 'cm1', 'cm3']);

    // 5 creates, update, 4 patches (one an apply-create), delete, 2 from deleteCollection
    const expected = 13;
    await watches.grpc.until(expected);
    await watches.http.until(expected);
    await sleep(300); // nothing more may come
    for (const w of Object.values(watches)) w.stop();
    expect(watches.grpc.events.map((e) => e.type)).toEqual([
      'ADDED', 'ADDED', 'ADDED', 'ADDED', 'ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'ADDED',
      'DELETED', 'DELETED', 'DELETED']);
    expect(eventsOf('grpc', watches.grpc.events)).toEqual(eventsOf('http', watches.http.events));
    // each watch saw its own namespace's writes with increasing RVs
    const rvs = watches.grpc.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  });

  it('pods: create, get, updateStatus, bind, delete, with their watch events', async () => {
    const watches = await watchBoth(resources.pods);
    const created = await both((k, ns) => k.create(resources.pods, ns, pod('p1')));
    expect(okValue(created.grpc).spec.containers[0].name).toBe('main');
    await both((k, ns) => k.get(resources.pods, ns, 'p1'));
    const st = await both(async (k, ns) => {
      const cur = await k.get(resources.pods, ns, 'p1');
      return k.updateStatus(resources.pods, ns, { ...cur, status: { ...cur.status, message: 'status written' } });
    });
    expect(okValue(st.http).status.message).toBe('status written');
    const bound = await both((k, ns) => k.bind(ns, 'p1', 'node-a'));
    expect(okValue(bound.grpc)).toMatchObject({ kind: 'Status', status: 'Success' });
    const after = await both((k, ns) => k.get(resources.pods, ns, 'p1'));
    expect(okValue(after.grpc).spec.nodeName).toBe('node-a');
    const byNode = await both((k, ns) => k.list(resources.pods, ns, { fieldSelector: 'spec.nodeName=node-a' }));
    expect(okValue(byNode.grpc).items).toHaveLength(1);
    // binding twice is a conflict, the same one on both
    const again = await both((k, ns) => k.bind(ns, 'p1', 'node-b'));
    expect(statusOf(again.grpc).code).toBe(409);
    const del = await both((k, ns) => k.delete(resources.pods, ns, 'p1', { gracePeriodSeconds: 0 }));
    expect(okValue(del.grpc).metadata.name).toBe('p1');
    const n = watches.http.events.length;
    expect(n).toBeGreaterThanOrEqual(3);
    await watches.grpc.until(n);
    await sleep(300);
    for (const w of Object.values(watches)) w.stop();
    expect(watches.http.events.some((e) => e.type === 'DELETED')).toBe(true);
    expect(eventsOf('grpc', watches.grpc.events)).toEqual(eventsOf('http', watches.http.events));
  });

  it('deployments: create, update, updateStatus, strategic/merge/json/apply patches, delete', async () => {
    await both((k, ns) => k.create(resources.deployments, ns, deployment('web')));
    const upd = await both(async (k, ns) => {
      const cur = await k.get(resources.deployments, ns, 'web');
      return k.update(resources.deployments, ns, { ...cur, spec: { ...cur.spec, replicas: 3 } });
    });
    expect(okValue(upd.grpc).spec.replicas).toBe(3);
    expect(okValue(upd.grpc).metadata.generation).toBe(2);
    const st = await both(async (k, ns) => {
      const cur = await k.get(resources.deployments, ns, 'web');
      return k.updateStatus(resources.deployments, ns, { ...cur, status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1 } });
    });
    expect(okValue(st.grpc).status.replicas).toBe(1);
    // strategic: containers merge by name (a second container is added, the first one kept)
    const smp = await both((k, ns) => k.patch(resources.deployments, ns, 'web', 'strategic',
      { spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox:1.36' }] } } } }));
    expect(okValue(smp.grpc).spec.template.spec.containers.map((x: any) => x.name).sort()).toEqual(['main', 'side']);
    // merge: the list is replaced
    const merge = await both((k, ns) => k.patch(resources.deployments, ns, 'web', 'merge',
      { spec: { template: { spec: { containers: [{ name: 'only', image: 'busybox:1.36' }] } } } }));
    expect(okValue(merge.grpc).spec.template.spec.containers.map((x: any) => x.name)).toEqual(['only']);
    const json = await both((k, ns) => k.patch(resources.deployments, ns, 'web', 'json', [{ op: 'replace', path: '/spec/replicas', value: 5 }]));
    expect(okValue(json.http).spec.replicas).toBe(5);
    const apply = await both((k, ns) => k.patch(resources.deployments, ns, 'web', 'apply',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 4 } }, { fieldManager: 'tester', force: true }));
    expect(okValue(apply.http).spec.replicas).toBe(4);
    const statusPatch = await both((k, ns) => k.patch(resources.deployments, ns, 'web', 'merge', { status: { readyReplicas: 1 } }, { subresource: 'status' }));
    expect(okValue(statusPatch.http).status.readyReplicas).toBe(1);
    const dry = await both((k, ns) => k.create(resources.deployments, ns, deployment('dry'), { dryRun: true }));
    expect(okValue(dry.grpc).metadata.name).toBe('dry');
    await both((k, ns) => k.get(resources.deployments, ns, 'dry')); // 404 on both: dry run stored nothing
    const del = await both((k, ns) => k.delete(resources.deployments, ns, 'web'));
    expect(okValue(del.grpc).metadata.name).toBe('web');
  });
});

describe('bad requests get the same Status over both', () => {
  beforeAll(async () => {
    for (const side of ['grpc', 'http'] as Side[]) await kube[side].create(resources.configmaps, NS[side], cm('exists'));
  });

  const cases: [string, number, string, (k: KubeClient, ns: string) => Promise<unknown>, boolean?][] = [
    ['get of a missing object', 404, 'NotFound', (k, ns) => k.get(resources.configmaps, ns, 'missing')],
    ['create of an existing name', 409, 'AlreadyExists', (k, ns) => k.create(resources.configmaps, ns, cm('exists'))],
    ['invalid name', 422, 'Invalid', (k, ns) => k.create(resources.configmaps, ns, cm('Bad_Name'))],
    ['invalid deployment (causes)', 422, 'Invalid', (k, ns) => k.create(resources.deployments, ns,
      { ...deployment('bad', -1), spec: { ...deployment('bad', -1).spec, selector: { matchLabels: { other: 'x' } } } })],
    ['bad label selector', 400, 'BadRequest', (k, ns) => k.list(resources.configmaps, ns, { labelSelector: 'a in (' })],
    ['bad field selector', 400, 'BadRequest', (k, ns) => k.list(resources.configmaps, ns, { fieldSelector: 'data.k=v' })],
    ['unknown field with Strict', 400, 'BadRequest', (k, ns) => k.create(resources.configmaps, ns,
      { ...cm('strict'), bogus: 1, metadata: { name: 'strict', nope: true } }, { fieldValidation: 'Strict' })],
    ['stale resourceVersion on update', 409, 'Conflict', async (k, ns) => {
      const cur = await k.get(resources.configmaps, ns, 'exists');
      await k.update(resources.configmaps, ns, { ...cur, data: { k: 'one' } });
      return k.update(resources.configmaps, ns, { ...cur, data: { k: 'two' } });
    }],
    ['stale resourceVersion precondition on delete', 409, 'Conflict', (k, ns) =>
      k.delete(resources.configmaps, ns, 'exists', { preconditions: { resourceVersion: '1' } }), true],
    ['json patch on a missing path', 422, 'Invalid', (k, ns) => k.patch(resources.configmaps, ns, 'exists', 'json', [{ op: 'replace', path: '/data/nope/x', value: 1 }])],
    ['undecodable patch', 400, 'BadRequest', (k, ns) => k.patch(resources.configmaps, ns, 'exists', 'merge', '{not json')],
    ['apply without fieldManager', 400, 'BadRequest', (k, ns) => k.patch(resources.configmaps, ns, 'exists', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'exists' } })],
    ['update whose name differs from the URL', 400, 'BadRequest', (k, ns) =>
      k.transport.request('PUT', { ...resources.configmaps, namespace: ns, name: 'exists' }, {}, cm('other'))],
    ['bind of a missing pod', 404, 'NotFound', (k, ns) => k.bind(ns, 'no-such-pod', 'node-a')],
    ['write into a missing namespace', 404, 'NotFound', (k) => k.create(resources.configmaps, 'no-such-ns', cm('x'))],
    ['unknown resource', 404, 'NotFound', (k, ns) => k.list({ group: '', version: 'v1', resource: 'gizmos' }, ns)],
  ];
  // every row gets all 5 columns: jest takes a callback parameter beyond the row's length for `done`
  it.each(cases.map(([w, c, r, f, m]) => [w, c, r, f, m ?? false] as const))('%s', async (_what, code, reason, fn, maskDigits) => {
    const r = await both(fn, maskDigits);
    const s = statusOf(r.grpc);
    expect(s.code).toBe(code);
    expect(s.reason).toBe(reason);
    expect(s.message).toBeTruthy();
  });

  it('the causes of a 422 reach both clients field by field', async () => {
    const r = await both((k, ns) => k.create(resources.deployments, ns, deployment('neg', -1)));
    const causes = statusOf(r.grpc).details?.causes ?? [];
    expect(causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'spec.replicas', reason: 'FieldValueInvalid' })]));
  });
});

describe('watch parity', () => {
  beforeAll(async () => {
    for (const side of ['grpc', 'http'] as Side[]) await kube[side].create(resources.configmaps, NS[side], cm('watched', { app: 'par' }));
  });

  it('a watch without resourceVersion starts with the current objects as ADDED on both', async () => {
    const logs = {} as Record<Side, WatchLog>;
    for (const side of ['grpc', 'http'] as Side[]) {
      logs[side] = new WatchLog().start(kube[side], resources.configmaps, NS[side], { labelSelector: 'app=par' });
    }
    await logs.http.until(1);
    await logs.grpc.until(1);
    await sleep(300);
    for (const w of Object.values(logs)) w.stop();
    expect(logs.http.events.every((e) => e.type === 'ADDED')).toBe(true);
    expect(eventsOf('grpc', logs.grpc.events)).toEqual(eventsOf('http', logs.http.events));
  });

  it('timeoutSeconds ends both watches after a BOOKMARK carrying the current RV', async () => {
    const logs = await watchBoth(resources.configmaps, { timeoutSeconds: 1 });
    for (const w of Object.values(logs)) await w.closedNow(10_000);
    for (const side of ['grpc', 'http'] as Side[]) {
      expect(logs[side].closeError).toBeUndefined();
      const bm = logs[side].events.filter((e) => e.type === 'BOOKMARK');
      expect(bm).toHaveLength(1);
      expect(bm[0].object.kind).toBe('ConfigMap');
      expect(Number(bm[0].object.metadata.resourceVersion)).toBeGreaterThan(0);
    }
    expect(eventsOf('grpc', logs.grpc.events)).toEqual(eventsOf('http', logs.http.events));
  });

  it('a bad selector fails both watches with the same 400', async () => {
    const logs = {} as Record<Side, WatchLog>;
    for (const side of ['grpc', 'http'] as Side[]) {
      logs[side] = new WatchLog().start(kube[side], resources.configmaps, NS[side], { labelSelector: '!!', resourceVersion: '0' });
    }
    for (const w of Object.values(logs)) await w.closedNow(10_000);
    const st = (side: Side) => masked(side, (logs[side].closeError as any)?.toStatus?.());
    expect(st('grpc')).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(st('grpc')).toEqual(st('http'));
  });

  it('a watch from a compacted resourceVersion gets 410 Gone on both', async () => {
    const old: Record<Side, string> = { grpc: '', http: '' };
    for (const side of ['grpc', 'http'] as Side[]) {
      old[side] = (await kube[side].create<any>(resources.configmaps, NS[side], cm('before-compaction'))).metadata.resourceVersion;
    }
    for (const side of ['grpc', 'http'] as Side[]) {
      for (let i = 0; i < 3; i++) await kube[side].create(resources.configmaps, NS[side], cm(`after-${i}`));
    }
    await c.etcd.compact();
    const logs = {} as Record<Side, WatchLog>;
    for (const side of ['grpc', 'http'] as Side[]) {
      logs[side] = new WatchLog().start(kube[side], resources.configmaps, NS[side], { resourceVersion: old[side] });
    }
    for (const w of Object.values(logs)) await w.closedNow(10_000);
    for (const side of ['grpc', 'http'] as Side[]) {
      // upstream sends the 410 as an ERROR event and then ends the stream
      expect(logs[side].events.map((e) => e.type)).toEqual(['ERROR']);
      expect(logs[side].events[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    }
    // the messages name different revisions; the rest must agree
    const shape = (side: Side) => ({ ...(logs[side].events[0].object as object), message: '<msg>' });
    expect(shape('grpc')).toEqual(shape('http'));
    // and a list at that RV is Gone as well, on both (messages name each side's own revision)
    const listed = {} as Record<Side, Outcome>;
    for (const side of ['grpc', 'http'] as Side[]) {
      listed[side] = await outcome(kube[side].list(resources.configmaps, NS[side], { resourceVersion: old[side], resourceVersionMatch: 'Exact' }));
    }
    expect({ ...statusOf(listed.grpc), message: '' }).toEqual({ ...statusOf(listed.http), message: '' });
    expect(statusOf(listed.grpc).code).toBe(410);
  });
});
