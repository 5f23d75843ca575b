// Bad input through a real apiserver process: every broken, mistyped, oversized or misaddressed request gets
// the right 4xx Status (kind Status, code, reason), never a 500, and the server keeps serving afterwards
// (/readyz, a create, the same process alive). Corpus in test/fixtures/bad/ (cases.json), more inline here.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { encodeKubeProtobuf } from '@mk8s/apimachinery';
import { cluster, Cluster, REPO_ROOT } from '../src';

jest.setTimeout(120_000);

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bad');
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

interface Case { file: string; method: string; path: string; contentType: string; code: number; reason: string; message?: string; causeField?: string }
const cases: Case[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8'));

let c: Cluster;
let pid: number;
let probe = 0;

beforeAll(async () => {
  c = await cluster();
  pid = c.apiserver.pid;
  const r = await send('POST', '/api/v1/namespaces/default/configmaps', 'application/json', JSON.stringify({ metadata: { name: 'target' }, data: { a: '1' } }));
  expect(r.status).toBe(201);
});

interface Reply { status: number; text: string; json?: any; headers: Headers }

async function send(method: string, p: string, contentType?: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(c.apiserver.url + p, {
    method, body, headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...headers }, signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, json, headers: res.headers };
}

/** The reply is a Status object with this code and reason. */
function expectStatus(r: Reply, code: number, reason: string, message?: string) {
  expect({ status: r.status, kind: r.json?.kind, code: r.json?.code, reason: r.json?.reason, text: r.status === code ? '' : r.text })
    .toEqual({ status: code, kind: 'Status', code, reason, text: '' });
  expect(r.json.status).toBe('Failure');
  expect(r.json.apiVersion).toBe('v1');
  if (message !== undefined) expect(r.json.message).toContain(message);
}

const alive = (p: number) => fs.existsSync(`/proc/${p}`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));

/** Still the same process, ready, and it still writes. */
async function expectServing() {
  expect(alive(pid)).toBe(true);
  expect(c.apiserver.pid).toBe(pid);
  const ready = await send('GET', '/readyz');
  expect([ready.status, ready.text]).toEqual([200, 'ok']);
  const created = await send('POST', '/api/v1/namespaces/default/configmaps', 'application/json', JSON.stringify({ metadata: { name: `probe-${++probe}` } }));
  expect(created.status).toBe(201);
}

describe('fixture corpus (test/fixtures/bad/cases.json)', () => {
  it('has a case for every fixture file', () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f !== 'cases.json' && f !== 'README.md');
    expect(files.filter((f) => !cases.some((x) => x.file === f))).toEqual([]);
  });

  it.each(cases.map((x) => [`${x.method} ${x.file} -> ${x.code} ${x.reason}`, x] as const))('%s', async (_name, x) => {
    const body = fs.readFileSync(path.join(FIXTURES, x.file));
    const r = await send(x.method, x.path, x.contentType, body);
    expectStatus(r, x.code, x.reason, x.message);
    if (x.causeField) expect(r.json.details.causes.map((cause: any) => cause.field)).toContain(x.causeField);
    await expectServing();
  });

  it('left the patch target unchanged', async () => {
    const r = await send('GET', '/api/v1/namespaces/default/configmaps/target');
    expect(r.json.data).toEqual({ a: '1' });
  });
});

describe('protobuf bodies', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pb', labels: { a: 'b' } }, data: { k: 'v'.repeat(40) } };
  const good = encodeKubeProtobuf(cm);

  it('a valid body creates the object', async () => {
    const r = await send('POST', '/api/v1/namespaces/default/configmaps', PROTOBUF, good);
    expect(r.status).toBe(201);
    expect(r.json.data).toEqual(cm.data);
    expect(r.json.metadata.labels).toEqual({ a: 'b' });
  });

  it('every truncation is a 400 BadRequest', async () => {
    // Layout: "k8s\0", field 1 typeMeta (0x0a len ...), field 2 raw (0x12 len ...), then two empty strings.
    // Every cut inside the magic or inside a length-delimited field breaks it (a cut between fields need not).
    const typeMetaEnd = 4 + 2 + good[5];
    expect(good[typeMetaEnd]).toBe(0x12);
    const cuts = [0, 2, 3, 5, 6, typeMetaEnd - 1, typeMetaEnd + 1, typeMetaEnd + 2, typeMetaEnd + 10, good.length - 6, good.length - 5];
    for (const n of cuts) {
      const r = await send('POST', '/api/v1/namespaces/default/configmaps', PROTOBUF, good.subarray(0, n));
      expectStatus(r, 400, 'BadRequest', 'protobuf');
    }
    await expectServing();
  });

  it('a wrong magic prefix, a huge length prefix and a wrong kind inside are 400s', async () => {
    const badMagic = Buffer.from(good); badMagic[0] = 0x4a;
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps', PROTOBUF, badMagic), 400, 'BadRequest', 'k8s\\x00');
    // Field 1 (typeMeta) claiming 2^31 bytes.
    const hugeLength = Buffer.concat([good.subarray(0, 4), Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x08])]);
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps', PROTOBUF, hugeLength), 400, 'BadRequest');
    const secret = encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pb-secret' } });
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps', PROTOBUF, secret), 400, 'BadRequest', 'ConfigMap');
    await expectServing();
  });

  it('200 seeded random corruptions are all 4xx (or a valid create), never 5xx', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const codes = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(good);
      for (let j = 0; j < 1 + Math.floor(rand() * 4); j++) b[4 + Math.floor(rand() * (b.length - 4))] = Math.floor(rand() * 256);
      const r = await send('POST', '/api/v1/namespaces/default/configmaps', PROTOBUF, b);
      codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
      if (r.status >= 500) throw new Error(`corruption ${i} (${b.toString('hex')}) got ${r.status}: ${r.text}`);
      if (r.status >= 400) expect(r.json.kind).toBe('Status');
    }
    expect([...codes.keys()].every((s) => s === 201 || s === 409 || (s >= 400 && s < 500))).toBe(true);
    await expectServing();
  });
});

