// Verbs a resource does not serve are 405 (namespaces have no deletecollection, as upstream), and a strategic
// merge patch that cannot be applied is the client's error (400 with upstream's message), never a 500.
import { cluster, Cluster } from '../src/harness';

jest.setTimeout(60_000);
let c: Cluster;
beforeAll(async () => { c = await cluster(); });
afterAll(async () => { await c?.teardown(); });

const req = async (method: string, path: string, body?: unknown, type = 'application/json') => {
  const r = await fetch(c.apiserver.url + path, { method, headers: body ? { 'Content-Type': type } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json() };
};

test('DELETE of the namespace collection is 405 and deletes nothing; discovery lists no deletecollection', async () => {
  const r = await req('DELETE', '/api/v1/namespaces');
  expect(r.status).toBe(405);
  expect(r.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
  const list = await req('GET', '/api/v1/namespaces');
  expect(list.body.items.map((n: any) => n.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-node-lease', 'kube-public', 'kube-system']));
  const disc = await req('GET', '/api/v1');
  const ns = disc.body.resources.find((x: any) => x.name === 'namespaces');
  expect(ns.verbs).not.toContain('deletecollection');
  expect(disc.body.resources.find((x: any) => x.name === 'pods').verbs).toContain('deletecollection');
});

test('a strategic merge patch whose list item lacks the merge key is a 400 BadRequest with the upstream text', async () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'smp' }, spec: { containers: [{ name: 'a', image: 'busybox:1.28' }] } };
  expect((await req('POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
  const r = await req('PATCH', '/api/v1/namespaces/default/pods/smp', { spec: { containers: [{ image: 'busybox:1.35' }] } }, 'application/strategic-merge-patch+json');
  expect(r.status).toBe(400);
  expect(r.body.reason).toBe('BadRequest');
  expect(r.body.message).toContain('does not contain declared merge key: name');
  expect((await fetch(c.apiserver.url + '/readyz')).status).toBe(200);
});

test('a restarted apiserver becomes ready again over its existing bootstrap objects', async () => {
  await c.apiserver.restart(); // waits for /readyz, which waits for bootstrap and the watch caches
  expect((await fetch(c.apiserver.url + '/readyz')).status).toBe(200);
  const svc = await req('GET', '/api/v1/namespaces/default/services/kubernetes');
  expect(svc.status).toBe(200);
  expect(svc.body.spec.clusterIP).toBe('10.96.0.1');
});
