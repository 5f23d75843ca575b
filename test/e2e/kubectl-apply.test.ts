// kubectl apply (client-side three-way strategic merge and --server-side with field managers), kubectl diff,
// field validation of manifests (--validate=strict|warn|false) and kubectl explain from our OpenAPI.
import * as fs from 'fs';
import { startKube, type Kube } from './kubectl-helpers';

jest.setTimeout(60_000);

let k: Kube;
beforeAll(async () => { k = await startKube(); }, 60_000);

const deployment = (containers: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: {app: app}
spec:
  replicas: 2
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
${containers}`;

const TWO_CONTAINERS = `      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
      - name: sidecar
        image: busybox
        command: ["sleep", "3600"]
`;
// sidecar removed; env: B removed, C added, A kept
const ONE_CONTAINER = `      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env:
        - {name: A, value: "1"}
        - {name: C, value: "3"}
`;

describe('client-side apply', () => {
  it('apply twice: created, then unchanged', async () => {
    const file = k.file('app.yaml', deployment(TWO_CONTAINERS));
    expect(await k.ok(['apply', '-f', file])).toBe('deployment.apps/app created\n');
    expect(await k.ok(['apply', '-f', file])).toBe('deployment.apps/app unchanged\n');
    const d = await k.json(['deploy', 'app', '--show-managed-fields']);
    const last = JSON.parse(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    expect(last.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'sidecar']);
    expect(d.metadata.generation).toBe(1);
    expect(d.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)).toEqual(['kubectl-client-side-apply/Update']);
  });

  it('diff exits 0 when nothing changed and 1 with a unified diff when it did', async () => {
    const same = await k.run(['diff', '-f', `${k.dir}/app.yaml`]);
    expect(same).toMatchObject({ code: 0, stdout: '' });
    const changed = k.file('app-changed.yaml', deployment(ONE_CONTAINER));
    const r = await k.run(['diff', '-f', changed]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^diff -u -N \S+\/apps\.v1\.Deployment\.default\.app \S+\/apps\.v1\.Deployment\.default\.app\n/);
    expect(r.stdout).toContain('-        - name: B\n');
    expect(r.stdout).toContain('+        - name: C\n');
    expect(r.stdout).toContain('-        name: sidecar\n');
    expect(r.stdout).toContain('-  generation: 1\n+  generation: 2\n');
    // diff is a dry run: nothing changed
    const d = await k.json(['deploy', 'app']);
    expect(d.spec.template.spec.containers.length).toBe(2);
    expect(d.metadata.generation).toBe(1);
  });

  it('a changed container list: the removed container is gone, env merged by name', async () => {
    expect(await k.ok(['apply', '-f', `${k.dir}/app-changed.yaml`])).toBe('deployment.apps/app configured\n');
    const d = await k.json(['deploy', 'app']);
    const containers = d.spec.template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['web']);
    expect(containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
    expect(containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(d.metadata.generation).toBe(2);
    expect(await k.ok(['apply', '-f', `${k.dir}/app-changed.yaml`])).toBe('deployment.apps/app unchanged\n');
  });

  it('fields set by someone else survive an apply that does not mention them', async () => {
    await k.ok(['scale', 'deployment', 'app', '--replicas=5']);
    await k.ok(['label', 'deployment', 'app', 'owner=ops']);
    const r = await k.ok(['apply', '-f', `${k.dir}/app-changed.yaml`]);
    // replicas is in the manifest (2): apply takes it back; the label is not: it stays
    expect(r).toBe('deployment.apps/app configured\n');
    const d = await k.json(['deploy', 'app']);
    expect(d.spec.replicas).toBe(2);
    expect(d.metadata.labels).toEqual({ app: 'app', owner: 'ops' });
  });

  it('a multi-document manifest with a namespace, a service and a configmap', async () => {
    const file = k.file('stack.yaml', `apiVersion: v1
kind: Namespace
metadata:
  name: stack
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: stack
spec:
  selector: {app: api}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
  namespace: stack
data:
  level: info
`);
    expect(await k.ok(['apply', '-f', file])).toBe('namespace/stack created\nservice/api created\nconfigmap/api-config created\n');
    const ip = (await k.json(['svc', 'api', '-n', 'stack'])).spec.clusterIP;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('targetPort: 8080', 'targetPort: 9090').replace('level: info', 'level: debug'));
    expect(await k.ok(['apply', '-f', file])).toBe('namespace/stack unchanged\nservice/api configured\nconfigmap/api-config configured\n');
    const svc = await k.json(['svc', 'api', '-n', 'stack']);
    expect(svc.spec.ports).toEqual([{ port: 80, targetPort: 9090, protocol: 'TCP' }]);
    expect(svc.spec.clusterIP).toBe(ip); // kept: not in the manifest
    expect((await k.json(['cm', 'api-config', '-n', 'stack'])).data).toEqual({ level: 'debug' });
  });
});

describe('server-side apply', () => {
  const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n${data}`;
  const owners = (o: any) => Object.fromEntries(o.metadata.managedFields.map((m: any) => [m.manager, `${m.operation}:${Object.keys(m.fieldsV1['f:data'] ?? {}).sort().join(',')}`]));

  it('serverside-applied, with kubectl owning what it applied', async () => {
    const file = k.file('ssa.yaml', cm('  a: "1"\n  b: "2"\n'));
    expect(await k.ok(['apply', '--server-side', '-f', file])).toBe('configmap/ssa serverside-applied\n');
    expect(await k.ok(['apply', '--server-side', '-f', file])).toBe('configmap/ssa serverside-applied\n');
    const o = await k.json(['cm', 'ssa', '--show-managed-fields']);
    expect(o.data).toEqual({ a: '1', b: '2' });
    expect(owners(o)).toEqual({ kubectl: 'Apply:f:a,f:b' });
  });

  it('a second manager changing a field conflicts; the same value is shared; --force-conflicts takes it', async () => {
    const other = k.file('ssa-other.yaml', cm('  a: "9"\n'));
    const r = await k.fails(['apply', '--server-side', '--field-manager=other', '-f', other]);
    expect(r.stderr).toContain('error: Apply failed with 1 conflict: conflict with "kubectl": .data.a\n');
    expect(r.stderr).toContain('--force-conflicts');
    expect((await k.json(['cm', 'ssa'])).data).toEqual({ a: '1', b: '2' });

    const shared = k.file('ssa-shared.yaml', cm('  b: "2"\n'));
    expect(await k.ok(['apply', '--server-side', '--field-manager=sharer', '-f', shared])).toBe('configmap/ssa serverside-applied\n');
    expect(owners(await k.json(['cm', 'ssa', '--show-managed-fields']))).toEqual({ kubectl: 'Apply:f:a,f:b', sharer: 'Apply:f:b' });

    expect(await k.ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', other])).toBe('configmap/ssa serverside-applied\n');
    const o = await k.json(['cm', 'ssa', '--show-managed-fields']);
    expect(o.data).toEqual({ a: '9', b: '2' });
    expect(owners(o)).toEqual({ kubectl: 'Apply:f:b', sharer: 'Apply:f:b', other: 'Apply:f:a' });

    // now kubectl is the one who conflicts
    const back = await k.fails(['apply', '--server-side', '-f', `${k.dir}/ssa.yaml`]);
    expect(back.stderr).toContain('conflict with "other": .data.a');
  });

  it('a field dropped from the only manager\'s manifest is removed', async () => {
    const file = k.file('ssa2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa2\ndata:\n  x: "1"\n  y: "2"\n');
    await k.ok(['apply', '--server-side', '-f', file]);
    fs.writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa2\ndata:\n  x: "1"\n');
    await k.ok(['apply', '--server-side', '-f', file]);
    expect((await k.json(['cm', 'ssa2'])).data).toEqual({ x: '1' });
  });
});

