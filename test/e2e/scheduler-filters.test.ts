// The scheduler process against a real apiserver + etcd, with hollow nodes (Node objects, no kubelet): every
// filter and score plugin, the FailedScheduling text and condition, cordon/uncordon, the control-plane taint, a
// nodeSelector pod pending until a node is labelled.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { clientFromKubeconfig, KubeClient, resources } from '@mk8s/apimachinery';
import { hollowNode, HollowNodeSpec } from '@mk8s/scheduler';
import { Cluster, cluster, REPO_ROOT, sessionDir } from '../src';

jest.setTimeout(60_000);

let c: Cluster;
let kube: KubeClient;
let sched: { child: ChildProcess; port: number; log: string };

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nscheduler log tail:\n${fs.readFileSync(sched.log, 'utf8').split('\n').slice(-15).join('\n')}`);
    await sleep(100);
  }
}

async function startScheduler(args: string[] = []) {
  const log = path.join(sessionDir(), `scheduler-${Date.now()}.log`);
  const fd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scheduler/dist/main.js'), `--kubeconfig=${c.kubeconfig}`, '--port=0',
    '--leader-elect-retry-period=200ms', '--log-format=json', ...args], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const port = await new Promise<number>((resolve, reject) => {
    const end = Date.now() + 15_000;
    const t = setInterval(() => {
      const m = /"port":(\d+)/.exec(fs.readFileSync(log, 'utf8'));
      if (m) { clearInterval(t); resolve(Number(m[1])); }
      else if (Date.now() > end || child.exitCode !== null) { clearInterval(t); reject(new Error(`scheduler did not start: ${fs.readFileSync(log, 'utf8')}`)); }
    }, 50);
  });
  return { child, port, log };
}

beforeAll(async () => {
  c = await cluster();
  kube = clientFromKubeconfig(c.kubeconfig, 'e2e-scheduler');
  sched = await startScheduler();
});
afterAll(async () => {
  if (sched?.child.pid && sched.child.exitCode === null && sched.child.signalCode === null) process.kill(sched.child.pid, 'SIGKILL');
  kube?.close();
});

async function reset() {
  await kube.deleteCollection(resources.pods, 'default').catch(() => undefined);
  for (const p of (await kube.list(resources.pods, 'default')).items) await kube.delete(resources.pods, 'default', p.metadata.name, { gracePeriodSeconds: 0 }).catch(() => undefined);
  for (const n of (await kube.list(resources.nodes)).items) await kube.delete(resources.nodes, undefined, n.metadata.name);
  await waitFor('empty cluster', async () => (await kube.list(resources.pods, 'default')).items.length === 0);
  await sleep(200); // let the scheduler's informers see the deletes
}
const node = (name: string, s: HollowNodeSpec = {}) => kube.create(resources.nodes, undefined, hollowNode(name, s));
function pod(name: string, spec: Record<string, any> = {}, labels: Record<string, string> = {}, cpu = '100m') {
  const { containers, ...rest } = spec;
  return kube.create(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { terminationGracePeriodSeconds: 0, containers: containers ?? [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu, memory: '64Mi' } } }], ...rest },
  });
}
const boundNode = (name: string) => waitFor(`${name} bound`, async () => (await kube.get(resources.pods, 'default', name)).spec?.nodeName as string | undefined);
async function pendingMessage(name: string): Promise<string> {
  const cond = await waitFor(`${name} PodScheduled=False`, async () => {
    const p = await kube.get(resources.pods, 'default', name);
    return (p.status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled' && x.status === 'False');
  });
  expect(cond.reason).toBe('Unschedulable');
  return cond.message;
}
const metrics = async () => (await fetch(`http://127.0.0.1:${sched.port}/metrics`)).text();
const metric = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 0);

