// The real kubectl 1.32 creating, reading, replacing, patching and deleting the kinds a learner starts with
// (from YAML manifests), and every `kubectl create <kind>` generator for the kinds we serve.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { startKube, type Kube } from './kubectl-helpers';

jest.setTimeout(60_000);

let k: Kube;
beforeAll(async () => { k = await startKube(); }, 60_000);

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();
// 10.96.0.0/12 is 10.96.0.0 - 10.111.255.255, the default --service-cluster-ip-range.
const SERVICE_IP = /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: bb
  labels:
    app: bb
spec:
  containers:
  - name: bb
    image: busybox
    command: ["sleep", "3600"]
`;

describe('pods from a manifest', () => {
  it('create -f stores the pod with upstream defaults and status Pending', async () => {
    const file = k.file('pod.yaml', POD);
    expect(await k.ok(['create', '-f', file])).toBe('pod/bb created\n');
    const pod = await k.json(['pod', 'bb']);
    expect(pod.metadata.namespace).toBe('default');
    expect(pod.metadata.labels).toEqual({ app: 'bb' });
    expect(pod.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    const c = pod.spec.containers[0];
    expect(c).toMatchObject({ name: 'bb', image: 'busybox', command: ['sleep', '3600'], imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', serviceAccountName: 'default', enableServiceLinks: true });
    expect(pod.status).toMatchObject({ phase: 'Pending', qosClass: 'BestEffort' });
    // a second create is refused by name
    const again = await k.fails(['create', '-f', file]);
    expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
    expect(again.stderr).toContain('pods "bb" already exists');
  });

  it('replace -f swaps the image; a stale resourceVersion is a Conflict', async () => {
    const pod = await k.json(['pod', 'bb']);
    const stale = structuredClone(pod);
    pod.spec.containers[0].image = 'busybox:1.36';
    expect(await k.ok(['replace', '-f', '-'], { input: JSON.stringify(pod) })).toBe('pod/bb replaced\n');
    const stored = await k.json(['pod', 'bb']);
    expect(stored.spec.containers[0].image).toBe('busybox:1.36');
    expect(Number(stored.metadata.resourceVersion)).toBeGreaterThan(Number(pod.metadata.resourceVersion));
    stale.metadata.labels.extra = 'x';
    const r = await k.fails(['replace', '-f', '-'], { input: JSON.stringify(stale) });
    expect(r.stderr).toContain('Error from server (Conflict)');
    expect(r.stderr).toContain('Operation cannot be fulfilled on pods "bb": the object has been modified; please apply your changes to the latest version and try again');
    expect((await k.json(['pod', 'bb'])).metadata.labels.extra).toBeUndefined();
  });

  it('patch --type=json, --type=merge and the default strategic patch', async () => {
    expect(await k.ok(['patch', 'pod', 'bb', '--type=json', '-p', '[{"op":"replace","path":"/spec/containers/0/image","value":"busybox:1.37"}]'])).toBe('pod/bb patched\n');
    expect(await k.ok(['patch', 'pod', 'bb', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"one"}}}'])).toBe('pod/bb patched\n');
    expect(await k.ok(['patch', 'pod', 'bb', '-p', '{"metadata":{"annotations":{"note":"hi"}}}'])).toBe('pod/bb patched\n');
    expect(await k.ok(['patch', 'pod', 'bb', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"one"}}}'])).toBe('pod/bb patched (no change)\n');
    const pod = await k.json(['pod', 'bb']);
    expect(pod.spec.containers[0].image).toBe('busybox:1.37');
    expect(pod.metadata.labels).toEqual({ app: 'bb', tier: 'one' });
    expect(pod.metadata.annotations).toEqual({ note: 'hi' });
    // a failed "test" op is a 422 without a kind, as upstream's NewGenericServerResponse
    const bad = await k.fails(['patch', 'pod', 'bb', '--type=json', '-p', '[{"op":"test","path":"/metadata/name","value":"other"}]']);
    expect(bad.stderr).toContain('The request is invalid: the server rejected our request due to an error in our request');
    expect((await k.json(['pod', 'bb'])).metadata.name).toBe('bb');
  });

  it('delete -f removes an unscheduled pod at once', async () => {
    expect(await k.ok(['delete', '-f', path.join(k.dir, 'pod.yaml')])).toBe('pod "bb" deleted\n');
    const r = await k.fails(['get', 'pod', 'bb']);
    expect(r.stderr).toBe('Error from server (NotFound): pods "bb" not found\n');
  });
});

describe('a Deployment with two containers', () => {
  const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
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
        ports:
        - containerPort: 80
      - name: logger
        image: busybox
        command: ["sh", "-c", "tail -f /dev/null"]
`;

  it('create, strategic patch merging containers by name, replace, delete', async () => {
    expect(await k.ok(['create', '-f', k.file('deploy.yaml', DEPLOY)])).toBe('deployment.apps/web created\n');
    let d = await k.json(['deployment', 'web']);
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['nginx', 'logger']);
    expect(d.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(d.spec).toMatchObject({ revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(d.metadata.generation).toBe(1);

    // strategic merge: the containers list merges by name, so logger stays and nginx gains an env var
    await k.ok(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"MODE","value":"prod"}]}]}}}}']);
    d = await k.json(['deployment', 'web']);
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['nginx', 'logger']);
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'prod' }]);
    expect(d.metadata.generation).toBe(2);
    // a merge patch replaces the whole list
    await k.ok(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"nginx"}]}}}}']);
    d = await k.json(['deployment', 'web']);
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['only']);

    d.spec.replicas = 5;
    expect(await k.ok(['replace', '-f', '-'], { input: JSON.stringify(d) })).toBe('deployment.apps/web replaced\n');
    const stored = await k.json(['deployment', 'web']);
    expect(stored.spec.replicas).toBe(5);
    expect(stored.metadata.generation).toBe(4);
    expect(await k.ok(['delete', 'deployment', 'web'])).toBe('deployment.apps "web" deleted\n');
    expect((await k.fails(['get', 'deploy', 'web'])).stderr).toContain('deployments.apps "web" not found');
  });
});

