// The scheduler end to end with real kubelets: a 2-node lab (network namespaces, one dockerd each, see
// deploy/lab/netns-lab.sh), the apiserver on the lab's host address 10.200.0.1, a kubelet inside each node,
// the scheduler and controller-manager on the host. Pods are created directly (no workload controllers):
// they spread over both nodes and run with IPs from their node's pod CIDR, a nodeSelector pins a pod, pods
// reach each other across nodes, cordon and the control-plane taint keep pods away. At the end every pod
// is deleted, the kubelets remove their containers, and the lab leaves nothing behind.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Cluster, ComponentHandle, startComponent } from '../src/harness';
import { labCluster, Lab, LabNode, LabProcess, nodeDocker, startKubeletInNode, startLab } from '../src/lab';

jest.setTimeout(120_000);

let lab: Lab;
let c: Cluster;
let node1: LabNode;
let node2: LabNode;
const kubelets: LabProcess[] = [];
const components: ComponentHandle[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string | (() => string), fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > end) {
      const last8 = (text: string) => text.split('\n').slice(-8).join('\n');
      const logs = [...kubelets.map((k) => `--- ${k.name} (${k.alive ? 'running' : k.describeExit()})\n${last8(k.logs())}`),
        ...components.map((p) => `--- ${p.alive ? 'running' : 'exited'} component\n${last8(p.logs())}`),
        ...(c ? [`--- apiserver\n${last8(c.apiserver.logs())}`] : [])].join('\n');
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}${last ? ` (${(last as Error).message})` : ''}\n${logs}`);
    }
    await sleep(250);
  }
}

async function kc(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
const json = async (args: string[]) => JSON.parse(await kc([...args, '-o', 'json']));

// busybox as PID 1 ignores SIGTERM; the trap makes a pod stop at once instead of after its grace period.
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];
function podManifest(name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { suite: 'lab-scheduler' } },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'main', image: 'busybox:1.35', command: IDLE, resources: { requests: { cpu: '100m', memory: '32Mi' } }, ...container }],
      ...spec,
    },
  };
}
const createPods = (...pods: unknown[]) => kc(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }));

async function running(names: string[]): Promise<any[]> {
  let seen = '';
  return waitFor(() => `pods ${names.join(',')} Running; last seen: ${seen}`, async () => {
    const got = await json(['get', 'pods', ...names]);
    const items: any[] = got.kind === 'List' ? got.items : [got]; // kubectl prints one name as a bare object
    seen = items.map((p) => `${p.metadata.name} ${p.status?.phase}@${p.spec.nodeName ?? '-'}` +
      `${(p.status?.conditions ?? []).filter((x: any) => x.status === 'False').map((x: any) => ` ${x.type}: ${x.message ?? x.reason}`).join('')}`).join('; ');
    return items.length === names.length && items.every((p: any) => p.status?.phase === 'Running' && p.status?.podIP) && items;
  }, 45_000);
}
const NOT_HELPFUL = ' preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..'; // upstream's FitError adds its own '.'
const nodeOf = (pods: any[], name: string) => pods.find((p) => p.metadata.name === name)?.spec.nodeName as string;

beforeAll(async () => {
  const t0 = Date.now();
  lab = await startLab(2);
  [node1, node2] = lab.nodes;
  c = await labCluster();
  // host components reach the apiserver on the lab address as well (nothing listens beyond loopback + lab)
  components.push(await startComponent('controller-manager', [`--kubeconfig=${c.kubeconfig}`, '--port=0', '--leader-elect=false'],
    { waitFor: (l) => l.includes('running controllers') }));
  components.push(await startComponent('scheduler', [`--kubeconfig=${c.kubeconfig}`, '--port=0', '--leader-elect=false'],
    { waitFor: (l) => l.includes('serving health') }));
  kubelets.push(...await Promise.all(lab.nodes.map((n) => startKubeletInNode(n, c.kubeconfig))));
  // pods only once the default ServiceAccount exists: upstream's ServiceAccount admission rejects them before
  await waitFor('default ServiceAccount', async () => (await c.kubectl(['get', 'serviceaccount', 'default'])).code === 0);
  console.log(`lab-scheduler: lab, control plane and 2 kubelets up in ${Date.now() - t0} ms`);
}, 150_000); // startLab may wait up to 60 s for another run's lab

afterAll(async () => {
  // the harness and lab afterAll hooks stop anything still running; this keeps the order (kubelets before lab)
  await Promise.all(kubelets.map((k) => k.stop(5000)));
  for (const p of components) await p.stop();
  await c?.teardown();
  await lab?.down();
}, 60_000);

test('both lab nodes register and become Ready with their lab address and pod CIDR', async () => {
  const nodes = await waitFor('2 Ready nodes', async () => {
    const items = (await json(['get', 'nodes'])).items as any[];
    const ready = items.filter((n) => n.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True'));
    return ready.length === 2 && items;
  });
  for (const n of lab.nodes) {
    const obj = nodes.find((x: any) => x.metadata.name === n.name);
    expect(obj.status.addresses).toContainEqual({ type: 'InternalIP', address: n.ip });
    expect(obj.spec.podCIDR).toBe(n.podCIDR);
    expect(obj.metadata.labels['kubernetes.io/hostname']).toBe(n.name);
    expect(obj.status.daemonEndpoints.kubeletEndpoint.Port).toBe(10250);
  }
});

test('six pods with requests spread over both nodes and run with IPs from their node\'s pod CIDR', async () => {
  const names = Array.from({ length: 6 }, (_, i) => `spread-${i}`);
  await createPods(...names.map((n) => podManifest(n)));
  const pods = await running(names);
  const count: Record<string, number> = {};
  for (const p of pods) {
    const node = lab.nodes.find((n) => n.name === p.spec.nodeName)!;
    expect(node).toBeDefined();
    count[node.name] = (count[node.name] ?? 0) + 1;
    expect(p.status.podIP.startsWith(`10.244.${node.index}.`)).toBe(true);
    expect(p.status.hostIP).toBe(node.ip);
    expect(p.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
  }
  console.log(`lab-scheduler: spread ${JSON.stringify(count)}`);
  expect(count[node1.name]).toBeGreaterThanOrEqual(1);
  expect(count[node2.name]).toBeGreaterThanOrEqual(1);
  // the containers really run in that node's own dockerd, and only there
  for (const n of lab.nodes) {
    const r = await nodeDocker(n, ['ps', '--filter', 'label=io.kubernetes.pod.namespace=default', '--format', '{{.Label "io.kubernetes.pod.name"}}']);
    expect(r.code).toBe(0);
    const here = new Set(r.stdout.split('\n').filter(Boolean));
    expect([...here].sort()).toEqual(pods.filter((p) => p.spec.nodeName === n.name).map((p) => p.metadata.name).sort());
  }
});

test('a pod with nodeSelector kubernetes.io/hostname=<node2> lands on node2', async () => {
  await createPods(podManifest('pinned', { nodeSelector: { 'kubernetes.io/hostname': node2.name } }));
  const [p] = await running(['pinned']);
  expect(p.spec.nodeName).toBe(node2.name);
  expect(p.status.podIP.startsWith('10.244.2.')).toBe(true);
});

test('a pod whose nodeSelector matches no node stays Pending until node2 is labelled, then runs there', async () => {
  await createPods(podManifest('wants-ssd', { nodeSelector: { disk: 'ssd' } }));
  const cond = await waitFor('wants-ssd unschedulable', async () =>
    (await json(['get', 'pod', 'wants-ssd'])).status?.conditions?.find((x: any) => x.type === 'PodScheduled' && x.status === 'False'));
  // upstream FitError text: histogram sorted as strings, then the preemption diagnosis (all unresolvable)
  expect(cond.message).toBe("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." + NOT_HELPFUL);
  await kc(['label', 'node', node2.name, 'disk=ssd']);
  const [p] = await running(['wants-ssd']);
  expect(p.spec.nodeName).toBe(node2.name);
  // the kubelet's own node updates keep the label an admin added
  expect((await json(['get', 'node', node2.name])).metadata.labels.disk).toBe('ssd');
});

test('a pod on node1 fetches from an httpd pod on node2 across the lab (kubectl exec via node1\'s kubelet, logs via node2\'s)', async () => {
  const web = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" >/www/index.html && echo "serving /www on :8080" && ' +
    'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait'];
  await createPods(
    podManifest('web', { nodeSelector: { 'kubernetes.io/hostname': node2.name } }, { command: web, ports: [{ containerPort: 8080 }] }),
    podManifest('client', { nodeSelector: { 'kubernetes.io/hostname': node1.name } }));
  const pods = await running(['web', 'client']);
  expect(nodeOf(pods, 'web')).toBe(node2.name);
  expect(nodeOf(pods, 'client')).toBe(node1.name);
  const webIP = pods.find((p) => p.metadata.name === 'web').status.podIP;
  const body = await waitFor('wget from client to web', async () => {
    const r = await c.kubectl(['exec', 'client', '--', 'timeout', '5', 'wget', '-qO-', `http://${webIP}:8080/`]);
    return r.code === 0 && r.stdout;
  }, 20_000);
  expect(body.trim()).toBe('hello from web');
  // and the apiserver reaches node2's kubelet API on its lab address for logs
  expect((await kc(['logs', 'web'])).trim()).toBe('serving /www on :8080');
});

