// Every YAML manifest of the seed notes (test/fixtures/seeds/*.yaml, pulled out of the notes by extract.js), fed
// to the real kubectl 1.32 the way a learner copying it from the note would: `kubectl apply -f`, each note in a
// namespace of its own (set in the kubeconfig context, as a learner's would be, so the DaemonSet that names
// kube-system still goes there). The table says, per file, what Kubernetes 1.32 answers; then a few stored
// objects are read back with `kubectl get -o yaml` for the defaults upstream adds.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { cluster, REPO_ROOT, sessionDir, type Cluster, type KubectlResult } from '../src';

jest.setTimeout(60_000);

const SEEDS = path.join(REPO_ROOT, 'test', 'fixtures', 'seeds');
const NOTES = ['000', '001', '003'];
// 10.96.0.0/12 is 10.96.0.0 - 10.111.255.255, the default --service-cluster-ip-range.
const SERVICE_IP = /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/;

/** What kubectl answers: exit 0 and this line on stdout, or a failure whose stderr matches. */
type Outcome = { out: string } | { error: RegExp };
interface Case {
  file: string;
  /** `kubectl apply -f <file>` in the note's namespace, in table order. */
  apply: Outcome;
  /** `kubectl create --dry-run=server -f <file>` in a fresh namespace: where apply cannot tell us what the server says. */
  dryRun?: Outcome;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// kubectl's own message for a kind whose group/version the server does not serve (removed APIs, kubeadm's config).
const noMatches = (kind: string, version: string, name: string) => new RegExp(
  `error: resource mapping not found for name: "${esc(name)}" namespace: "" from ".*": no matches for kind "${kind}" in version "${esc(version)}"\nensure CRDs are installed first`);
// `...` is YAML's document-end marker: kubectl reads only `apiVersion` and `kind` of these fragments, and apply
// cannot look up an object without a name (client-go refuses before any request).
const NAMELESS_APPLY = /Name: "", Namespace: "seeds-\d+"\nfrom server for: ".*": resource name may not be empty/;
// The server's answer for the same fragment: an empty PodSpec, defaulted, then validated (upstream's two errors).
const NAMELESS_CREATE = /^The Pod "" is invalid: \n\* metadata\.name: Required value: name or generateName is required\n\* spec\.containers: Required value\n$/;
const NAMELESS: Pick<Case, 'apply' | 'dryRun'> = { apply: { error: NAMELESS_APPLY }, dryRun: { error: NAMELESS_CREATE } };
// Upstream ValidatePodUpdate's message (its cmp.Diff tail is Go-specific and not compared).
const podUpdateForbidden = (name: string) => new RegExp(esc(`Pod "${name}" is invalid: spec: Forbidden: pod updates may not change fields other than ` +
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n'));

const CASES: Case[] = [
  { file: '000-0074.yaml', apply: { out: 'pod/myapp-pod created' } },
  // Only a placeholder comment where the note means the probe to go: still a complete Pod.
  { file: '000-0098.yaml', apply: { out: 'pod/liveness-http created' } },
  { file: '000-0212.yaml', apply: { out: 'replicaset.apps/frontend created' } },
  { file: '000-0244.yaml', apply: { out: 'deployment.apps/nginx-deployment created' } },
  // Names kube-system itself; the apiserver creates that namespace at start, as upstream's does.
  { file: '000-0325.yaml', apply: { out: 'daemonset.apps/fluentd-elasticsearch created' } },
  { file: '000-0375.yaml', apply: { out: 'job.batch/pi created' } },
  { file: '000-0397.yaml', apply: { out: 'service/my-service created' } },
  { file: '001-0048.yaml', ...NAMELESS },
  { file: '001-0216.yaml', apply: { out: 'persistentvolume/nfs created' } },
  // kubeadm's own config file, not an API object: no apiserver serves kubeadm.k8s.io.
  { file: '003-0166.yaml', apply: { error: noMatches('MasterConfiguration', 'kubeadm.k8s.io/v1alpha1', '') } },
  { file: '003-0280.yaml', ...NAMELESS },
  { file: '003-0306.yaml', ...NAMELESS },
  { file: '003-0411.yaml', apply: { out: 'deployment.apps/nginx-deployment created' } },
  // The note's next step: the same Deployment edited (nginx:1.8 plus a volume) and applied again.
  { file: '003-0535.yaml', apply: { out: 'deployment.apps/nginx-deployment configured' } },
  { file: '003-0703.yaml', apply: { out: 'pod/two-containers created' } },
  { file: '003-0749.yaml', apply: { out: 'pod/javaweb-2 created' } },
  { file: '003-0828.yaml', ...NAMELESS },
  { file: '003-0843.yaml', ...NAMELESS },
  { file: '003-0874.yaml', apply: { out: 'pod/nginx created' } },
  // Also named nginx: applied after 003-0874 it is an update of that Pod, and a Pod's host namespaces are
  // immutable. Created on its own it is a valid Pod.
  { file: '003-0913.yaml', apply: { error: podUpdateForbidden('nginx') }, dryRun: { out: 'pod/nginx created (server dry run)' } },
  // A tab before the comment under `lifecycle:`: YAML allows no tab there, kubectl's parser stops.
  { file: '003-0950.yaml', apply: { error: /error parsing .*003-0950\.yaml: error converting YAML to JSON: yaml: line 10: found character that cannot start any token/ } },
  // The Secrets it projects (user, pass) need not exist for the Pod object to be stored.
  { file: '003-1008.yaml', apply: { out: 'pod/test-projected-volume created' } },
  { file: '003-1054.yaml', apply: { out: 'secret/mysecret created' } },
  // `kubectl get -o yaml` output whose `...` sits inside metadata, where it is not YAML.
  { file: '003-1118.yaml', apply: { error: /error parsing .*003-1118\.yaml: error converting YAML to JSON: yaml: line 12: could not find expected ':'/ } },
  { file: '003-1136.yaml', apply: { out: 'pod/test-downwardapi-volume created' } },
  { file: '003-1270.yaml', apply: { out: 'pod/test-liveness-exec created' } },
  { file: '003-1403.yaml', apply: { out: 'pod/website created' } },
  // PodPreset (settings.k8s.io/v1alpha1) was removed in Kubernetes 1.20.
  { file: '003-1423.yaml', apply: { error: noMatches('PodPreset', 'settings.k8s.io/v1alpha1', 'allow-database') } },
  // What the note shows PodPreset made of 003-1403: applied over it, an update adding env and volumes (forbidden).
  { file: '003-1457.yaml', apply: { error: podUpdateForbidden('website') }, dryRun: { out: 'pod/website created (server dry run)' } },
];

const noteOf = (file: string) => file.split('-')[0];
const isOut = (o: Outcome): o is { out: string } => 'out' in o;

let c: Cluster;
let work: string;
const kubeconfigs: Record<string, string> = {};

/** kubectl as a learner working on `note` (context namespace seeds-<note>). */
const kube = (note: string, args: string[], input?: string) => c.kubectl(args, { input, env: { KUBECONFIG: kubeconfigs[note] } });
const describeRun = (args: string[], r: KubectlResult) => `kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
async function ok(args: string[]): Promise<string> {
  const r = await c.kubectl(args);
  if (r.code !== 0) throw new Error(describeRun(args, r));
  return r.stdout;
}
const getYaml = async (args: string[]) => YAML.parse(await ok(['get', ...args, '-o', 'yaml']));

function expectOutcome(args: string[], r: KubectlResult, want: Outcome): void {
  const what = describeRun(args, r);
  if (isOut(want)) {
    expect({ what, code: r.code, lines: r.stdout.trimEnd().split('\n') }).toEqual({ what, code: 0, lines: [want.out] });
  } else {
    expect({ what, failed: r.code !== 0 }).toEqual({ what, failed: true });
    expect(r.stderr).toMatch(want.error);
  }
}

beforeAll(async () => {
  c = await cluster();
  work = fs.mkdtempSync(path.join(sessionDir(), 'seeds-'));
  const base = YAML.parse(fs.readFileSync(c.kubeconfig, 'utf8'));
  for (const note of NOTES) {
    const cfg = structuredClone(base);
    cfg.contexts[0].context.namespace = `seeds-${note}`;
    kubeconfigs[note] = path.join(work, `kubeconfig-${note}`);
    fs.writeFileSync(kubeconfigs[note], YAML.stringify(cfg));
  }
  for (const ns of [...NOTES.map((n) => `seeds-${n}`), 'seeds-dry']) await ok(['create', 'namespace', ns]);
}, 60_000);

describe('the fixtures', () => {
  it('are what extract.js makes of the notes, and each has a row in the table', () => {
    execFileSync(process.execPath, [path.join(SEEDS, 'extract.js'), '--check'], { stdio: 'pipe' });
    const files = fs.readdirSync(SEEDS).filter((f) => /^\d+-\d+\.yaml$/.test(f)).sort();
    expect(CASES.map((k) => k.file)).toEqual(files);
    expect(files).toHaveLength(29);
  });
});

describe.each(NOTES)('note %s, every manifest with kubectl apply -f', (note) => {
  const cases = CASES.filter((k) => noteOf(k.file) === note);

  it('applies the ones Kubernetes accepts in one `kubectl apply -f <dir>`', async () => {
    const accepted = cases.filter((k) => isOut(k.apply));
    const dir = path.join(work, `batch-${note}`);
    fs.mkdirSync(dir);
    for (const k of accepted) fs.copyFileSync(path.join(SEEDS, k.file), path.join(dir, k.file));
    const args = ['apply', '-f', dir];
    const r = await kube(note, args);
    // kubectl applies a directory's files in name order, which is the table's order.
    expect({ what: describeRun(args, r), code: r.code, lines: r.stdout.trimEnd().split('\n') })
      .toEqual({ what: describeRun(args, r), code: 0, lines: accepted.map((k) => (k.apply as { out: string }).out) });
  });

  const refused = cases.filter((x) => !isOut(x.apply));
  if (refused.length > 0) {
    it(`answers the other ${refused.length}, file by file, with the real error`, async () => {
      for (const k of refused) {
        const args = ['apply', '-f', path.join(SEEDS, k.file)];
        expectOutcome(args, await kube(note, args), k.apply);
      }
    });
  }

  const dryRuns = cases.filter((x) => x.dryRun);
  if (dryRuns.length > 0) {
    it(`\`kubectl create --dry-run=server\` for the ${dryRuns.length} whose apply cannot ask the server`, async () => {
      for (const k of dryRuns) {
        const args = ['create', '--dry-run=server', '-n', 'seeds-dry', '-f', path.join(SEEDS, k.file)];
        expectOutcome(args, await c.kubectl(args), k.dryRun!);
      }
      // a dry run stores nothing
      expect(await ok(['get', 'pods', '-n', 'seeds-dry', '-o', 'name'])).toBe('');
    });
  }
});

