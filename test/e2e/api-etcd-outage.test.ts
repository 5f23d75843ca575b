// etcd goes away under a running apiserver: requests fail fast with 503 ServiceUnavailable Statuses and
// /readyz says 503; when etcd comes back on the same data, the same apiserver process serves again, lists
// show what was there before, and a watch opened before the outage either resumes or ends (so the client
// re-watches) without losing or inventing events.
import * as fs from 'fs';
import http from 'node:http';
import { cluster, Cluster } from '../src';

jest.setTimeout(120_000);

let c: Cluster;
const NS = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  c = await cluster();
});

async function call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(c.apiserver.url + p, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { /* text */ }
  return { status: res.status, json, text, ms: Date.now() - t0 };
}

const alive = (p: number) => fs.existsSync(`/proc/${p}`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));

/** A raw watch stream: collects its events and notes when the server ends it. */
function openWatch(p: string) {
  const events: any[] = [];
  let ended = false;
  const req = http.get(c.apiserver.url + p, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { events.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
    });
    res.on('end', () => (ended = true));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  return { events, get ended() { return ended; }, close: () => req.destroy() };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000, every = 100) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

it('fails fast with 503 while etcd is down and recovers in the same process when it returns', async () => {
  const apiserverPid = c.apiserver.pid;
  for (let i = 0; i < 5; i++) expect((await call('POST', NS, { metadata: { name: `before-${i}` }, data: { i: String(i) } })).status).toBe(201);
  const listed = await call('GET', NS);
  const rvBefore = listed.json.metadata.resourceVersion;
  const watch = openWatch(`${NS}?watch=1&resourceVersion=${rvBefore}`);
  await new Promise((r) => setTimeout(r, 200));

  c.etcd.kill('SIGKILL');
  await until('etcd to be gone', () => !alive(c.etcd.pid), 10_000, 20);
  const downAt = Date.now();

  // Reads, writes and readiness: each a 503 Status, each within a few seconds.
  const probes = [
    await call('GET', `${NS}/before-0`),
    await call('POST', NS, { metadata: { name: 'during' } }),
    await call('PUT', `${NS}/before-1`, { metadata: { name: 'before-1' }, data: { i: 'x' } }),
    await call('DELETE', `${NS}/before-2`),
    await call('GET', NS), // a consistent list goes to etcd
  ];
  for (const r of probes) {
    expect({ status: r.status, kind: r.json?.kind, reason: r.json?.reason, code: r.json?.code }).toEqual({ status: 503, kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect(r.ms).toBeLessThan(6000);
  }
  const ready = await call('GET', '/readyz');
  expect(ready.status).toBe(503);
  expect(ready.ms).toBeLessThan(6000);
  expect(alive(apiserverPid)).toBe(true);

  // Stay down a while: client reconnect backoffs grow, the server must still come back.
  await new Promise((r) => setTimeout(r, Math.max(0, 4000 - (Date.now() - downAt))));
  await c.etcd.restart();
  const upAt = Date.now();
  await until('/readyz 200', async () => (await call('GET', '/readyz')).status === 200);
  expect(c.apiserver.pid).toBe(apiserverPid);
  expect(alive(apiserverPid)).toBe(true);

  // Writes work again (etcd may need a moment to elect itself; allow a few retries of a 503).
  let created: Awaited<ReturnType<typeof call>> | undefined;
  await until('a create to succeed', async () => (created = await call('POST', NS, { metadata: { name: 'after' } })).status === 201);
  expect(created!.status).toBe(201);
  // Nothing written during the outage exists; everything from before does.
  const names = (await call('GET', NS)).json.items.map((o: any) => o.metadata.name).sort();
  expect(names).toEqual(['after', 'before-0', 'before-1', 'before-2', 'before-3', 'before-4']);
  expect((await call('GET', `${NS}/before-1`)).json.data).toEqual({ i: '1' });
  // The watch cache catches up too: a resourceVersion=0 list (served from it) shows the new object.
  await until('the watch cache to see "after"', async () =>
    (await call('GET', `${NS}?resourceVersion=0`)).json.items.some((o: any) => o.metadata.name === 'after'), 30_000, 200);
  console.log(`watch cache caught up ${Date.now() - upAt} ms after etcd returned`);

  // The watch from before the outage: either it resumed and delivers the new object, or it ended and a
  // re-watch from the last seen resourceVersion does. Both end with ADDED "after" and nothing invented.
  await until('the old watch to deliver "after" or end', () => watch.ended || watch.events.some((e) => e.object?.metadata?.name === 'after'));
  let seen = watch.events;
  console.log(`old watch ${watch.ended ? 'ended' : 'resumed'}; events ${JSON.stringify(seen.map((e) => e.type))}`);
  if (!seen.some((e) => e.object?.metadata?.name === 'after')) {
    const last = seen.filter((e) => e.type !== 'ERROR').pop()?.object.metadata.resourceVersion ?? rvBefore;
    const again = openWatch(`${NS}?watch=1&resourceVersion=${last}`);
    await until('the re-watch to deliver "after"', () => again.events.some((e) => e.object?.metadata?.name === 'after'));
    seen = [...seen.filter((e) => e.type !== 'ERROR'), ...again.events];
    again.close();
  }
  expect(seen.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED after']);
  watch.close();
  await c.apiserver.stop();
  expect(c.apiserver.logs()).not.toMatch(/UnhandledPromiseRejection|uncaughtException|FATAL/);
});
