// A stand-in API server for capturing the request bodies kubectl sends: it answers /version (so the kubectl
// dispatcher picks its 1.32 binary), legacy discovery for the resources listed, GETs of objects registered with
// `serve`, and records every POST/PUT body. Loopback only; used by test/e2e/protobuf-capture.test.ts.

import http from 'http';
import { AddressInfo } from 'net';

export interface CapturedRequest {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

interface StubResource { name: string; kind: string; namespaced: boolean; group?: string; version?: string }

// group/version -> resources kubectl may look up through discovery.
const DISCOVERY: Record<string, StubResource[]> = {
  v1: [
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
    { name: 'serviceaccounts/token', kind: 'TokenRequest', namespaced: true, group: 'authentication.k8s.io', version: 'v1' },
    { name: 'resourcequotas', kind: 'ResourceQuota', namespaced: true },
  ],
  'apps/v1': [{ name: 'deployments', kind: 'Deployment', namespaced: true }],
  'batch/v1': [{ name: 'jobs', kind: 'Job', namespaced: true }, { name: 'cronjobs', kind: 'CronJob', namespaced: true }],
  'policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
  'scheduling.k8s.io/v1': [{ name: 'priorityclasses', kind: 'PriorityClass', namespaced: false }],
};

export class KubectlCaptureStub {
  readonly captured: CapturedRequest[] = [];
  private readonly objects = new Map<string, unknown>();
  private server?: http.Server;
  port = 0;

  /** Makes GET <path> answer with this JSON object (e.g. a CronJob for `create job --from`). */
  serve(path: string, obj: unknown): void { this.objects.set(path, obj); }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server!.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'POST' || req.method === 'PUT') {
        const body = Buffer.concat(chunks);
        this.captured.push({ method: req.method, path, contentType: String(req.headers['content-type'] ?? ''), body });
        // An answer kubectl can print; a TokenRequest answer carries a token so `create token` succeeds.
        const name = path.split('/').pop() ?? '';
        send(201, path.endsWith('/token')
          ? { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: {}, spec: { audiences: [] }, status: { token: 'stub-token', expirationTimestamp: '2030-01-01T00:00:00Z' } }
          : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201, details: { name } });
        return;
      }
      if (path === '/version') {
        send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
        return;
      }
      if (path === '/api') {
        send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
        return;
      }
      if (path === '/apis') {
        const groups = Object.keys(DISCOVERY).filter(gv => gv.includes('/')).map(gv => {
          const [group, version] = gv.split('/');
          return { name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        });
        send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
        return;
      }
      const gv = path.startsWith('/api/') ? path.slice(5) : path.startsWith('/apis/') ? path.slice(6) : '';
      if (DISCOVERY[gv]) {
        const resources = DISCOVERY[gv].map(r => ({ singularName: '', verbs: ['create', 'get', 'list', 'delete', 'patch', 'update'], ...r }));
        send(200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources });
        return;
      }
      if (req.method === 'GET' && this.objects.has(path)) {
        send(200, this.objects.get(path));
        return;
      }
      send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
    });
  }
}