describe('resource defaults', () => {
  it('limits default the requests on a Pod, never on a pod template', async () => {
    await k.ok(['create', 'deployment', 'limited', '--image=nginx']);
    expect(await k.ok(['set', 'resources', 'deployment', 'limited', '--limits=cpu=200m,memory=128Mi'])).toBe('deployment.apps/limited resource requirements updated\n');
    const d = await k.json(['deploy', 'limited']);
    expect(d.spec.template.spec.containers[0].resources).toEqual({ limits: { cpu: '200m', memory: '128Mi' } });
    await k.ok(['run', 'limited', '--image=nginx', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'limited', image: 'nginx', resources: { limits: { cpu: '200m', memory: '128Mi' } } }] } })]);
    const p = await k.json(['pod', 'limited']);
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '200m', memory: '128Mi' } });
    expect(p.status.qosClass).toBe('Guaranteed');
  });
});

describe('configmaps, secrets, services, jobs and namespaces from manifests', () => {
  it('a ConfigMap and a Secret with stringData', async () => {
    const file = k.file('cfg.yaml', `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
  size: "3"
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: s3cret
`);
    expect(await k.ok(['create', '-f', file])).toBe('configmap/settings created\nsecret/creds created\n');
    expect((await k.json(['configmap', 'settings'])).data).toEqual({ color: 'blue', size: '3' });
    const s = await k.json(['secret', 'creds']);
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ password: b64('s3cret') });
    expect(s.stringData).toBeUndefined();
    await k.ok(['patch', 'configmap', 'settings', '--type=json', '-p', '[{"op":"remove","path":"/data/size"}]']);
    expect((await k.json(['configmap', 'settings'])).data).toEqual({ color: 'blue' });
    expect(await k.ok(['delete', '-f', file])).toBe('configmap "settings" deleted\nsecret "creds" deleted\n');
    expect((await k.fails(['get', 'secret', 'creds'])).stderr).toContain('secrets "creds" not found');
  });

  it('a Service with port 80 -> 8080 gets a cluster IP from the service range', async () => {
    const file = k.file('svc.yaml', `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
`);
    expect(await k.ok(['create', '-f', file])).toBe('service/web created\n');
    const svc = await k.json(['service', 'web']);
    expect(svc.spec.clusterIP).toMatch(SERVICE_IP);
    expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster' });
    expect(svc.spec.ports).toEqual([{ port: 80, targetPort: 8080, protocol: 'TCP' }]);
    // clusterIP is immutable
    const r = await k.fails(['patch', 'service', 'web', '--type=merge', '-p', '{"spec":{"clusterIP":"10.96.0.77","clusterIPs":["10.96.0.77"]}}']);
    expect(r.stderr).toContain('The Service "web" is invalid: spec.clusterIPs[0]: Invalid value');
    expect(r.stderr).toContain('may not change once set');
    expect((await k.json(['service', 'web'])).spec.clusterIP).toBe(svc.spec.clusterIP);
    // replacing with the manifest (no clusterIP in it) keeps the allocated IP
    expect(await k.ok(['replace', '-f', file])).toBe('service/web replaced\n');
    expect((await k.json(['service', 'web'])).spec.clusterIPs).toEqual([svc.spec.clusterIP]);
    await k.ok(['delete', 'service', 'web']);
  });

  it('a Job gets its generated selector and the upstream defaults', async () => {
    const file = k.file('job.yaml', `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: busybox
        command: ["sh", "-c", "echo 3.14"]
`);
    expect(await k.ok(['create', '-f', file])).toBe('job.batch/pi created\n');
    const job = await k.json(['job', 'pi']);
    const uid = job.metadata.uid;
    expect(job.spec.selector.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': uid });
    expect(job.spec.template.metadata.labels).toMatchObject({ 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'job-name': 'pi' });
    expect(job.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false });
    // the pod template of a Job is immutable
    const r = await k.fails(['patch', 'job', 'pi', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx"}]']);
    expect(r.stderr).toContain('field is immutable');
    expect(await k.ok(['delete', 'job', 'pi'])).toBe('job.batch "pi" deleted\n');
  });

  it('a Namespace from a manifest is Active with its name label', async () => {
    const file = k.file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n');
    expect(await k.ok(['create', '-f', file])).toBe('namespace/team-a created\n');
    const ns = await k.json(['namespace', 'team-a']);
    expect(ns.status.phase).toBe('Active');
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    await k.ok(['create', 'configmap', 'inside', '-n', 'team-a', '--from-literal=k=v']);
    expect((await k.json(['configmap', 'inside', '-n', 'team-a'])).metadata.namespace).toBe('team-a');
    expect((await k.fails(['get', 'configmap', 'inside'])).stderr).toContain('configmaps "inside" not found');
  });
});