describe('what the stored objects look like (kubectl get -o yaml)', () => {
  it('pods: restartPolicy, dnsPolicy, and imagePullPolicy by tag', async () => {
    const myapp = await getYaml(['pod', 'myapp-pod', '-n', 'seeds-000']);
    expect(myapp.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler', serviceAccountName: 'default', enableServiceLinks: true, priority: 0 });
    // busybox:1.28 names a tag other than latest: IfNotPresent, for init containers too
    expect([...myapp.spec.initContainers, ...myapp.spec.containers].map((x: any) => x.imagePullPolicy)).toEqual(['IfNotPresent', 'IfNotPresent', 'IfNotPresent']);
    expect(myapp.spec.containers[0]).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} });
    expect(myapp.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });

    // busybox (no tag) means latest: Always; the probe gets its defaults beside the note's 5 s / 5 s
    const liveness = await getYaml(['pod', 'test-liveness-exec', '-n', 'seeds-003']);
    expect(liveness.spec.containers[0].imagePullPolicy).toBe('Always');
    expect(liveness.spec.containers[0].livenessProbe).toEqual({ exec: { command: ['cat', '/tmp/healthy'] },
      initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });

    // an explicit restartPolicy stays; a hostPath volume gets type ""
    const two = await getYaml(['pod', 'two-containers', '-n', 'seeds-003']);
    expect(two.spec.restartPolicy).toBe('Never');
    expect(two.spec.volumes).toEqual([{ name: 'shared-data', hostPath: { path: '/data', type: '' } }]);

    const java = await getYaml(['pod', 'javaweb-2', '-n', 'seeds-003']);
    expect(java.spec.containers[0].ports).toEqual([{ containerPort: 8080, hostPort: 8001, protocol: 'TCP' }]);
    expect(java.spec.initContainers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  it('projected volumes: defaultMode 420, downward API fieldRef apiVersion v1', async () => {
    const dapi = await getYaml(['pod', 'test-downwardapi-volume', '-n', 'seeds-003']);
    expect(dapi.spec.volumes[0].projected).toEqual({ defaultMode: 420, sources: [
      { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } }] });
    // the multi-line plain scalar of the note is one argument
    expect(dapi.spec.containers[0].args).toEqual([
      "while true; do if [[ -e /etc/podinfo/labels ]]; then echo -en '\\n\\n'; cat /etc/podinfo/labels; fi; sleep 5; done;"]);
    const secrets = await getYaml(['pod', 'test-projected-volume', '-n', 'seeds-003']);
    expect(secrets.spec.volumes[0].projected).toEqual({ defaultMode: 420, sources: [{ secret: { name: 'user' } }, { secret: { name: 'pass' } }] });
  });

  it('the hostNetwork Pod, created on its own (server dry run), keeps its host namespaces', async () => {
    const pod = YAML.parse(await ok(['create', '--dry-run=server', '-n', 'seeds-dry', '-f', path.join(SEEDS, '003-0913.yaml'), '-o', 'yaml']));
    expect(pod.spec).toMatchObject({ hostNetwork: true, hostIPC: true, hostPID: true, dnsPolicy: 'ClusterFirst' });
    expect(pod.spec.containers[1]).toMatchObject({ name: 'shell', stdin: true, tty: true, imagePullPolicy: 'Always' });
    expect(pod.metadata.uid).toBeDefined();
  });

  it('Deployment: RollingUpdate 25%/25% and the other spec defaults; the re-apply changed the template', async () => {
    const first = await getYaml(['deployment', 'nginx-deployment', '-n', 'seeds-000']);
    expect(first.spec).toMatchObject({ replicas: 3, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(first.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
    expect(first.spec.template.spec.containers[0]).toMatchObject({ image: 'nginx:1.14.2', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    expect(first.metadata.generation).toBe(1);
    // every DeploymentStatus field is omitempty upstream: nothing until a controller writes one
    expect(first.status).toEqual({});

    const edited = await getYaml(['deployment', 'nginx-deployment', '-n', 'seeds-003']);
    expect(edited.metadata.generation).toBe(2);
    expect(edited.spec.replicas).toBe(2);
    expect(edited.spec.template.spec.containers[0]).toMatchObject({ image: 'nginx:1.8', volumeMounts: [{ mountPath: '/usr/share/nginx/html', name: 'nginx-vol' }] });
    expect(edited.spec.template.spec.volumes).toEqual([{ name: 'nginx-vol', emptyDir: {} }]);
  });

  it('the commands note 000 runs on its Deployment: set image, scale, autoscale, rollout pause/resume', async () => {
    const run = async (args: string[]) => {
      const r = await kube('000', args);
      if (r.code !== 0) throw new Error(describeRun(args, r));
      return r.stdout;
    };
    expect(await run(['set', 'image', 'deployment/nginx-deployment', 'nginx=nginx:1.16.1'])).toBe('deployment.apps/nginx-deployment image updated\n');
    expect(await run(['scale', 'deployment/nginx-deployment', '--replicas=10'])).toBe('deployment.apps/nginx-deployment scaled\n');
    expect(await run(['autoscale', 'deployment/nginx-deployment', '--min=10', '--max=15', '--cpu-percent=80']))
      .toBe('horizontalpodautoscaler.autoscaling/nginx-deployment autoscaled\n');
    expect(await run(['rollout', 'pause', 'deployment/nginx-deployment'])).toBe('deployment.apps/nginx-deployment paused\n');
    expect(await run(['rollout', 'resume', 'deployment/nginx-deployment'])).toBe('deployment.apps/nginx-deployment resumed\n');
    const dep = await getYaml(['deployment', 'nginx-deployment', '-n', 'seeds-000']);
    expect(dep.spec).toMatchObject({ replicas: 10, template: { spec: { containers: [expect.objectContaining({ image: 'nginx:1.16.1' })] } } });
    expect(dep.spec.paused).toBeUndefined();

    // kubectl autoscale posts autoscaling/v1; `get hpa` reads the preferred v2, where a new HPA's status has no
    // currentReplicas (omitempty) but desiredReplicas and a null currentMetrics.
    const hpa = await getYaml(['hpa', 'nginx-deployment', '-n', 'seeds-000']);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({ minReplicas: 10, maxReplicas: 15, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx-deployment' },
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] });
    expect(hpa.status).toEqual({ currentMetrics: null, desiredReplicas: 0 });
    const v1 = await getYaml(['horizontalpodautoscalers.v1.autoscaling', 'nginx-deployment', '-n', 'seeds-000']);
    expect(v1.spec.targetCPUUtilizationPercentage).toBe(80);
    expect(v1.status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
  });

  it('ReplicaSet and DaemonSet: their defaults and the counters upstream always writes', async () => {
    const rs = await getYaml(['rs', 'frontend', '-n', 'seeds-000']);
    expect(rs.metadata).toMatchObject({ generation: 1, labels: { app: 'guestbook', tier: 'frontend' } });
    expect(rs.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect(rs.status).toEqual({ replicas: 0 });

    const ds = await getYaml(['ds', 'fluentd-elasticsearch', '-n', 'kube-system']);
    expect(ds.metadata.annotations['deprecated.daemonset.template.generation']).toBe('1');
    expect(ds.spec).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    expect(ds.spec.template.spec.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(ds.spec.template.spec.volumes).toEqual([{ name: 'varlog', hostPath: { path: '/var/log', type: '' } }]);
    // requests stay as written on a template (limits -> requests defaulting is for Pods only)
    expect(ds.spec.template.spec.containers[0].resources).toEqual({ limits: { memory: '200Mi' }, requests: { cpu: '100m', memory: '200Mi' } });
    expect(ds.status).toEqual({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
  });

  it('Job: generated selector and labels, completions/parallelism 1', async () => {
    const job = await getYaml(['job', 'pi', '-n', 'seeds-000']);
    const uid = job.metadata.uid;
    expect(job.spec).toMatchObject({ backoffLimit: 4, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false,
      manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed', selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } } });
    expect(job.spec.template.metadata.labels).toEqual({ 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': uid, 'job-name': 'pi' });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('Service: a cluster IP from 10.96.0.0/12; targetPort defaults to port when left out', async () => {
    const svc = await getYaml(['svc', 'my-service', '-n', 'seeds-000']);
    expect(svc.spec.clusterIP).toMatch(SERVICE_IP);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', clusterIPs: [svc.spec.clusterIP], ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 9376 }] });
    // The same Service without targetPort (what `kubectl create service` users often write)
    const doc = YAML.parse(fs.readFileSync(path.join(SEEDS, '000-0397.yaml'), 'utf8'));
    doc.metadata.name = 'my-service-default-target';
    delete doc.spec.ports[0].targetPort;
    const r = await kube('000', ['apply', '-f', '-'], JSON.stringify(doc));
    expect(r.stdout).toBe('service/my-service-default-target created\n');
    const svc2 = await getYaml(['svc', 'my-service-default-target', '-n', 'seeds-000']);
    expect(svc2.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }]);
    expect(svc2.spec.clusterIP).toMatch(SERVICE_IP);
    expect(svc2.spec.clusterIP).not.toBe(svc.spec.clusterIP);
  });

  it('PersistentVolume and Secret', async () => {
    const pv = await getYaml(['pv', 'nfs']);
    expect(pv.metadata.namespace).toBeUndefined();
    expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', storageClassName: 'manual',
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], nfs: { server: '10.244.1.4', path: '/' } });
    expect(pv.status.phase).toBe('Pending');
    expect(Date.parse(pv.status.lastPhaseTransitionTime)).not.toBeNaN();

    const secret = await getYaml(['secret', 'mysecret', '-n', 'seeds-003']);
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data.user, 'base64').toString()).toBe('admin');
    expect(Buffer.from(secret.data.pass, 'base64').toString()).toBe('1f2d1e2e67df');
  });
});

// The notes were written against Kubernetes 1.11, whose tutorials used these group versions; 1.32 serves none of
// them, and kubectl says so before sending anything.
describe('the notes\' manifests under the API versions of their time', () => {
  it.each([
    ['000-0244.yaml', 'extensions/v1beta1'], ['000-0244.yaml', 'apps/v1beta1'], ['000-0325.yaml', 'apps/v1beta2'],
    ['000-0212.yaml', 'extensions/v1beta1'],
  ])('%s as %s', async (file, version) => {
    const doc = YAML.parse(fs.readFileSync(path.join(SEEDS, file), 'utf8'));
    const r = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...doc, apiVersion: version }) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`no matches for kind "${doc.kind}" in version "${esc(version)}"\nensure CRDs are installed first`));
  });

  it('a CronJob as batch/v2alpha1 (the notes name CronJob without a manifest)', async () => {
    const cron = { apiVersion: 'batch/v2alpha1', kind: 'CronJob', metadata: { name: 'hello' },
      spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } } };
    const r = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(cron) });
    expect(r.stderr).toMatch(/no matches for kind "CronJob" in version "batch\/v2alpha1"\nensure CRDs are installed first/);
    const ok1 = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...cron, apiVersion: 'batch/v1' }) });
    expect(ok1.stdout).toBe('cronjob.batch/hello created\n');
  });
});
