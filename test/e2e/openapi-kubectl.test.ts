// The real kubectl 1.32 against a stub server that serves our OpenAPI documents: it must accept our /openapi/v3
// (server-side field validation: fieldValidation=Strict, no /openapi/v2 download) and explain fields from it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kubectl, startStub, type Stub } from './openapi-stub';

jest.setTimeout(120_000);

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-openapi-kubectl-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: nginx
    ports:
    - containerPort: 80
`;

describe('kubectl 1.32 against our OpenAPI documents', () => {
  let stub: Stub;
  beforeEach(async () => { stub = await startStub(); });
  afterEach(async () => { await stub.close(); });

  it('create -f leaves validation to the server (fieldValidation=Strict) after reading /openapi/v3', async () => {
    const file = path.join(dir, 'pod.yaml');
    fs.writeFileSync(file, POD_YAML);
    const r = await kubectl(stub, ['create', '-f', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('pod/web created');
    const post = stub.requests.find(q => q.method === 'POST' && q.path === '/api/v1/namespaces/default/pods');
    expect(post).toBeDefined();
    expect(post!.query.get('fieldValidation')).toBe('Strict');
    expect(post!.contentType).toBe('application/json');
    const paths = stub.requests.map(q => q.path);
    expect(paths).toContain('/openapi/v3');
    expect(stub.requests.some(q => q.path === '/openapi/v3/api/v1' && /^[0-9A-F]{128}$/.test(q.query.get('hash') ?? ''))).toBe(true);
    expect(paths).not.toContain('/openapi/v2');
  });

  it('--validate=warn and --validate=false map to Warn and Ignore', async () => {
    const file = path.join(dir, 'pod2.yaml');
    fs.writeFileSync(file, POD_YAML);
    expect((await kubectl(stub, ['create', '-f', file, '--validate=warn'])).code).toBe(0);
    expect((await kubectl(stub, ['create', '-f', file, '--validate=false', '--dry-run=server'])).code).toBe(0);
    const posts = stub.requests.filter(q => q.method === 'POST');
    expect(posts.map(q => q.query.get('fieldValidation'))).toEqual(['Warn', 'Ignore']);
  });

  it('explain prints the fields of pod.spec.containers.ports from /openapi/v3', async () => {
    const r = await kubectl(stub, ['explain', 'pod.spec.containers.ports']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/KIND:\s+Pod/);
    expect(r.stdout).toMatch(/FIELD:\s+ports <\[\]ContainerPort>/);
    for (const f of ['containerPort\t<integer> -required-', 'hostIP\t<string>', 'hostPort\t<integer>', 'name\t<string>', 'protocol\t<string>']) {
      expect(r.stdout).toContain(f);
    }
    expect(stub.requests.map(q => q.path)).not.toContain('/openapi/v2');
  });

  it('explain --recursive walks nested definitions of a deployment', async () => {
    const r = await kubectl(stub, ['explain', 'deployment.spec.strategy', '--recursive']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GROUP:\s+apps/);
    expect(r.stdout).toContain('rollingUpdate\t<RollingUpdateDeployment>');
    expect(r.stdout).toContain('maxSurge\t<IntOrString>');
  });
});