describe('kubectl create <generator>', () => {
  it('namespace', async () => {
    expect(await k.ok(['create', 'namespace', 'gen'])).toBe('namespace/gen created\n');
    expect((await k.json(['ns', 'gen'])).metadata.labels['kubernetes.io/metadata.name']).toBe('gen');
  });

  it('configmap --from-literal and --from-file', async () => {
    expect(await k.ok(['create', 'configmap', 'lit', '--from-literal=a=1', '--from-literal=b=two'])).toBe('configmap/lit created\n');
    expect((await k.json(['cm', 'lit'])).data).toEqual({ a: '1', b: 'two' });
    const f = k.file('app.properties', 'color=blue\n');
    await k.ok(['create', 'configmap', 'fromfile', `--from-file=${f}`, `--from-file=renamed=${f}`]);
    expect((await k.json(['cm', 'fromfile'])).data).toEqual({ 'app.properties': 'color=blue\n', renamed: 'color=blue\n' });
  });

  it('secret generic, docker-registry and tls', async () => {
    expect(await k.ok(['create', 'secret', 'generic', 'gen', '--from-literal=pw=s3cret'])).toBe('secret/gen created\n');
    const g = await k.json(['secret', 'gen']);
    expect(g.type).toBe('Opaque');
    expect(g.data).toEqual({ pw: b64('s3cret') });

    await k.ok(['create', 'secret', 'docker-registry', 'reg', '--docker-server=registry.example', '--docker-username=u', '--docker-password=p']);
    const reg = await k.json(['secret', 'reg']);
    expect(reg.type).toBe('kubernetes.io/dockerconfigjson');
    const cfg = JSON.parse(unb64(reg.data['.dockerconfigjson']));
    expect(cfg.auths['registry.example']).toMatchObject({ username: 'u', password: 'p', auth: b64('u:p') });

    const key = path.join(k.dir, 'tls.key'), crt = path.join(k.dir, 'tls.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=example'], { stdio: 'ignore' });
    await k.ok(['create', 'secret', 'tls', 'cert', `--cert=${crt}`, `--key=${key}`]);
    const tls = await k.json(['secret', 'cert']);
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(unb64(tls.data['tls.crt'])).toContain('-----BEGIN CERTIFICATE-----');
    expect(unb64(tls.data['tls.key'])).toContain('PRIVATE KEY-----');
    // a tls secret without its key is invalid
    const bad = await k.fails(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'badtls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('x') } }) });
    expect(bad.stderr).toContain('data[tls.key]: Required value');
  });

  it('deployment, job and cronjob', async () => {
    expect(await k.ok(['create', 'deployment', 'gen', '--image=nginx', '--replicas=3'])).toBe('deployment.apps/gen created\n');
    const d = await k.json(['deploy', 'gen']);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'gen' } });
    expect(d.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'nginx', image: 'nginx', imagePullPolicy: 'Always' })]);

    expect(await k.ok(['create', 'job', 'gen', '--image=busybox', '--', 'echo', 'hi'])).toBe('job.batch/gen created\n');
    const j = await k.json(['job', 'gen']);
    expect(j.spec.template.spec.restartPolicy).toBe('Never');
    expect(j.spec.template.spec.containers[0].command).toEqual(['echo', 'hi']);

    expect(await k.ok(['create', 'cronjob', 'gen', '--image=busybox', '--schedule=*/5 * * * *'])).toBe('cronjob.batch/gen created\n');
    const cj = await k.json(['cronjob', 'gen']);
    expect(cj.spec).toMatchObject({ schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec.template.spec.containers[0].image).toBe('busybox');
    const bad = await k.fails(['create', 'cronjob', 'badcron', '--image=busybox', '--schedule=61 * * * *']);
    expect(bad.stderr).toContain('spec.schedule');
  });

  it('service clusterip, nodeport and headless', async () => {
    expect(await k.ok(['create', 'service', 'clusterip', 'gen', '--tcp=80:8080'])).toBe('service/gen created\n');
    const s = await k.json(['svc', 'gen']);
    expect(s.spec.clusterIP).toMatch(SERVICE_IP);
    expect(s.spec.selector).toEqual({ app: 'gen' });
    expect(s.spec.ports).toEqual([{ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }]);

    await k.ok(['create', 'service', 'nodeport', 'gen-np', '--tcp=80:8080']);
    const np = await k.json(['svc', 'gen-np']);
    expect(np.spec.type).toBe('NodePort');
    expect(np.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(np.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
    expect(np.spec.clusterIP).toMatch(SERVICE_IP);
    expect(np.spec.clusterIP).not.toBe(s.spec.clusterIP);

    await k.ok(['create', 'service', 'clusterip', 'gen-headless', '--clusterip=None']);
    const h = await k.json(['svc', 'gen-headless']);
    expect(h.spec.clusterIP).toBe('None');
    expect(h.spec.clusterIPs).toEqual(['None']);
  });

  it('serviceaccount, quota, priorityclass, poddisruptionbudget', async () => {
    expect(await k.ok(['create', 'serviceaccount', 'robot'])).toBe('serviceaccount/robot created\n');
    expect((await k.json(['sa', 'robot'])).metadata.name).toBe('robot');
    expect(await k.ok(['create', 'quota', 'q', '--hard=pods=10,cpu=2'])).toBe('resourcequota/q created\n');
    expect((await k.json(['quota', 'q'])).spec.hard).toEqual({ pods: '10', cpu: '2' });
    expect(await k.ok(['create', 'priorityclass', 'high', '--value=1000', '--description=important'])).toBe('priorityclass.scheduling.k8s.io/high created\n');
    expect(await k.json(['pc', 'high'])).toMatchObject({ value: 1000, description: 'important', preemptionPolicy: 'PreemptLowerPriority' });
    expect(await k.ok(['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=1'])).toBe('poddisruptionbudget.policy/pdb created\n');
    expect((await k.json(['pdb', 'pdb'])).spec).toEqual({ minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    const bad = await k.fails(['create', 'quota', 'badq', '--hard=pods=lots']);
    expect(bad.stderr).toMatch(/quantities must match the regular expression|pods/);
  });

  it('role (RBAC is not served) fails with a clear error, not a hang', async () => {
    const role = await k.fails(['create', 'role', 'reader', '--verb=get', '--resource=pods'], {});
    expect(role.stderr).toContain('the server could not find the requested resource');
  });

  it('token: a bound service-account JWT from serviceaccounts/token, with upstream claims and checks', async () => {
    await k.ok(['create', 'serviceaccount', 'token-robot']);
    const out = (await k.ok(['create', 'token', 'token-robot', '--audience=api', '--duration=20m'])).trim();
    const parts = out.split('.');
    expect(parts).toHaveLength(3);
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    expect(header.alg).toBe('RS256');
    expect(claims.sub).toBe('system:serviceaccount:default:token-robot');
    expect(claims.aud).toEqual(['api']);
    expect(claims.exp - claims.iat).toBe(1200);
    const sa = await k.json(['serviceaccount', 'token-robot']);
    expect(claims['kubernetes.io']).toEqual({ namespace: 'default', serviceaccount: { name: 'token-robot', uid: sa.metadata.uid } });
    const short = await k.fails(['create', 'token', 'token-robot', '--duration=1m']);
    expect(short.stderr).toContain('spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const missing = await k.fails(['create', 'token', 'nobody']);
    expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
  });
});