describe('failure text, condition and event', () => {
  beforeAll(reset);
  it('control-plane taint and too little cpu: upstream message, FailedScheduling event, only tolerating pods on the control plane', async () => {
    await node('cp', { cpu: '4', labels: { 'node-role.kubernetes.io/control-plane': '' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
    await node('w1', { cpu: '1' });
    await node('w2', { cpu: '1' });
    await pod('big', {}, {}, '2');
    const msg = await pendingMessage('big');
    expect(msg).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..');
    const ev = await waitFor('FailedScheduling event', async () => (await kube.list(resources.events, 'default', { fieldSelector: 'involvedObject.name=big' }))
      .items.find((e: any) => e.reason === 'FailedScheduling'));
    expect(ev).toMatchObject({ type: 'Warning', message: msg, source: { component: 'default-scheduler' } });
    const k = await c.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=big', '-o', 'jsonpath={.items[*].reason}']);
    expect(k.stdout).toContain('FailedScheduling');

    await pod('tolerating', { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }, {}, '2');
    expect(await boundNode('tolerating')).toBe('cp');
    for (let i = 0; i < 6; i++) await pod(`small-${i}`, {}, {}, '100m');
    for (let i = 0; i < 6; i++) expect(['w1', 'w2']).toContain(await boundNode(`small-${i}`));
    const scheduled = await waitFor('Scheduled event', async () => (await kube.list(resources.events, 'default', { fieldSelector: 'involvedObject.name=tolerating' }))
      .items.find((e: any) => e.reason === 'Scheduled'));
    expect(scheduled.message).toBe('Successfully assigned default/tolerating to cp');
    const bound = await kube.get(resources.pods, 'default', 'tolerating');
    expect(bound.status.conditions.find((x: any) => x.type === 'PodScheduled').status).toBe('True');
  });
});

describe('retry on cluster events', () => {
  beforeEach(reset);
  it('a nodeSelector pod waits (without a busy loop) until a node is labelled, then binds there', async () => {
    await node('n1'); await node('n2');
    await pod('wants-ssd', { nodeSelector: { disk: 'ssd' } });
    expect(await pendingMessage('wants-ssd')).toBe("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..");
    const before = metric(await metrics(), /scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} (\d+)/);
    await sleep(2500);
    const after = metric(await metrics(), /scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} (\d+)/);
    expect(after - before).toBe(0); // parked, not retried while nothing changes
    expect(await metrics()).toMatch(/scheduler_pending_pods\{queue="unschedulable"\} 1/);
    const r = await c.kubectl(['label', 'node', 'n2', 'disk=ssd']);
    expect(r.code).toBe(0);
    expect(await boundNode('wants-ssd')).toBe('n2');
  });

  it('cordon keeps pods off a node; uncordon lets the pending pod in', async () => {
    await node('only');
    expect((await c.kubectl(['cordon', 'only'])).code).toBe(0);
    await pod('p');
    expect(await pendingMessage('p')).toBe('0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..');
    await pod('tolerates-cordon', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(await boundNode('tolerates-cordon')).toBe('only');
    expect((await c.kubectl(['uncordon', 'only'])).code).toBe(0);
    expect(await boundNode('p')).toBe('only');
  });

  it('no nodes at all, then a node is added', async () => {
    await pod('early');
    expect(await pendingMessage('early')).toBe('no nodes available to schedule pods');
    await node('late');
    expect(await boundNode('early')).toBe('late');
  });

  it('a freed node (pod deleted) takes the pending pod; too many pods and insufficient memory', async () => {
    await node('tiny', { cpu: '1', memory: '1Gi', pods: '2' });
    await pod('a'); await pod('b');
    await boundNode('a'); await boundNode('b');
    await pod('third');
    expect(await pendingMessage('third')).toBe('0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..');
    await pod('mem', { containers: [{ name: 'c', image: 'x', resources: { requests: { memory: '2Gi' } } }] });
    expect(await pendingMessage('mem')).toMatch(/^0\/1 nodes are available: 1 Insufficient memory, 1 Too many pods\. /);
    await kube.delete(resources.pods, 'default', 'a', { gracePeriodSeconds: 0 });
    expect(await boundNode('third')).toBe('tiny');
  });
});

describe('filters', () => {
  beforeEach(reset);
  it('NodeAffinity: In, NotIn, Exists, DoesNotExist, Gt, Lt, matchFields metadata.name', async () => {
    await node('a', { labels: { zone: 'z1', gen: '3' } });
    await node('b', { labels: { zone: 'z2', gen: '5' } });
    await node('c');
    const req = (...exprs: any[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: exprs } } } });
    await pod('in', req({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }));
    await pod('notin', req({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1', 'z2'] }] }));
    await pod('exists-gt', req({ matchExpressions: [{ key: 'zone', operator: 'Exists' }, { key: 'gen', operator: 'Gt', values: ['4'] }] }));
    await pod('dne', req({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }));
    await pod('lt', req({ matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['4'] }] }));
    await pod('fields', req({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }));
    await pod('or-terms', req({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['nope'] }] }, { matchExpressions: [{ key: 'gen', operator: 'In', values: ['3'] }] }));
    expect(await boundNode('in')).toBe('b');
    expect(await boundNode('notin')).toBe('c');
    expect(await boundNode('exists-gt')).toBe('b');
    expect(await boundNode('dne')).toBe('c');
    expect(await boundNode('lt')).toBe('a');
    expect(await boundNode('fields')).toBe('c');
    expect(await boundNode('or-terms')).toBe('a');
    await pod('fields-missing', req({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['zz'] }] }));
    expect(await pendingMessage('fields-missing')).toMatch(/^0\/3 nodes are available: 3 node\(s\) didn't satisfy plugin\(s\) \[NodeAffinity\]\./);
  });

  it('TaintToleration: NoExecute and NoSchedule, Equal and Exists, empty key with Exists', async () => {
    await node('gpu', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] });
    await node('dying', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
    await pod('plain');
    expect(await pendingMessage('plain')).toBe('0/2 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 1 node(s) had untolerated taint {maintenance: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..');
    await pod('equal', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] });
    expect(await boundNode('equal')).toBe('gpu');
    await pod('wrong-value', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'false' }] });
    await pendingMessage('wrong-value');
    await pod('exists-noexec', { tolerations: [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }] });
    expect(await boundNode('exists-noexec')).toBe('dying');
    await pod('everything', { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'kubernetes.io/hostname': 'dying' } });
    expect(await boundNode('everything')).toBe('dying');
  });

  it('NodeResourcesFit counts init containers as a max and sums app containers', async () => {
    await node('n', { cpu: '2' });
    const c = (cpu: string) => ({ name: `c${cpu}`, image: 'x', resources: { requests: { cpu } } });
    await pod('init-big', { initContainers: [c('1500m')], containers: [c('500m')] }); // max(1500, 500) = 1500m
    expect(await boundNode('init-big')).toBe('n');
    await pod('sum', { containers: [c('300m'), { ...c('300m'), name: 'd' }] }); // 600m > 500m free
    expect(await pendingMessage('sum')).toMatch(/^0\/1 nodes are available: 1 Insufficient cpu\. preemption: 0\/1 nodes are available: 1 No preemption victims found for incoming pod\.\.$/);
    await pod('fits', { containers: [c('500m')] });
    expect(await boundNode('fits')).toBe('n');
  });

  it('NodePorts: a hostPort in use sends the second pod elsewhere, and pending when none is free', async () => {
    await node('p1'); await node('p2');
    const withPort = { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    await pod('port-a', withPort); const a = await boundNode('port-a');
    await pod('port-b', withPort); const b = await boundNode('port-b');
    expect(new Set([a, b]).size).toBe(2);
    await pod('port-c', withPort);
    expect(await pendingMessage('port-c')).toBe("0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..");
    await pod('udp', { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] }] });
    await boundNode('udp');
  });

  it('PodTopologySpread DoNotSchedule: maxSkew 1 over zones, missing label', async () => {
    await node('z1a', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
    await node('z2a', { labels: { 'topology.kubernetes.io/zone': 'z2' } });
    await node('nozone');
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] };
    const zones: string[] = [];
    for (let i = 0; i < 4; i++) { await pod(`web-${i}`, spread, { app: 'web' }); zones.push(await boundNode(`web-${i}`)); }
    expect(zones.filter(z => z === 'z1a').length).toBe(2);
    expect(zones.filter(z => z === 'z2a').length).toBe(2);
    // eligible domains are those the pod's node affinity allows: only z2 here, so 2 + 1 - 2 = 1 fits
    await pod('web-skew', { ...spread, nodeSelector: { 'topology.kubernetes.io/zone': 'z2' } }, { app: 'web' });
    expect(await boundNode('web-skew')).toBe('z2a');
    // z1 cordoned: z2 would reach 3 + 1 - 2 = 2 > maxSkew, and nozone lacks the key
    expect((await c.kubectl(['cordon', 'z1a'])).code).toBe(0);
    await pod('web-more', spread, { app: 'web' });
    expect(await pendingMessage('web-more')).toBe("0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, " +
      "1 node(s) didn't match pod topology spread constraints (missing required label), 1 node(s) were unschedulable. " +
      'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..');
    expect((await c.kubectl(['uncordon', 'z1a'])).code).toBe(0);
    expect(await boundNode('web-more')).toBe('z1a');
  });

  it('InterPodAffinity: required anti-affinity on hostname, required affinity to a zone, existing pods anti-affinity', async () => {
    await node('h1', { labels: { zone: 'a' } }); await node('h2', { labels: { zone: 'b' } });
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } }] } } };
    await pod('db-0', anti, { app: 'db' }); await pod('db-1', anti, { app: 'db' });
    const hosts = [await boundNode('db-0'), await boundNode('db-1')];
    expect(new Set(hosts).size).toBe(2);
    await pod('db-2', anti, { app: 'db' });
    expect(await pendingMessage('db-2')).toMatch(/^0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\. preemption: /);
    // a pod db pods refuse (they select app=db): existing pods' anti-affinity
    await pod('intruder', {}, { app: 'db' });
    expect(await pendingMessage('intruder')).toMatch(/^0\/2 nodes are available: 2 node\(s\) didn't satisfy existing pods anti-affinity rules\./);
    await kube.delete(resources.pods, 'default', 'db-2', { gracePeriodSeconds: 0 });
    await kube.delete(resources.pods, 'default', 'intruder', { gracePeriodSeconds: 0 });
    await pod('cache', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'db' } } }] } } }, { app: 'cache' });
    expect(['h1', 'h2']).toContain(await boundNode('cache'));
    await pod('follower', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'nothing-like-this' } } }] } } });
    expect(await pendingMessage('follower')).toMatch(/2 node\(s\) didn't match pod affinity rules/);
    // first pod of a self-affine group may go anywhere
    await pod('self', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { grp: 'g' } } }] } } }, { grp: 'g' });
    await boundNode('self');
  });
});

