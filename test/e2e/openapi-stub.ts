// A stand-in apiserver for kubectl: legacy discovery for pods and deployments, an in-memory pod store, and the
// real OpenAPI handler (v2 and/or v3 can be switched off). Records every request. Used by openapi-*.test.ts.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import { openapiHandler } from '../../apiserver/src/openapi';
import type { ResourceInfo } from '../../apiserver/src/registry/strategy';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface Recorded { method: string; path: string; query: URLSearchParams; accept: string; contentType: string; body: string }
export interface Stub { url: string; requests: Recorded[]; close(): Promise<void> }

export const STUB_RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status'] },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
];

const resourceList = (gv: string, rs: ResourceInfo[]) => ({
  kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
  resources: rs.map(r => ({ name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: r.shortNames, categories: r.categories })),
});

export async function startStub(opts: { v2?: boolean; v3?: boolean } = {}): Promise<Stub> {
  const serveV2 = opts.v2 ?? true;
  const serveV3 = opts.v3 ?? true;
  const openapi = openapiHandler(STUB_RESOURCES, { gitVersion: 'v1.32.4' });
  const requests: Recorded[] = [];
  const pods = new Map<string, any>();
  const json = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: http.ServerResponse, name: string) => json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: `pods "${name}" not found`, reason: 'NotFound', details: { name, kind: 'pods' }, code: 404 });
  let port = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://stub');
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: u.pathname, query: u.searchParams, accept: String(req.headers.accept ?? ''),
        contentType: String(req.headers['content-type'] ?? ''), body });
      const p = u.pathname;
      if ((p === '/openapi/v2' && !serveV2) || (p.startsWith('/openapi/v3') && !serveV3)) return json(res, 404, { kind: 'Status', code: 404 });
      if (openapi(req, res)) return;
      if (p === '/version') return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' });
      if (p === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] });
      if (p === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] });
      if (p === '/api/v1') return json(res, 200, resourceList('v1', STUB_RESOURCES.filter(r => r.group === '')));
      if (p === '/apis/apps/v1') return json(res, 200, resourceList('apps/v1', STUB_RESOURCES.filter(r => r.group === 'apps')));
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(p);
      if (m) {
        const [, ns, name] = m;
        if (req.method === 'POST' && !name) {
          let obj: any;
          try { obj = JSON.parse(body); } catch { return json(res, 400, { kind: 'Status', code: 400, message: 'bad json' }); }
          obj.metadata = { ...obj.metadata, namespace: ns, uid: `uid-${obj.metadata?.name}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' };
          if (u.searchParams.get('dryRun') !== 'All') pods.set(`${ns}/${obj.metadata.name}`, obj);
          return json(res, 201, obj);
        }
        if (req.method === 'GET' && name) return pods.has(`${ns}/${name}`) ? json(res, 200, pods.get(`${ns}/${name}`)) : notFound(res, name);
        if (req.method === 'GET') return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [...pods.values()] });
        if (req.method === 'PATCH' && name) return pods.has(`${ns}/${name}`) ? json(res, 200, pods.get(`${ns}/${name}`)) : notFound(res, name);
        if (req.method === 'PUT' && name) return json(res, 200, JSON.parse(body));
      }
      json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, requests,
    close: () => new Promise<void>(resolve => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** Run kubectl against the stub with a fresh cache and no kubeconfig; resolves with exit code and output. */
export function kubectl(stub: Stub, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-openapi-kubectl-home-'));
  fs.writeFileSync(path.join(home, 'config'), '');
  return new Promise(resolve => {
    execFile(KUBECTL, ['--server', stub.url, '--cache-dir', path.join(home, 'cache'), ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: path.join(home, 'config'), ...env }, timeout: 60_000 },
      (err, stdout, stderr) => { fs.rmSync(home, { recursive: true, force: true }); resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr }); });
  });
}

