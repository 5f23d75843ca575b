// mkctl (cli/dist/main.js, run as a subprocess like a user would) against a real etcd + apiserver: every
// command's output shape, apply create/configured/unchanged, multi-document and directory input, stdin,
// delete by name/file/label, edit through an EDITOR script, labels, watch, and the error messages.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cluster, type Cluster, sessionDir, REPO_ROOT } from '../src';

jest.setTimeout(60_000);

const MAIN = path.join(REPO_ROOT, 'cli', 'dist', 'main.js');
interface Result { code: number; stdout: string; stderr: string }

let c: Cluster;
let dir: string;
let home: string;
beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} missing: run npx tsc -b first`);
  c = await cluster();
  dir = fs.mkdtempSync(path.join(sessionDir(), 'mkctl-'));
  home = fs.mkdtempSync(path.join(sessionDir(), 'home-')); // no ~/.mk8s or ~/.kube of the machine leaks in
}, 60_000);

function run(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; kubeconfig?: string | null } = {}): Promise<Result> {
  const kc = opts.kubeconfig === undefined ? ['--kubeconfig', c.kubeconfig] : opts.kubeconfig === null ? [] : ['--kubeconfig', opts.kubeconfig];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...kc, ...args], { env: { PATH: process.env.PATH, HOME: home, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mkctl ${args.join(' ')} hung\n${stdout}\n${stderr}`)); }, 30_000);
    child.once('error', reject);
    child.once('close', code => { clearTimeout(timer); resolve({ code: code ?? 128, stdout, stderr }); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
const show = (args: string[], r: Result) => `mkctl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
async function ok(args: string[], opts?: Parameters<typeof run>[1]): Promise<string> {
  const r = await run(args, opts);
  if (r.code !== 0) throw new Error(show(args, r));
  return r.stdout;
}
async function fails(args: string[], opts?: Parameters<typeof run>[1]): Promise<Result> {
  const r = await run(args, opts);
  if (r.code === 0) throw new Error(`expected failure: ${show(args, r)}`);
  expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // never a stack trace
  return r;
}
const file = (name: string, text: string) => { const p = path.join(dir, name); fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, text); return p; };
const getJson = async (args: string[]) => JSON.parse(await ok(['get', ...args, '-o', 'json']));
const header = (out: string) => out.split('\n')[0].split(/\s{2,}/);

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
`;
const pod = (name: string, labels: Record<string, string> = {}) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  containers:
  - name: c
    image: busybox
`;
const cm = (name: string, data: Record<string, string>) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data: ${JSON.stringify(data)}
`;

describe('version, cluster-info, api-resources', () => {
  it('version prints the client and the server /version', async () => {
    const out = await ok(['version']);
    const server = await (await fetch(`${c.apiserver.url}/version`)).json() as { gitVersion: string };
    expect(out).toBe(`Client Version: v0.1.0\nServer Version: ${server.gitVersion}\n`);
    const j = JSON.parse(await ok(['version', '-o', 'json']));
    expect(j.serverVersion.gitVersion).toBe(server.gitVersion);
    expect(await ok(['version', '--client'], { kubeconfig: null })).toBe('Client Version: v0.1.0\n');
  });

  it('cluster-info names the control plane URL', async () => {
    expect((await ok(['cluster-info'])).split('\n')[0]).toBe(`Kubernetes control plane is running at ${c.apiserver.url}`);
  });

  it('api-resources lists resources with short names, versions, scope and kind from discovery', async () => {
    const out = await ok(['api-resources']);
    expect(header(out)).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const rows = out.trim().split('\n').slice(1).map(l => l.split(/\s+/));
    expect(rows).toContainEqual(['pods', 'po', 'v1', 'true', 'Pod']);
    expect(rows).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(rows).toContainEqual(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    const names = (await ok(['api-resources', '-o', 'name', '--namespaced=false'])).split('\n');
    expect(names).toContain('nodes');
    expect(names).not.toContain('pods');
    expect(await ok(['api-resources', '-o', 'name', '--api-group=apps'])).toMatch(/^deployments\.apps$/m);
  });

  it('uses KUBECONFIG, then ~/.mk8s/kubeconfig, and says so when there is none', async () => {
    expect(await ok(['get', 'ns', 'default', '-o', 'name'], { kubeconfig: null, env: { KUBECONFIG: c.kubeconfig } })).toBe('namespace/default\n');
    const none = await fails(['get', 'ns'], { kubeconfig: null });
    expect(none.stderr).toMatch(/^error: no kubeconfig found/);
    fs.mkdirSync(path.join(home, '.mk8s'), { recursive: true });
    fs.copyFileSync(c.kubeconfig, path.join(home, '.mk8s', 'kubeconfig'));
    try {
      expect(await ok(['get', 'ns', 'default', '-o', 'name'], { kubeconfig: null })).toBe('namespace/default\n');
    } finally { fs.rmSync(path.join(home, '.mk8s'), { recursive: true }); }
  });
});

describe('apply and create', () => {
  it('apply creates, then says unchanged, then configured after an edit of the file', async () => {
    const f = file('dep.yaml', DEPLOY);
    expect(await ok(['apply', '-f', f])).toBe('deployment.apps/web created\n');
    const rv = (await getJson(['deploy', 'web'])).metadata.resourceVersion;
    expect(await ok(['apply', '-f', f])).toBe('deployment.apps/web unchanged\n');
    expect((await getJson(['deploy', 'web'])).metadata.resourceVersion).toBe(rv); // nothing written
    file('dep.yaml', DEPLOY.replace('replicas: 2', 'replicas: 3'));
    expect(await ok(['apply', '-f', f])).toBe('deployment.apps/web configured\n');
    const d = await getJson(['deployments.apps', 'web']);
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.managedFields.map((m: any) => [m.manager, m.operation])).toContainEqual(['mkctl', 'Apply']);
  });

  it('applies every document of every file in a directory, and from stdin', async () => {
    file('dir/a.yaml', `${cm('one', { a: '1' })}---\n${cm('two', { b: '2' })}`);
    file('dir/b.yml', pod('p1', { app: 'x' }));
    file('dir/notes.txt', 'not a manifest');
    const out = await ok(['apply', '-f', path.join(dir, 'dir')]);
    expect(out).toBe('configmap/one created\nconfigmap/two created\npod/p1 created\n');
    expect(await ok(['apply', '-f', '-'], { input: cm('three', { c: '3' }) })).toBe('configmap/three created\n');
    expect((await getJson(['cm', 'three'])).data).toEqual({ c: '3' });
    expect(await ok(['apply', '-f', '-'], { input: cm('three', { c: '3' }) })).toBe('configmap/three unchanged\n');
  });

  it('create -f posts objects; a second create is AlreadyExists naming the file', async () => {
    const f = file('cm4.yaml', cm('four', { d: '4' }));
    expect(await ok(['create', '-f', f])).toBe('configmap/four created\n');
    const again = await fails(['create', '-f', f]);
    expect(again.stderr).toBe(`Error from server (AlreadyExists): error when creating "${f}": configmaps "four" already exists\n`);
  });
});

describe('get', () => {
  it('prints the server table: NAME and the columns the server defines; -o wide adds the priority ones', async () => {
    const out = await ok(['get', 'pods']);
    expect(header(out)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(out.split('\n')[1]).toMatch(/^p1\s+0\/1\s+Pending\s+0\s+\d+s$/);
    const wide = await ok(['get', 'po', '-o', 'wide']);
    expect(header(wide)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const dep = await ok(['get', 'deploy/web']);
    expect(header(dep)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    // kubectl's tabwriter: columns padded to the widest cell + 3
    expect(out.split('\n')[0]).toMatch(/^NAME {3}READY {3}STATUS {4}RESTARTS {3}AGE$/);
  });

  it('-o name, yaml, json, and several types at once', async () => {
    expect(await ok(['get', 'pod', 'p1', '-o', 'name'])).toBe('pod/p1\n');
    expect(await ok(['get', 'deploy', '-o', 'name'])).toBe('deployment.apps/web\n');
    const y = await ok(['get', 'cm', 'one', '-o', 'yaml']);
    expect(y).toMatch(/^apiVersion: v1\ndata:\n {2}a: "1"\nkind: ConfigMap\nmetadata:\n/);
    const list = await getJson(['cm']);
    expect(list.kind).toBe('List');
    expect(list.items.map((i: any) => `${i.kind}/${i.metadata.name}`)).toEqual(expect.arrayContaining(['ConfigMap/one', 'ConfigMap/two']));
    const multi = await ok(['get', 'pods,deploy']);
    expect(multi).toMatch(/^pod\/p1\s/m);
    expect(multi).toMatch(/^deployment\.apps\/web\s/m);
    expect(multi).toContain('\n\nNAME');
  });

  it('-o jsonpath: fields, [*], range with literals and \\n, filters', async () => {
    expect(await ok(['get', 'pod', 'p1', '-o', 'jsonpath={.metadata.name}'])).toBe('p1');
    expect(await ok(['get', 'cm', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe('four one three two');
    expect(await ok(['get', 'cm', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.data}{"\\n"}{end}']))
      .toBe('four={"d":"4"}\none={"a":"1"}\nthree={"c":"3"}\ntwo={"b":"2"}\n');
    expect(await ok(['get', 'cm', '-o', 'jsonpath={.items[?(@.metadata.name=="two")].data.b}'])).toBe('2');
    expect(await ok(['get', 'pod', 'p1', '-o', 'jsonpath=name: {.metadata.name}\\n'])).toBe('name: p1\n');
    const bad = await fails(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.x}']);
    expect(bad.stderr).toContain('error: error parsing jsonpath');
  });

  it('-l, --field-selector, -n, -A', async () => {
    await ok(['apply', '-f', '-'], { input: `${pod('p2', { app: 'y' })}---\n${pod('p3', { app: 'y', tier: 'db' })}` });
    await ok(['apply', '-f', '-', '-n', 'kube-system'], { input: pod('sys1') });
    expect(await ok(['get', 'pods', '-l', 'app=y', '-o', 'name'])).toBe('pod/p2\npod/p3\n');
    expect(await ok(['get', 'pods', '-l', 'app=y,tier!=db', '-o', 'name'])).toBe('pod/p2\n');
    expect(await ok(['get', 'pods', '--field-selector', 'metadata.name=p3', '-o', 'name'])).toBe('pod/p3\n');
    expect(await ok(['get', 'pods', '-n', 'kube-system', '-o', 'name'])).toBe('pod/sys1\n');
    const all = await ok(['get', 'pods', '-A']);
    expect(header(all)[0]).toBe('NAMESPACE');
    expect(all).toMatch(/^kube-system\s+sys1\s/m);
    expect(all).toMatch(/^default\s+p1\s/m);
    const none = await run(['get', 'pods', '-l', 'app=none']);
    expect(none).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  });

  it('-w prints the list, then a row for each change as it happens', async () => {
    const child = spawn(process.execPath, [MAIN, '--kubeconfig', c.kubeconfig, 'get', 'cm', '-w', '-l', 'watch=me'], { env: { PATH: process.env.PATH, HOME: home } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', d => (out += d));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise(r => setTimeout(r, 100));
      expect(out).toMatch(re);
    };
    try {
      await ok(['apply', '-f', '-'], { input: cm('w1', { a: '1' }).replace('name: w1', 'name: w1\n  labels: {watch: me}') });
      await waitFor(/^w1\s+1\s+\d+s$/m);
      await ok(['apply', '-f', '-'], { input: cm('w1', { a: '1', b: '2' }).replace('name: w1', 'name: w1\n  labels: {watch: me}') });
      await waitFor(/^w1\s+2\s+\d+s$/m);
      await ok(['delete', 'cm', 'w1']);
      await waitFor(/(^w1\s+2\s+\d+s$[\s\S]*){2}/m);
      expect(out.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
      expect(out.match(/^NAME/gm)).toHaveLength(1);
    } finally { await stop(child); }
  });
});

function stop(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGTERM');
  });
}

describe('describe', () => {
  it('shows metadata, labels, spec/status and only the events of that object', async () => {
    const uid = (await getJson(['pod', 'p3'])).metadata.uid;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ev = (name: string, pod: string, reason: string, u?: string) => `apiVersion: v1
kind: Event
metadata: {name: ${name}}
involvedObject: {kind: Pod, name: ${pod}, namespace: default${u ? `, uid: ${u}` : ''}}
reason: ${reason}
message: about ${pod}
type: Normal
source: {component: test-scheduler}
count: 3
firstTimestamp: "${now}"
lastTimestamp: "${now}"
`;
    await ok(['create', '-f', '-'], { input: `${ev('e1', 'p3', 'Scheduled', uid)}---\n${ev('e2', 'p2', 'Other')}` });
    const out = await ok(['describe', 'pod', 'p3']);
    expect(out).toMatch(/^Name: {9}p3$/m);
    expect(out).toMatch(/^Namespace: {4}default$/m);
    expect(out).toMatch(/^Labels: {7}app=y\n {14}tier=db$/m);
    expect(out).toMatch(/^Annotations: {2}<none>$/m);
    expect(out).toMatch(/^Spec:\n {2}Containers:\n {4}- Name: +c\n {6}Image: +busybox$/m);
    expect(out).toMatch(/^Status:\n {2}Phase: +Pending$/m);
    expect(out).toMatch(/^Events:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n/m);
    expect(out).toMatch(/^ {2}Normal\s+Scheduled\s+\d+s \(x3 over \d+s\)\s+test-scheduler\s+about p3$/m);
    expect(out).not.toContain('about p2');
    expect(await ok(['describe', 'cm', 'one'])).toMatch(/Data:\n {2}A: +1\nEvents: +<none>\n$/);
  });
});

describe('label', () => {
  it('adds, refuses to overwrite without --overwrite, overwrites, removes', async () => {
    expect(await ok(['label', 'pod', 'p1', 'tier=web'])).toBe('pod/p1 labeled\n');
    const clash = await fails(['label', 'pod', 'p1', 'tier=db']);
    expect(clash.stderr).toBe("error: 'tier' already has a value (web), and --overwrite is false\n");
    expect((await getJson(['pod', 'p1'])).metadata.labels).toEqual({ app: 'x', tier: 'web' });
    expect(await ok(['label', 'po/p1', 'tier=db', '--overwrite'])).toBe('pod/p1 labeled\n');
    expect(await ok(['label', 'pod', 'p1', 'tier-'])).toBe('pod/p1 unlabeled\n');
    expect((await getJson(['pod', 'p1'])).metadata.labels).toEqual({ app: 'x' });
    const bad = await fails(['label', 'pod', 'p1', 'bad key=x']);
    expect(bad.stderr).toMatch(/^error: invalid label spec: bad key=x/);
    expect(await ok(['label', 'pods', '-l', 'app=y', 'team=a'])).toBe('pod/p2 labeled\npod/p3 labeled\n');
  });
});

describe('edit', () => {
  it('saves what the EDITOR changed with a PUT; an untouched file cancels', async () => {
    const editor = file('editor.sh', '#!/bin/sh\nsed -i \'s/^  a: "1"$/  a: "edited"/\' "$1"\n');
    fs.chmodSync(editor, 0o755);
    expect(await ok(['edit', 'cm', 'one'], { env: { EDITOR: editor } })).toBe('configmap/one edited\n');
    expect((await getJson(['cm', 'one'])).data).toEqual({ a: 'edited' });
    const rv = (await getJson(['cm', 'one'])).metadata.resourceVersion;
    expect(await ok(['edit', 'configmap/one'], { env: { EDITOR: 'true' } })).toBe('Edit cancelled, no changes made.\n');
    expect((await getJson(['cm', 'one'])).metadata.resourceVersion).toBe(rv);
    const gone = await fails(['edit', 'cm', 'nope'], { env: { EDITOR: 'true' } });
    expect(gone.stderr).toBe('Error from server (NotFound): configmaps "nope" not found\n');
  });
});

describe('delete', () => {
  it('by name, by file, by label, --all; a missing name is NotFound', async () => {
    expect(await ok(['delete', 'cm', 'two'])).toBe('configmap "two" deleted\n');
    expect(await ok(['delete', '-f', path.join(dir, 'dep.yaml')])).toBe('deployment.apps "web" deleted\n');
    expect((await fails(['get', 'deploy', 'web'])).stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
    expect(await ok(['delete', 'pods', '-l', 'app=y', '--wait=false'])).toBe('pod "p2" deleted\npod "p3" deleted\n');
    expect(await ok(['get', 'pods', '-o', 'name'])).toBe('pod/p1\n');
    const missing = await fails(['delete', 'pod', 'p1', 'ghost', '--grace-period=0']);
    expect(missing.stdout).toBe('pod "p1" deleted\n');
    expect(missing.stderr).toBe('Error from server (NotFound): pods "ghost" not found\n');
    expect(await ok(['delete', 'cm', '--all'])).toMatch(/^(configmap "\w+" deleted\n)+$/);
    expect((await run(['get', 'cm'])).stderr).toBe('No resources found in default namespace.\n');
    expect((await fails(['delete', 'cm'])).stderr).toBe('error: resource(s) were provided, but no name was specified\n');
  });
});

describe('errors', () => {
  it('a YAML syntax error names the file, line and column', async () => {
    const f = file('bad-syntax.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n  b: 3\n');
    const r = await fails(['apply', '-f', f]);
    expect(r.stderr).toMatch(new RegExp(`^error: parsing ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line \\d+, column \\d+: .+\\n$`));
    expect(r.stdout).toBe('');
  });

  it('a document without kind or apiVersion is named by number and line; nothing of the file is sent', async () => {
    const f = file('missing.yaml', `${cm('ok1', { a: '1' })}---\n# the second\napiVersion: v1\nmetadata:\n  name: y\n`);
    const r = await fails(['apply', '-f', f]);
    expect(r.stderr).toBe(`error: ${f}: document 2 (line 8): missing "kind"\n`);
    expect((await fails(['get', 'cm', 'ok1'])).stderr).toContain('NotFound');
    const g = file('noapi.yaml', 'kind: ConfigMap\nmetadata: {name: z}\n');
    expect((await fails(['create', '-f', g])).stderr).toBe(`error: ${g}: document 1 (line 1): missing "apiVersion"\n`);
  });

  it('an unknown kind in a file and an unknown resource type say what exists', async () => {
    const f = file('kind.yaml', 'apiVersion: v1\nkind: ConfigMapp\nmetadata: {name: z}\n');
    const r = await fails(['apply', '-f', f]);
    expect(r.stderr).toMatch(/no matches for kind "ConfigMapp" in version "v1"; did you mean "ConfigMap"\? kinds in v1: ConfigMap, .*Pod/);
    const unknown = await fails(['get', 'foo']);
    expect(unknown.stderr).toMatch(/^error: the server doesn't have a resource type "foo"; known kinds: ConfigMap, .*Deployment, .*Pod, /);
    expect((await fails(['get', 'deploymnts'])).stderr).toBe('error: the server doesn\'t have a resource type "deploymnts"; did you mean "deployments"?\n');
  });

  it('API errors print the Status like kubectl; bad flags and commands are errors too', async () => {
    expect(await fails(['get', 'pod', 'x'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "x" not found\n' });
    expect((await fails(['get', 'pods', '-o', 'xml'])).stderr).toMatch(/^error: unable to match a printer suitable for the output format "xml"/);
    expect((await fails(['get', 'pods', '--bogus'])).stderr).toBe('error: unknown flag: --bogus\n');
    expect((await fails(['frobnicate'])).stderr).toMatch(/^error: unknown command "frobnicate"/);
    const invalid = await fails(['apply', '-f', '-'], { input: pod('Bad_Name') });
    expect(invalid.stderr).toMatch(/^Error from server \(Invalid\): error when creating "STDIN": Pod "Bad_Name" is invalid: metadata.name/);
  });

  it('an unreachable server is a connection error, not a crash', async () => {
    const kc = file('dead-kubeconfig', fs.readFileSync(c.kubeconfig, 'utf8').replace(/server: .*/, 'server: http://127.0.0.1:1'));
    const r = await fails(['get', 'pods'], { kubeconfig: kc });
    expect(r.stderr).toBe('error: The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n');
  });
});