describe('field validation of manifests', () => {
  const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  foo: 1
  containers:
  - name: c
    image: busybox
`;

  it('refused by default with the unknown field named', async () => {
    const file = k.file('strict.yaml', pod('strict'));
    const r = await k.fails(['create', '-f', file]);
    expect(r.stderr).toBe(`Error from server (BadRequest): error when creating "${file}": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"\n`);
    expect((await k.fails(['get', 'pod', 'strict'])).stderr).toContain('not found');
  });

  it('accepted with a warning under --validate=warn, silently under --validate=false', async () => {
    const warn = await k.run(['create', '-f', k.file('warn.yaml', pod('warn')), '--validate=warn']);
    expect(warn).toMatchObject({ code: 0, stdout: 'pod/warn created\n' });
    expect(warn.stderr).toBe('Warning: unknown field "spec.foo"\n');
    const quiet = await k.run(['create', '-f', k.file('quiet.yaml', pod('quiet')), '--validate=false']);
    expect(quiet).toMatchObject({ code: 0, stdout: 'pod/quiet created\n', stderr: '' });
    const stored = await k.json(['pod', 'quiet']);
    expect(stored.spec.foo).toBeUndefined(); // dropped, not stored
  });

  it('apply validates too; server-side apply refuses an undeclared field', async () => {
    const file = k.file('apply-strict.yaml', pod('apply-strict'));
    const r = await k.fails(['apply', '-f', file]);
    expect(r.stderr).toContain('unknown field "spec.foo"');
    const ssa = await k.fails(['apply', '--server-side', '-f', file]);
    expect(ssa.stderr).toBe('Error from server: failed to create typed patch object (default/apply-strict; /v1, Kind=Pod): .spec.foo: field not declared in schema\n');
    expect((await k.fails(['get', 'pod', 'apply-strict'])).stderr).toContain('not found');
    // inside a keyed list the path names the item by its key, as structured-merge-diff prints it
    const dep = k.file('ssa-bogus.yaml', deployment('      - name: web\n        image: nginx\n        bogus: 1\n').replace('name: app', 'name: bogus'));
    const keyed = await k.fails(['apply', '--server-side', '-f', dep]);
    expect(keyed.stderr).toBe('Error from server: failed to create typed patch object (default/bogus; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="web"].bogus: field not declared in schema\n');
  });

  it('patches are decoded the same way: warned about and dropped', async () => {
    const r = await k.run(['patch', 'pod', 'warn', '--type=merge', '-p', '{"metadata":{"labels":{"p":"1"}},"spec":{"bar":1}}']);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/warn patched\n', stderr: 'Warning: unknown field "spec.bar"\n' });
    const stored = await k.json(['pod', 'warn']);
    expect(stored.metadata.labels).toEqual({ p: '1' });
    expect(stored.spec.bar).toBeUndefined();
  });
});

describe('kubectl explain', () => {
  it('pod.spec.containers.ports lists containerPort and friends', async () => {
    const out = await k.ok(['explain', 'pod.spec.containers.ports']);
    expect(out).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
    expect(out).toContain('FIELD: ports <[]ContainerPort>');
    expect(out).toMatch(/\n {2}containerPort\t<integer> -required-\n/);
    for (const f of ['hostIP\t<string>', 'hostPort\t<integer>', 'name\t<string>', 'protocol\t<string>']) expect(out).toContain(`  ${f}`);
  });

  it('deployment.spec.strategy', async () => {
    const out = await k.ok(['explain', 'deployment.spec.strategy']);
    expect(out).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    expect(out).toContain('FIELD: strategy <DeploymentStrategy>');
    expect(out).toContain('  rollingUpdate\t<RollingUpdateDeployment>');
    expect(out).toContain('  type\t<string>');
    const bad = await k.fails(['explain', 'deployment.spec.nope']);
    expect(bad.stderr).toContain('field "nope" does not exist');
  });
});
