// Optimistic concurrency through the real apiserver and etcd: 50 clients increment one ConfigMap counter by
// read-modify-write (PUT carrying the resourceVersion they read; on 409 re-read and retry). No update may
// be lost, and every lost race must come back as the upstream Conflict Status.
import http from 'node:http';
import { cluster, Cluster } from '../src';

jest.setTimeout(120_000);

const CLIENTS = 50;
const INCREMENTS_EACH = 4;
const CONFLICT_MESSAGE = 'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again';

let c: Cluster;
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

beforeAll(async () => {
  c = await cluster();
});
afterAll(() => agent.destroy());

function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const url = new URL(path, c.apiserver.url);
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method, agent,
      headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} non-JSON body ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const PATH = '/api/v1/namespaces/default/configmaps/x';

it(`${CLIENTS} clients x ${INCREMENTS_EACH} read-modify-write increments: no lost update, every 409 a Conflict Status`, async () => {
  const created = await request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x' }, data: { counter: '0' } });
  expect(created.status).toBe(201);

  let successes = 0;
  const conflicts: any[] = [];
  const unexpected: string[] = [];
  const client = async () => {
    for (let done = 0; done < INCREMENTS_EACH;) {
      const cur = await request('GET', PATH);
      if (cur.status !== 200) { unexpected.push(`GET ${cur.status}`); return; }
      const cm = cur.json;
      cm.data.counter = String(Number(cm.data.counter) + 1);
      const put = await request('PUT', PATH, cm); // carries the resourceVersion just read
      if (put.status === 200) {
        successes++;
        done++;
        expect(Number(put.json.metadata.resourceVersion)).toBeGreaterThan(Number(cm.metadata.resourceVersion));
      } else if (put.status === 409) {
        conflicts.push(put.json);
      } else {
        unexpected.push(`PUT ${put.status} ${JSON.stringify(put.json).slice(0, 200)}`);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));

  expect(unexpected).toEqual([]);
  expect(successes).toBe(CLIENTS * INCREMENTS_EACH);
  const final = await request('GET', PATH);
  expect(Number(final.json.data.counter)).toBe(successes);
  // With 50 writers racing, lost races are certain; each one is upstream's Conflict Status.
  expect(conflicts.length).toBeGreaterThan(0);
  for (const s of conflicts) {
    expect(s).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict',
      message: CONFLICT_MESSAGE, details: { name: 'x', kind: 'configmaps' },
    });
  }
  console.log(`increments ${successes}, conflicts ${conflicts.length}`);
});

it('a PUT without resourceVersion is an unconditional write (last writer wins, no 409)', async () => {
  await request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'y' }, data: { v: 'start' } });
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
    request('PUT', '/api/v1/namespaces/default/configmaps/y', { metadata: { name: 'y' }, data: { v: String(i) } })));
  expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  const final = await request('GET', '/api/v1/namespaces/default/configmaps/y');
  // The stored value is one of the writes, and it is the one with the highest resourceVersion.
  const last = results.reduce((a, b) => (Number(a.json.metadata.resourceVersion) > Number(b.json.metadata.resourceVersion) ? a : b));
  expect(final.json.data).toEqual(last.json.data);
  expect(final.json.metadata.resourceVersion).toBe(last.json.metadata.resourceVersion);
});

it('concurrent creates of one name: exactly one 201, the rest 409 AlreadyExists', async () => {
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
    request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'race' }, data: { who: String(i) } })));
  const codes = results.map((r) => r.status);
  expect(codes.filter((s) => s === 201)).toHaveLength(1);
  expect(codes.filter((s) => s === 409)).toHaveLength(CLIENTS - 1);
  for (const r of results.filter((x) => x.status === 409)) {
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'configmaps "race" already exists' });
  }
  const winner = results.find((r) => r.status === 201)!;
  const stored = await request('GET', '/api/v1/namespaces/default/configmaps/race');
  expect(stored.json.data).toEqual(winner.json.data);
});

it('concurrent merge patches never lose a key (the server retries its own CAS loop)', async () => {
  await request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'z' }, data: {} });
  const patch = (i: number) => new Promise<number>((resolve, reject) => {
    const data = Buffer.from(JSON.stringify({ data: { [`k${i}`]: String(i) } }));
    const req = http.request(new URL('/api/v1/namespaces/default/configmaps/z', c.apiserver.url), {
      method: 'PATCH', agent, headers: { 'Content-Type': 'application/merge-patch+json', 'Content-Length': data.length },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(data);
  });
  const codes = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => patch(i)));
  expect(codes.filter((s) => s !== 200)).toEqual([]);
  const final = await request('GET', '/api/v1/namespaces/default/configmaps/z');
  expect(Object.keys(final.json.data).length).toBe(CLIENTS);
});