describe('scores', () => {
  beforeEach(reset);
  const twoNodes = async (a: HollowNodeSpec = {}, b: HollowNodeSpec = {}) => { await node('s1', a); await node('s2', b); };

  it('LeastAllocated + BalancedAllocation: the emptier node wins', async () => {
    await twoNodes({ cpu: '2', memory: '4Gi' }, { cpu: '8', memory: '16Gi' });
    await pod('r', {}, {}, '500m');
    expect(await boundNode('r')).toBe('s2');
  });

  it('preferred NodeAffinity', async () => {
    await twoNodes({}, { labels: { fast: 'yes' } });
    await pod('pref', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'fast', operator: 'In', values: ['yes'] }] } }] } } });
    expect(await boundNode('pref')).toBe('s2');
  });

  it('TaintToleration PreferNoSchedule', async () => {
    await twoNodes({ taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }, {});
    for (let i = 0; i < 3; i++) { await pod(`avoid-${i}`); expect(await boundNode(`avoid-${i}`)).toBe('s2'); }
  });

  it('ImageLocality', async () => {
    await twoNodes({ images: [{ names: ['docker.io/library/bigimage:1'], sizeBytes: 900 * 1024 * 1024 }] }, {});
    await pod('img', { containers: [{ name: 'c', image: 'docker.io/library/bigimage:1' }] });
    expect(await boundNode('img')).toBe('s1');
  });

  it('preferred InterPodAffinity (affinity and anti-affinity)', async () => {
    await twoNodes();
    await pod('anchor', { nodeSelector: { 'kubernetes.io/hostname': 's1' } }, { app: 'anchor' });
    await boundNode('anchor');
    const term = { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'anchor' } } } };
    await pod('near', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term] } } });
    await pod('far', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term] } } });
    expect(await boundNode('near')).toBe('s1');
    expect(await boundNode('far')).toBe('s2');
  });

  it('PodTopologySpread ScheduleAnyway spreads over hostnames', async () => {
    await twoNodes();
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 's' } } }] };
    const hosts: string[] = [];
    for (let i = 0; i < 6; i++) { await pod(`s-${i}`, spread, { app: 's' }); hosts.push(await boundNode(`s-${i}`)); }
    expect(hosts.filter(h => h === 's1').length).toBe(3);
  });
});

describe('metrics and health', () => {
  it('serves /healthz, /readyz and the scheduler metrics', async () => {
    expect(await (await fetch(`http://127.0.0.1:${sched.port}/healthz`)).text()).toBe('ok');
    expect((await fetch(`http://127.0.0.1:${sched.port}/readyz`)).status).toBe(200);
    const m = await metrics();
    expect(metric(m, /scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} (\d+)/)).toBeGreaterThan(10);
    expect(metric(m, /scheduler_pod_scheduling_sli_duration_seconds_count\{attempts="1"\} (\d+)/)).toBeGreaterThan(5);
    expect(m).toMatch(/scheduler_pending_pods\{queue="active"\} \d+/);
    expect(m).toMatch(/scheduler_pending_pods\{queue="backoff"\} \d+/);
  });
});