describe('oversized bodies', () => {
  const big = JSON.stringify({ metadata: { name: 'big' }, data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } });

  it('a body over 3 MiB with Content-Length is 413', async () => {
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps', 'application/json', big), 413, 'RequestEntityTooLarge', 'limit is 3145728');
    await expectServing();
  });

  it('a chunked body over 3 MiB is 413 too', async () => {
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < big.length; i += 65536) ctl.enqueue(new TextEncoder().encode(big.slice(i, i + 65536)));
        ctl.close();
      },
    });
    const res = await fetch(`${c.apiserver.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST', body: stream, headers: { 'Content-Type': 'application/json' }, duplex: 'half',
    } as RequestInit).catch((e) => e as Error);
    // The server may answer 413 before it read everything and close; either way nothing is stored.
    if (!(res instanceof Error)) expect(res.status).toBe(413);
    expect((await send('GET', '/api/v1/namespaces/default/configmaps/big')).status).toBe(404);
    await expectServing();
  });

  it('a body just under the limit is accepted by the decoder (and refused by ConfigMap size validation)', async () => {
    const under = JSON.stringify({ metadata: { name: 'under' }, data: { blob: 'x'.repeat(1024 * 1024 + 1) } });
    const r = await send('POST', '/api/v1/namespaces/default/configmaps', 'application/json', under);
    expectStatus(r, 422, 'Invalid');
    await expectServing();
  });
});

describe('addressing, methods and media types', () => {
  it.each([
    ['unknown resource', '/api/v1/namespaces/default/foos'],
    ['unknown group', '/apis/example.com/v1/foos'],
    ['unknown version', '/apis/apps/v9/deployments'],
    ['unknown subresource', '/api/v1/namespaces/default/configmaps/target/status'],
    ['too many segments', '/api/v1/namespaces/default/configmaps/target/a/b'],
    ['cluster-scoped kind under a namespace', '/api/v1/namespaces/default/nodes'],
  ])('%s is 404 NotFound', async (_n, p) => {
    expectStatus(await send('GET', p), 404, 'NotFound', 'the server could not find the requested resource');
    await expectServing();
  });

  it('a malformed %-escape in the path is 400 (it used to kill the process)', async () => {
    expectStatus(await send('GET', '/api/v1/namespaces/%zz/configmaps'), 400, 'BadRequest', 'invalid URL escape');
    expectStatus(await send('DELETE', '/api/v1/namespaces/default/configmaps/%E0%A4%A'), 400, 'BadRequest');
    await expectServing();
  });

  it('unsupported content types are 415', async () => {
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps', 'text/csv', 'a,b'), 415, 'UnsupportedMediaType');
    expectStatus(await send('PUT', '/api/v1/namespaces/default/configmaps/target', 'application/xml', '<x/>'), 415, 'UnsupportedMediaType');
    // PATCH needs one of the four patch types; plain JSON is not one.
    expectStatus(await send('PATCH', '/api/v1/namespaces/default/configmaps/target', 'application/json', '{}'), 415, 'UnsupportedMediaType');
    await expectServing();
  });

  it('wrong methods are 405', async () => {
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps/target', 'application/json', '{"metadata":{"name":"target"}}'), 405, 'MethodNotAllowed');
    expectStatus(await send('PUT', '/api/v1/namespaces/default/configmaps', 'application/json', '{}'), 405, 'MethodNotAllowed');
    expectStatus(await send('PATCH', '/api/v1/namespaces/default/configmaps', 'application/merge-patch+json', '{}'), 405, 'MethodNotAllowed');
    expectStatus(await send('POST', '/api', 'application/json', '{}'), 405, 'MethodNotAllowed');
    await expectServing();
  });

  it('an Accept nobody serves is 406', async () => {
    expectStatus(await send('GET', '/api/v1/namespaces/default/configmaps', undefined, undefined, { Accept: 'application/xml' }), 406, 'NotAcceptable');
    expectStatus(await send('GET', '/api/v1/namespaces/default/configmaps/target', undefined, undefined, { Accept: 'application/json;as=Bogus;g=x;v=y' }), 406, 'NotAcceptable');
    await expectServing();
  });
});

describe('patches that break the types', () => {
  it('a merge patch of pods/status with phase: 5 is 422 naming the patch, and nothing is stored', async () => {
    const pod = { metadata: { name: 'typed' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    expect((await send('POST', '/api/v1/namespaces/default/pods', 'application/json', JSON.stringify(pod))).status).toBe(201);
    const r = await send('PATCH', '/api/v1/namespaces/default/pods/typed/status', 'application/merge-patch+json', '{"status":{"phase":5}}');
    expectStatus(r, 422, 'Invalid', 'json: cannot unmarshal number into Go struct field PodStatus.status.phase of type string');
    expect(r.json.details.causes[0].field).toBe('patch');
    const jp = await send('PATCH', '/api/v1/namespaces/default/pods/typed', 'application/json-patch+json', '[{"op":"replace","path":"/spec","value":"x"}]');
    expectStatus(jp, 422, 'Invalid', 'Go struct field Pod.spec of type v1.PodSpec');
    const stored = await send('GET', '/api/v1/namespaces/default/pods/typed');
    expect(stored.json.status.phase).toBe('Pending');
    await expectServing();
  });
});

describe('query parameters', () => {
  it.each([
    ['labelSelector=a in (b', 'unable to parse requirement'],
    ['labelSelector=a==b==c', "found '==', expected: ',' or 'end of string'"],
    ['labelSelector=!', 'unable to parse requirement'],
    [`labelSelector=${'k'.repeat(64)}=v`, 'name part must be no more than 63 characters'],
    ['labelSelector=a=' + encodeURIComponent('bad value!'), "found 'value', expected: ',' or 'end of string'"],
    ['labelSelector=a=' + encodeURIComponent('-bad'), 'unable to parse requirement'],
    ['fieldSelector=spec.bogus=1', 'field label not supported: spec.bogus'],
    ['limit=abc', 'limit'],
    ['resourceVersion=abc', 'invalid resource version'],
    ['continue=not-a-token', 'continue'],
    ['watch=1&timeoutSeconds=soon', 'timeoutSeconds'],
    ['watch=1&resourceVersion=-5', 'invalid resource version'],
    ['watch=1&labelSelector=a in (b', 'unable to parse requirement'],
  ])('GET ?%s is 400 BadRequest', async (query, message) => {
    const q = query.split('&').map((kv) => { const i = kv.indexOf('='); return `${kv.slice(0, i)}=${encodeURIComponent(decodeURIComponent(kv.slice(i + 1)))}`; }).join('&');
    expectStatus(await send('GET', `/api/v1/namespaces/default/configmaps?${q}`), 400, 'BadRequest', message);
    await expectServing();
  });

  it('resourceVersionMatch without a resourceVersion, or an unknown one, is 422', async () => {
    expectStatus(await send('GET', '/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact'), 422, 'Invalid', 'resourceVersionMatch');
    expectStatus(await send('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=1&resourceVersionMatch=Sometime'), 422, 'Invalid', 'Unsupported value');
  });

  it('an exact LIST at a future resourceVersion is 504 Too large resource version, not a 500', async () => {
    const r = await send('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=999999999&resourceVersionMatch=Exact');
    expectStatus(r, 504, 'Timeout', 'Too large resource version: 999999999');
    expect(r.headers.get('retry-after')).toBe('1');
  });

  it('bad write options are 400 (dryRun, fieldValidation) or 422 (propagationPolicy)', async () => {
    const body = JSON.stringify({ metadata: { name: 'opts' } });
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps?dryRun=Some', 'application/json', body), 400, 'BadRequest', 'dryRun');
    expectStatus(await send('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loose', 'application/json', body), 400, 'BadRequest', 'fieldValidation');
    expectStatus(await send('DELETE', '/api/v1/namespaces/default/configmaps/target?propagationPolicy=Sideways'), 422, 'Invalid', 'propagationPolicy');
    expectStatus(await send('DELETE', '/api/v1/namespaces/default/configmaps/target', 'application/json', '{"gracePeriodSeconds":'), 400, 'BadRequest');
    expect((await send('GET', '/api/v1/namespaces/default/configmaps/target')).status).toBe(200);
    await expectServing();
  });
});

describe('mistyped objects never reach a 500 (seeded mutation fuzz over Pod, Deployment, Service creates)', () => {
  const bases: Array<[string, any]> = [
    ['/api/v1/namespaces/default/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'f', labels: { a: 'b' } },
      spec: {
        containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }], resources: { limits: { cpu: '1' } } }],
        volumes: [{ name: 'v', configMap: { name: 'x', items: [{ key: 'a', path: 'b' }] } }], tolerations: [{ key: 'k', operator: 'Exists' }],
      },
    }],
    ['/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'f' },
      spec: {
        replicas: 2, selector: { matchLabels: { a: 'b' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    }],
    ['/api/v1/namespaces/default/services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'f' },
      spec: { type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] },
    }],
  ];
  const values: unknown[] = [null, 0, -1, 1.5, '', 'x', true, [], {}, [null], { z: null }, 'two', 2147483648, [[]]];

  it('300 mutated bodies: each is a Status 4xx or a 201', async () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const pathsOf = (o: any, p: string[] = [], out: string[][] = []): string[][] => {
      if (p.length) out.push(p);
      if (o && typeof o === 'object') for (const k of Object.keys(o)) pathsOf(o[k], [...p, k], out);
      return out;
    };
    const tally = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const [url, base] = bases[i % bases.length];
      const o = structuredClone(base);
      for (let m = 0; m <= rand(2); m++) {
        const ps = pathsOf(o).filter((p) => p[0] !== 'apiVersion' && p[0] !== 'kind');
        const p = ps[rand(ps.length)];
        let cur = o;
        for (const k of p.slice(0, -1)) cur = cur[k];
        if (cur === null || typeof cur !== 'object') continue;
        if (rand(6) === 0) delete cur[p[p.length - 1]];
        else cur[p[p.length - 1]] = structuredClone(values[rand(values.length)]);
      }
      if (o.metadata && typeof o.metadata === 'object' && !Array.isArray(o.metadata)) o.metadata.name = `fz-${i}`;
      const r = await send('POST', url, 'application/json', JSON.stringify(o));
      tally.set(r.status, (tally.get(r.status) ?? 0) + 1);
      if (r.status >= 500 || (r.status >= 400 && r.json?.kind !== 'Status')) {
        throw new Error(`mutant ${i} ${JSON.stringify(o)} got ${r.status}: ${r.text}`);
      }
    }
    // The fuzz must exercise both sides: some mutants are fine, most are refused.
    expect(tally.get(201) ?? 0).toBeGreaterThan(0);
    expect((tally.get(400) ?? 0) + (tally.get(422) ?? 0)).toBeGreaterThan(100);
    await expectServing();
  });
});

describe('broken HTTP', () => {
  /** Writes raw bytes, then reads until the server closes or 3 s pass. */
  function raw(bytes: string, halfClose = true): Promise<string> {
    const port = Number(new URL(c.apiserver.url).port);
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let out = '';
      const done = () => { s.destroy(); resolve(out); };
      s.setTimeout(3000, done);
      s.on('data', (d) => (out += d.toString()));
      s.on('close', done);
      s.on('error', done);
      s.write(bytes, () => { if (halfClose) s.end(); });
    });
  }

  it('garbage, a broken chunk and a body cut short get 400 or a closed socket, and the server lives on', async () => {
    expect(await raw('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    // Promises 100 bytes, sends 7, then goes away.
    await raw('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"meta');
    // Same, but stays connected without sending the rest (the server must not block others meanwhile).
    const stalled = raw('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"meta', false);
    await expectServing();
    await stalled;
    expect((await send('GET', '/api/v1/namespaces/default/configmaps?labelSelector=never')).status).toBe(200);
    await expectServing();
  });
});

describe('kubectl with unknown kinds', () => {
  it('apply of kind Foo in an unserved group fails with a clear error', async () => {
    const r = await c.kubectl(['apply', '-f', path.join(FIXTURES, 'kind-foo.yaml')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no matches for kind "Foo" in version "example.com/v1"');
    await expectServing();
  });

  it('apply of kind Foo in core v1 fails with a clear error', async () => {
    const r = await c.kubectl(['apply', '--validate=false', '-f', '-'], { input: 'apiVersion: v1\nkind: Foo\nmetadata:\n  name: foo\n' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no matches for kind "Foo" in version "v1"');
    await expectServing();
  });
});
