import * as http from 'http';
import type { AddressInfo } from 'net';
import { gunzipSync } from 'zlib';
import type { ResourceInfo } from '../registry/strategy';
import { openapiHandler, negotiate, decodeV2Protobuf } from './index';

const RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, subresources: ['status'] },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', namespaced: true, subresources: ['scale'] },
];

let server: http.Server;
let base: string;
beforeAll(async () => {
  const handle = openapiHandler(RESOURCES);
  server = http.createServer((req, res) => { if (!handle(req, res)) { res.statusCode = 418; res.end('not mine'); } });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>(r => server.close(() => r())));

interface Resp { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method, headers }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('openapiHandler', () => {
  it('leaves other paths alone', async () => {
    expect((await get('/api/v1')).status).toBe(418);
    expect((await get('/openapi/v3x')).status).toBe(418);
  });

  it('serves the v3 index and the linked documents with ETags, 304 and immutable caching', async () => {
    const idx = await get('/openapi/v3');
    expect(idx.status).toBe(200);
    expect(idx.headers['content-type']).toBe('application/json');
    const paths = JSON.parse(idx.body.toString()).paths;
    const url: string = paths['apis/apps/v1'].serverRelativeURL;
    const hash = url.split('hash=')[1];
    const doc = await get(url);
    expect(doc.status).toBe(200);
    expect(doc.headers['content-type']).toBe('application/json');
    expect(doc.headers.etag).toBe(`"${hash}"`);
    expect(doc.headers['cache-control']).toBe('public, immutable');
    expect(JSON.parse(doc.body.toString()).paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']).toBeDefined();
    const again = await get(url, { 'If-None-Match': `"${hash}"` });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const stale = await get('/openapi/v3/apis/apps/v1?hash=ABC');
    expect(stale.status).toBe(301);
    expect(stale.headers.location).toBe(url);
    const unhashed = await get('/openapi/v3/apis/apps/v1');
    expect(unhashed.status).toBe(200);
    expect(unhashed.headers['cache-control']).toBeUndefined();
  });

  it('answers 404 for unknown group-versions, 406 for unservable Accept, 405 for writes', async () => {
    expect((await get('/openapi/v3/apis/batch/v1')).status).toBe(404);
    expect((await get('/openapi/v3/api/v1', { Accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' })).status).toBe(406);
    expect((await get('/openapi/v2', { Accept: 'text/html' })).status).toBe(406);
    expect((await get('/openapi/v2', {}, 'POST')).status).toBe(405);
  });

  it('serves v2 as JSON or gnostic protobuf by Accept, gzipped when asked', async () => {
    const j = await get('/openapi/v2', { Accept: 'application/json' });
    expect(j.headers['content-type']).toBe('application/json');
    expect(JSON.parse(j.body.toString()).swagger).toBe('2.0');
    const p = await get('/openapi/v2', { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'Accept-Encoding': 'gzip' });
    expect(p.status).toBe(200);
    expect(p.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(p.headers['content-encoding']).toBe('gzip');
    const msg = decodeV2Protobuf(gunzipSync(p.body));
    expect(msg.definitions.additionalProperties.some((d: { name: string }) => d.name === 'io.k8s.api.apps.v1.Deployment')).toBe(true);
    const etag = p.headers.etag!;
    expect((await get('/openapi/v2', { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'If-None-Match': etag })).status).toBe(304);
  });

  it('negotiates by q and order', () => {
    expect(negotiate('application/json;q=0.5, application/x+protobuf', ['json', 'x+protobuf'])).toBe('x+protobuf');
    expect(negotiate('*/*', ['json'])).toBe('json');
    expect(negotiate(undefined, ['json'])).toBe('json');
    expect(negotiate('application/json;q=0', ['json'])).toBeUndefined();
    expect(negotiate('text/plain', ['json'])).toBeUndefined();
  });
});
