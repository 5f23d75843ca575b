// Watch semantics through the real apiserver and etcd: a watch from a compacted revision (HTTP 200, one
// ERROR event with a 410 Expired Status), an exact LIST at a compacted revision (410), a watch from RV=0
// (synthetic ADDED for what exists, then live events), bookmarks before a timeout ends the stream, and a
// label-selector watch that turns "stopped matching" into DELETED.
import http from 'node:http';
import { cluster, Cluster } from '../src';

jest.setTimeout(90_000);

let c: Cluster;

beforeAll(async () => {
  c = await cluster();
  for (const ns of ['w-compact', 'w-zero', 'w-bookmark', 'w-select']) {
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  }
});

async function call(method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const res = await fetch(c.apiserver.url + p, {
    method, headers: body ? { 'Content-Type': contentType } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}
const cm = (ns: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>) =>
  call('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name, labels }, data });
const patch = (ns: string, name: string, body: unknown) =>
  call('PATCH', `/api/v1/namespaces/${ns}/configmaps/${name}`, body, 'application/merge-patch+json');

interface Stream { status: Promise<number>; events: any[]; ended: Promise<void>; isEnded(): boolean; close(): void; headers: Promise<http.IncomingHttpHeaders> }

/** A raw HTTP watch: events as they arrive (newline-delimited JSON), the status code, and when it ends. */
function watch(p: string): Stream {
  const events: any[] = [];
  let done = false;
  let resolveStatus!: (n: number) => void, resolveEnd!: () => void, resolveHeaders!: (h: http.IncomingHttpHeaders) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const headers = new Promise<http.IncomingHttpHeaders>((r) => (resolveHeaders = r));
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const finish = () => { done = true; resolveEnd(); };
  const req = http.get(c.apiserver.url + p, (res) => {
    resolveStatus(res.statusCode ?? 0);
    resolveHeaders(res.headers);
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { events.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
    });
    res.on('end', finish);
    res.on('close', finish);
  });
  req.on('error', finish);
  return { status, events, ended, headers, isEnded: () => done, close: () => req.destroy() };
}

async function until(what: string, cond: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const summary = (events: any[]) => events.map((e) => `${e.type} ${e.object?.metadata?.name ?? ''}`.trim());

describe('compaction', () => {
  let oldRV: string;

  beforeAll(async () => {
    const created = await cm('w-compact', 'a', { v: '0' });
    await cm('w-compact', 'b');
    oldRV = created.json.metadata.resourceVersion;
    for (let i = 1; i <= 30; i++) expect((await patch('w-compact', 'a', { data: { v: String(i) } })).status).toBe(200);
    const compacted = await c.etcd.compact();
    expect(compacted).toBeGreaterThan(Number(oldRV) + 30);
  });

  it('a watch from a compacted resourceVersion gets HTTP 200 and one ERROR event: Status 410 Expired', async () => {
    const w = watch(`/api/v1/namespaces/w-compact/configmaps?watch=1&resourceVersion=${oldRV}`);
    expect(await w.status).toBe(200);
    await w.ended; // the server closes the stream after the error
    expect(w.events).toHaveLength(1);
    expect(w.events[0].type).toBe('ERROR');
    expect(w.events[0].object).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired' });
    expect(w.events[0].object.message).toMatch(/too old resource version|too old/);
  });

  it('the same holds for a watch on one named object and with a label selector', async () => {
    for (const p of [`/api/v1/namespaces/w-compact/configmaps?watch=1&fieldSelector=metadata.name%3Da&resourceVersion=${oldRV}`,
      `/api/v1/namespaces/w-compact/configmaps?labelSelector=x&resourceVersion=${oldRV}&watch=true`]) {
      const w = watch(p);
      expect(await w.status).toBe(200);
      await w.ended;
      expect(summary(w.events)).toEqual(['ERROR']);
      expect(w.events[0].object.code).toBe(410);
    }
  });

  it('an exact LIST at a compacted resourceVersion is 410 Expired', async () => {
    const r = await call('GET', `/api/v1/namespaces/w-compact/configmaps?resourceVersion=${oldRV}&resourceVersionMatch=Exact`);
    expect(r.status).toBe(410);
    expect(r.json).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('a paged LIST whose continue token points at a compacted revision is 410 Expired', async () => {
    const first = await call('GET', '/api/v1/namespaces/w-compact/configmaps?limit=1');
    expect(first.json.metadata.continue).toBeTruthy();
    await patch('w-compact', 'a', { data: { v: 'later' } });
    await c.etcd.compact();
    const next = await call('GET', `/api/v1/namespaces/w-compact/configmaps?limit=1&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    expect(next.status).toBe(410);
    expect(next.json).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('a watch from the current resourceVersion after compaction works', async () => {
    const rv = (await call('GET', '/api/v1/namespaces/w-compact/configmaps')).json.metadata.resourceVersion;
    const w = watch(`/api/v1/namespaces/w-compact/configmaps?watch=1&resourceVersion=${rv}`);
    expect(await w.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    await patch('w-compact', 'b', { data: { now: 'yes' } });
    await until('MODIFIED b', () => w.events.length >= 1);
    expect(summary(w.events)).toEqual(['MODIFIED b']);
    w.close();
  });
});

describe('watch from resourceVersion=0', () => {
  it('sends synthetic ADDED for existing objects, then live events in order', async () => {
    await cm('w-zero', 'one', { v: '1' });
    await cm('w-zero', 'two', { v: '2' });
    const w = watch('/api/v1/namespaces/w-zero/configmaps?watch=1&resourceVersion=0');
    expect(await w.status).toBe(200);
    await until('two initial ADDED', () => w.events.length >= 2);
    expect(summary(w.events).sort()).toEqual(['ADDED one', 'ADDED two']);
    await cm('w-zero', 'three');
    await patch('w-zero', 'one', { data: { v: 'uno' } });
    await call('DELETE', '/api/v1/namespaces/w-zero/configmaps/two');
    await until('three live events', () => w.events.length >= 5);
    expect(summary(w.events.slice(2))).toEqual(['ADDED three', 'MODIFIED one', 'DELETED two']);
    expect(w.events[3].object.data).toEqual({ v: 'uno' });
    // resourceVersions only grow along the live part of the stream.
    const rvs = w.events.slice(2).map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    await new Promise((r) => setTimeout(r, 200));
    expect(w.events).toHaveLength(5); // nothing else (no duplicates)
    w.close();
  });

  it('a watch without resourceVersion also starts with the current state', async () => {
    const w = watch('/api/v1/namespaces/w-zero/configmaps?watch=1');
    await until('initial state', () => w.events.length >= 2);
    expect(summary(w.events).sort()).toEqual(['ADDED one', 'ADDED three']);
    w.close();
  });
});

describe('bookmarks', () => {
  it('allowWatchBookmarks=true&timeoutSeconds=2 ends with a BOOKMARK carrying the current resourceVersion', async () => {
    const created = await cm('w-bookmark', 'x');
    const t0 = Date.now();
    const w = watch(`/api/v1/namespaces/w-bookmark/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=${created.json.metadata.resourceVersion}`);
    expect(await w.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const later = await patch('w-bookmark', 'x', { data: { k: 'v' } });
    await w.ended;
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
    expect(w.events.map((e) => e.type)).toEqual(['MODIFIED', 'BOOKMARK']);
    const bm = w.events[1].object;
    expect(bm.kind).toBe('ConfigMap');
    expect(bm.apiVersion).toBe('v1');
    expect(Number(bm.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(later.json.metadata.resourceVersion));
  });

  it('without allowWatchBookmarks the timeout just ends the stream', async () => {
    const w = watch('/api/v1/namespaces/w-bookmark/configmaps?watch=1&timeoutSeconds=1&resourceVersion=0');
    await w.ended;
    expect(w.events.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('sendInitialEvents=true with bookmarks marks the end of the initial state', async () => {
    const w = watch('/api/v1/namespaces/w-bookmark/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=');
    await until('initial-events-end bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(w.events[1].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    w.close();
  });
});

describe('label-selector watch', () => {
  it('an update that makes an object stop matching is DELETED; matching again is ADDED', async () => {
    await cm('w-select', 'other', {}, { tier: 'db' });
    const start = await cm('w-select', 's', { v: '1' }, { tier: 'web' });
    const w = watch(`/api/v1/namespaces/w-select/configmaps?watch=1&labelSelector=tier%3Dweb&resourceVersion=${start.json.metadata.resourceVersion}`);
    expect(await w.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    await patch('w-select', 's', { data: { v: '2' } }); // still matches
    await patch('w-select', 's', { metadata: { labels: { tier: 'cache' } } }); // stops matching
    await patch('w-select', 's', { data: { v: '3' } }); // not matching: invisible
    await patch('w-select', 'other', { data: { v: 'x' } }); // never matched: invisible
    await patch('w-select', 's', { metadata: { labels: { tier: 'web' } } }); // matches again
    await call('DELETE', '/api/v1/namespaces/w-select/configmaps/s');
    await until('four events', () => w.events.length >= 4);
    expect(summary(w.events)).toEqual(['MODIFIED s', 'DELETED s', 'ADDED s', 'DELETED s']);
    // The DELETED for "stopped matching" carries the new state (labels no longer match).
    expect(w.events[1].object.metadata.labels).toEqual({ tier: 'cache' });
    expect(w.events[2].object.data).toEqual({ v: '3' });
    await new Promise((r) => setTimeout(r, 200));
    expect(w.events).toHaveLength(4);
    w.close();
  });

  it('a watch with an invalid selector is a 400 Status, not a stream', async () => {
    const r = await call('GET', '/api/v1/namespaces/w-select/configmaps?watch=1&labelSelector=tier%20in%20(web');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });
});
