// Which kubectl 1.32 commands still read /openapi/v2 once /openapi/v3 is right, and does kubectl accept our
// binary v2 document when it must use it (a server without v3).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kubectl, startStub, type Stub } from './openapi-stub';

jest.setTimeout(180_000);
let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-openapi-helper-v2-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pod = (image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: ${image}
${extra}`;
const write = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };
const v2Asked = (s: Stub) => s.requests.filter(q => q.path === '/openapi/v2');

describe('with /openapi/v3 only (v2 answers 404)', () => {
  let stub: Stub;
  beforeEach(async () => { stub = await startStub({ v2: false }); });
  afterEach(async () => { await stub.close(); });

  it('create -f, apply -f (create and patch), replace -f, diff and explain never ask for v2', async () => {
    const f1 = write('p1.yaml', pod('nginx:1'));
    const f2 = write('p2.yaml', pod('nginx:2'));
    const steps: [string, string[]][] = [
      ['create', ['create', '-f', f1, '--dry-run=server']],
      ['apply-create', ['apply', '-f', f1]],
      ['replace', ['replace', '-f', f1]],
      ['explain', ['explain', 'pods.spec.containers']],
    ];
    for (const [name, args] of steps) {
      const r = await kubectl(stub, args);
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
    }
    // -v=5 shows whether apply found the strategic-merge PATCH in v3 (else it logs and uses other sources)
    const ap = await kubectl(stub, ['apply', '-f', f2, '-v=5']);
    expect(ap.code).toBe(0);
    expect(ap.stderr).not.toMatch(/OpenAPI V3 path|error calculating patch/);
    const patch = stub.requests.find(q => q.method === 'PATCH');
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    // the strategic merge patch was computed from v3: the container list is merged by name
    expect(JSON.parse(patch!.body)).toMatchObject({ spec: { containers: [{ name: 'c', image: 'nginx:2' }] } });
    expect(patch!.query.get('fieldValidation')).toBe('Strict');
    // diff exits 1 when it finds differences; it must not fail for lack of v2
    const d = await kubectl(stub, ['diff', '-f', f1], { KUBECTL_EXTERNAL_DIFF: 'true' });
    expect(d.stderr).toBe('');
    const editor = write('editor.sh', '#!/bin/sh\nsed -i s/nginx:1/nginx:3/ "$1"\n');
    fs.chmodSync(editor, 0o755);
    const e = await kubectl(stub, ['edit', 'pod/web'], { KUBE_EDITOR: editor });
    expect({ code: e.code, stderr: e.stderr }).toEqual({ code: 0, stderr: '' });
    expect(stub.requests.filter(q => q.method === 'PATCH').length).toBe(2);
    expect(v2Asked(stub)).toEqual([]);
  });

  it('explain --output plaintext-openapiv2 is the one command that needs v2', async () => {
    const r = await kubectl(stub, ['explain', 'pods.spec', '--output', 'plaintext-openapiv2']);
    expect(r.code).not.toBe(0);
    expect(v2Asked(stub).length).toBeGreaterThan(0);
    expect(v2Asked(stub)[0].accept).toContain('application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
  });
});

describe('with /openapi/v2 only (v3 answers 404)', () => {
  let stub: Stub;
  beforeEach(async () => { stub = await startStub({ v3: false }); });
  afterEach(async () => { await stub.close(); });

  it('create -f falls back to our protobuf v2 and still finds server-side validation', async () => {
    const r = await kubectl(stub, ['create', '-f', write('p3.yaml', pod('nginx'))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const asked = v2Asked(stub);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked[0].accept).toContain('application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    expect(stub.requests.find(q => q.method === 'POST')!.query.get('fieldValidation')).toBe('Strict');
  });

  it('explain --output plaintext-openapiv2 prints fields from our protobuf v2', async () => {
    const r = await kubectl(stub, ['explain', 'pods.spec.containers.ports', '--output', 'plaintext-openapiv2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['containerPort\t<integer> -required-', 'hostPort\t<integer>', 'protocol\t<string>']) expect(r.stdout).toContain(f);
  });
});