test('a hostNetwork pod runs in its node\'s namespace: pod IP = node IP, served on the lab address', async () => {
  const serve = ['sh', '-c', 'mkdir -p /w && echo "host network of node1" >/w/index.html && trap "exit 0" TERM; httpd -f -p 18080 -h /w & wait'];
  await createPods(podManifest('hostnet', { hostNetwork: true, nodeSelector: { 'kubernetes.io/hostname': node1.name } }, { command: serve }));
  const [p] = await running(['hostnet']);
  expect(p.status.podIP).toBe(node1.ip);
  const body = await waitFor('hostnet answers on 10.200.0.11:18080', async () =>
    fetch(`http://${node1.ip}:18080/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok && r.text()), 10_000);
  expect(body.trim()).toBe('host network of node1');
});

test('after kubectl cordon node1 new pods go only to node2', async () => {
  expect(await kc(['cordon', node1.name])).toContain('cordoned');
  let cordoned = true;
  try {
    await cordonedNode1();
    // uncordon: the pending pod is retried on the node update, not after a timeout
    expect(await kc(['uncordon', node1.name])).toContain('uncordoned');
    cordoned = false;
    const [pinned] = await running(['cordon-pinned']);
    expect(pinned.spec.nodeName).toBe(node1.name);
  } finally {
    if (cordoned) await kc(['uncordon', node1.name]); // later tests need node1 back
  }
});

async function cordonedNode1() {
  expect((await json(['get', 'node', node1.name])).spec.unschedulable).toBe(true);
  await sleep(300); // the scheduler's node informer must see the cordon before the pods arrive
  const names = ['cordon-0', 'cordon-1', 'cordon-2'];
  await createPods(...names.map((n) => podManifest(n)));
  const pods = await running(names);
  expect(pods.map((p) => p.spec.nodeName)).toEqual([node2.name, node2.name, node2.name]);
  // a pod that can only go to the cordoned node stays pending, with the upstream reason
  await createPods(podManifest('cordon-pinned', { nodeSelector: { 'kubernetes.io/hostname': node1.name } }));
  const cond = await waitFor('cordon-pinned unschedulable', async () =>
    (await json(['get', 'pod', 'cordon-pinned'])).status?.conditions?.find((x: any) => x.type === 'PodScheduled' && x.status === 'False'));
  expect(cond.reason).toBe('Unschedulable');
  expect(cond.message).toBe("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, " +
    '1 node(s) were unschedulable.' + NOT_HELPFUL);
}

test('a node tainted node-role.kubernetes.io/control-plane:NoSchedule gets only tolerating pods', async () => {
  await kc(['taint', 'nodes', node1.name, 'node-role.kubernetes.io/control-plane:NoSchedule']);
  await sleep(300);
  const plain = ['taint-0', 'taint-1', 'taint-2'];
  const toleration = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };
  await createPods(
    ...plain.map((n) => podManifest(n)),
    podManifest('tolerating', { nodeSelector: { 'kubernetes.io/hostname': node1.name }, tolerations: [toleration] }),
    podManifest('intolerant', { nodeSelector: { 'kubernetes.io/hostname': node1.name } }));
  const pods = await running([...plain, 'tolerating']);
  for (const n of plain) expect(nodeOf(pods, n)).toBe(node2.name);
  expect(nodeOf(pods, 'tolerating')).toBe(node1.name);
  const cond = await waitFor('intolerant unschedulable', async () =>
    (await json(['get', 'pod', 'intolerant'])).status?.conditions?.find((x: any) => x.type === 'PodScheduled' && x.status === 'False'));
  expect(cond.reason).toBe('Unschedulable');
  expect(cond.message).toBe("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, " +
    '1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.' + NOT_HELPFUL);
  expect((await json(['get', 'pod', 'intolerant'])).spec.nodeName).toBeUndefined();
});

test('deleting every pod empties both node dockerds; kubelets exit cleanly; the lab leaves nothing behind', async () => {
  await kc(['delete', 'pods', '--all', '--wait=false']);
  await waitFor('no pods left', async () => (await json(['get', 'pods'])).items.length === 0, 30_000);
  for (const n of lab.nodes) {
    await waitFor(`no containers in ${n.name}`, async () => {
      const r = await nodeDocker(n, ['ps', '-aq']);
      return r.code === 0 && r.stdout.trim() === '';
    }, 15_000);
  }
  await Promise.all(kubelets.map((k) => k.stop(10_000)));
  for (const k of kubelets) expect(k.describeExit()).toBe('exited with code 0');
  for (const p of components) await p.stop();
  await c.teardown();
  await lab.down();
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  expect(netns).not.toMatch(/mk8s-(lab|node)/);
  expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain('mk8s-lab0');
  expect(fs.readdirSync('/run').filter((f) => /^mk8s-node\d+$/.test(f))).toEqual([]);
  expect(execFileSync('ip', ['route', 'show'], { encoding: 'utf8' })).not.toContain('10.244.');
});
