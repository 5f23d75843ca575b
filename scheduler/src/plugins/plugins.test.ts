// Each default plugin on hand-built NodeInfos, the FitError text, sampling and the config resolution.
import type { Pod } from 'kubernetes-types/core/v1';
import { Cache } from '../cache';
import { parseConfig } from '../config';
import { Code, CycleState, fitErrorMessage, Status } from '../framework';
import { hollowNode, HollowNodeSpec } from '../hollow';
import { newPodInfo } from '../podinfo';
import { numFeasibleNodesToFind, Profile } from '../profile';
import { leastRequested, mostRequested } from './noderesourcesfit';
import { requirementMatches } from './nodeaffinity';
import { toleratesTaint } from './tainttoleration';

function setup(nodes: [string, HollowNodeSpec?][], pods: Pod[] = [], yaml = '') {
  const cache = new Cache();
  for (const [n, s] of nodes) cache.addNode(hollowNode(n, s));
  for (const p of pods) cache.addPod(p);
  const cfg = parseConfig(yaml);
  const profile = new Profile(cfg.profiles[0], { cache, namespaceLabels: () => ({}), ownerSelector: () => undefined }, cfg.percentageOfNodesToScore, () => 0.5);
  return { cache, profile, schedule: (p: Pod) => profile.schedule(newPodInfo(p), cache.nodeList()), scores: (p: Pod) => profile.scoreAll(newPodInfo(p), cache.nodeList()) };
}
let seq = 0;
const pod = (spec: Record<string, any> = {}, labels: Record<string, string> = {}, cpu = '100m'): Pod => {
  const name = `p${seq++}`;
  return { metadata: { name, namespace: 'default', uid: name, labels }, spec: { containers: [{ name: 'c', image: 'img', resources: { requests: { cpu } } }], ...spec } };
};
const on = (node: string, p: Pod): Pod => ({ ...p, spec: { ...p.spec!, nodeName: node } });
const failure = (r: ReturnType<ReturnType<typeof setup>['schedule']>) => { if (r.ok) throw new Error(`scheduled on ${r.node}`); return r.message; };

describe('FitError text', () => {
  it('histogram sorted as strings, then the PostFilter message', () => {
    const st = new Map<string, Status>([['a', Status.unresolvable('node(s) had untolerated taint {x: }')], ['b', Status.unschedulable('Insufficient cpu', 'Insufficient memory')], ['c', Status.unschedulable('Insufficient cpu')]]);
    expect(fitErrorMessage(3, st, undefined, 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'))
      .toBe('0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {x: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..');
    expect(fitErrorMessage(2, new Map(), 'persistentvolumeclaim "data" not found')).toBe('0/2 nodes are available: persistentvolumeclaim "data" not found.');
  });
});

describe('percentageOfNodesToScore', () => {
  it('all nodes below 100, adaptive 50 - n/125 (min 5 %), never fewer than 100', () => {
    expect(numFeasibleNodesToFind(0, 99)).toBe(99);
    expect(numFeasibleNodesToFind(0, 100)).toBe(100);
    expect(numFeasibleNodesToFind(0, 1000)).toBe(420);
    expect(numFeasibleNodesToFind(0, 5000)).toBe(500);
    expect(numFeasibleNodesToFind(0, 10000)).toBe(500);
    expect(numFeasibleNodesToFind(10, 500)).toBe(100);
    expect(numFeasibleNodesToFind(100, 500)).toBe(500);
  });
  it('filtering stops after enough feasible nodes and rotates the start', () => {
    const nodes: [string][] = Array.from({ length: 300 }, (_, i) => [`n${i}`]);
    const { schedule } = setup(nodes, [], 'percentageOfNodesToScore: 10');
    const r1 = schedule(pod()); const r2 = schedule(pod());
    expect(r1.ok && r1.evaluated).toBe(100);
    expect(r1.ok && r1.feasible).toBe(100);
    expect(r2.ok && r2.evaluated).toBe(100);
    const adaptive = setup(nodes).schedule(pod());
    expect(adaptive.ok && adaptive.evaluated).toBe(144); // 50 - 300/125 = 48 %
  });
});

describe('filters', () => {
  it('NodeUnschedulable', () => {
    const { schedule } = setup([['c', { unschedulable: true }]]);
    expect(failure(schedule(pod()))).toMatch(/^0\/1 nodes are available: 1 node\(s\) were unschedulable\./);
    expect(schedule(pod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] })).ok).toBe(true);
  });
  it('NodeName', () => {
    const { profile, cache } = setup([['a'], ['b']]);
    const st = profile.runFilters(new CycleState(), newPodInfo(pod({ nodeName: 'a' })), cache.nodeInfo('b')!);
    expect(st?.reasons).toEqual(["node(s) didn't match the requested node name"]);
    expect(profile.runFilters(new CycleState(), newPodInfo(pod({ nodeName: 'a' })), cache.nodeInfo('a')!)).toBeNull();
  });
  it('NodeAffinity operators', () => {
    const l = { a: '1', n: '10' };
    expect(requirementMatches({ key: 'a', operator: 'In', values: ['1', '2'] }, l)).toBe(true);
    expect(requirementMatches({ key: 'a', operator: 'NotIn', values: ['1'] }, l)).toBe(false);
    expect(requirementMatches({ key: 'zz', operator: 'NotIn', values: ['1'] }, l)).toBe(true);
    expect(requirementMatches({ key: 'a', operator: 'Exists' }, l)).toBe(true);
    expect(requirementMatches({ key: 'a', operator: 'DoesNotExist' }, l)).toBe(false);
    expect(requirementMatches({ key: 'n', operator: 'Gt', values: ['9'] }, l)).toBe(true);
    expect(requirementMatches({ key: 'n', operator: 'Lt', values: ['9'] }, l)).toBe(false);
    expect(requirementMatches({ key: 'n', operator: 'Gt', values: ['x'] }, l)).toBe(false);
    expect(requirementMatches({ key: 'a', operator: 'Bogus' }, l)).toBe(false);
    const { schedule } = setup([['a', { labels: { zone: 'z' } }], ['b']]);
    const r = schedule(pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [] }] } } } }));
    expect(failure(r)).toMatch(/2 node\(s\) didn't match Pod's node affinity\/selector/); // an empty term selects nothing
  });
  it('TaintToleration matching rules', () => {
    const t = { key: 'k', value: 'v', effect: 'NoSchedule' };
    expect(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v' }, t)).toBe(true);
    expect(toleratesTaint({ key: 'k', value: 'v' }, t)).toBe(true); // operator defaults to Equal
    expect(toleratesTaint({ key: 'k', operator: 'Equal', value: 'w' }, t)).toBe(false);
    expect(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, t)).toBe(false);
    expect(toleratesTaint({ operator: 'Exists' }, t)).toBe(true);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, t)).toBe(false);
  });
  it('NodeResourcesFit: unresolvable only when the request exceeds the whole node; extended resources; sidecars', () => {
    const { schedule, cache } = setup([['n', { cpu: '2', extended: { 'example.com/gpu': '1' } }]], [on('n', pod({}, {}, '1500m'))]);
    expect(failure(schedule(pod({}, {}, '1')))).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..');
    expect(failure(schedule(pod({}, {}, '3')))).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..');
    const gpu = (n: string) => pod({ containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': n } } }] });
    expect(schedule(gpu('1')).ok).toBe(true);
    expect(failure(schedule(gpu('2')))).toMatch(/1 Insufficient example.com\/gpu\./);
    const sidecar = newPodInfo(pod({ initContainers: [{ name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '200m' } } }, { name: 'i', resources: { requests: { cpu: '1' } } }] }));
    expect(sidecar.requests.milliCPU).toBe(1200); // max(100 + 200, 1000 + 200)
    void cache;
  });
  it('NodePorts: hostIP 0.0.0.0 clashes with a specific IP', () => {
    const port = (ip?: string) => pod({ containers: [{ name: 'c', ports: [{ containerPort: 1, hostPort: 9000, hostIP: ip }] }] });
    const { schedule } = setup([['n']], [on('n', port('10.0.0.1'))]);
    expect(schedule(port('10.0.0.2')).ok).toBe(true);
    expect(failure(schedule(port()))).toMatch(/1 node\(s\) didn't have free ports for the requested pod ports/);
  });
  it('PodTopologySpread: minDomains counts missing domains as 0', () => {
    const spread = (minDomains?: number) => pod({ topologySpreadConstraints: [{ maxSkew: 1, minDomains, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'a' } } }] }, { app: 'a' });
    const existing = [on('z1', pod({}, { app: 'a' }))];
    expect(setup([['z1', { labels: { zone: '1' } }]], existing).schedule(spread()).ok).toBe(true);
    expect(failure(setup([['z1', { labels: { zone: '1' } }]], existing).schedule(spread(2)))).toMatch(/1 node\(s\) didn't match pod topology spread constraints\./);
  });
  it('InterPodAffinity: namespaces and the zone topology', () => {
    const db = { metadata: { name: 'db', namespace: 'other', uid: 'db', labels: { app: 'db' } }, spec: { nodeName: 'a', containers: [{ name: 'c' }] } };
    const { schedule } = setup([['a', { labels: { zone: 'z1' } }], ['b', { labels: { zone: 'z1' } }], ['c', { labels: { zone: 'z2' } }]], [db]);
    const anti = (namespaces?: string[]) => pod({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', namespaces, labelSelector: { matchLabels: { app: 'db' } } }] } } });
    const r = schedule(anti(['other']));
    expect(r.ok && r.node).toBe('c');
    expect(schedule(anti()).ok).toBe(true); // own namespace (default) has no db pod: anywhere
  });
});

describe('scores', () => {
  it('LeastAllocated and MostAllocated formulas', () => {
    expect(leastRequested(1000, 4000)).toBe(75);
    expect(leastRequested(5000, 4000)).toBe(0);
    expect(mostRequested(1000, 4000)).toBe(25);
    expect(mostRequested(5000, 4000)).toBe(100);
  });
  it('weights: TaintToleration 3, NodeAffinity 2, LeastAllocated 1, Balanced 1, ImageLocality 1', () => {
    const { scores } = setup([['a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }], ['b']]);
    const s = scores(pod());
    expect(s.get('b')! - s.get('a')!).toBe(300); // TaintToleration: 100 vs 0, weight 3
    const pref = setup([['a'], ['b', { labels: { l: 'y' } }]]);
    const p = pref.scores(pod({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 7, preference: { matchExpressions: [{ key: 'l', operator: 'Exists' }] } }] } } }));
    expect(p.get('b')! - p.get('a')!).toBe(200);
  });
  it('BalancedAllocation prefers equal cpu and memory fractions', () => {
    const { scores } = setup([['cpu-heavy', { cpu: '1', memory: '16Gi' }], ['even', { cpu: '8', memory: '8Gi' }]]);
    const p = pod({ containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '1Gi' } } }] });
    const s = scores(p);
    expect(s.get('even')!).toBeGreaterThan(s.get('cpu-heavy')!);
  });
  it('ImageLocality scales by the share of nodes with the image and clamps at 23 MB', () => {
    const MB = 1024 * 1024;
    const { profile, cache } = setup([['big', { images: [{ names: ['img:1'], sizeBytes: 523 * MB }] }], ['small', { images: [{ names: ['img:1'], sizeBytes: 10 * MB }] }], ['none']]);
    const s = profile.scoreAll(newPodInfo(pod({ containers: [{ name: 'c', image: 'img:1' }] })), cache.nodeList());
    // big: 523 MB * 2/3 = 348.67 MB -> (348.67 - 23) / (1000 - 23) * 100 = 33; small: below 23 MB -> 0
    const base = s.get('none')!;
    expect(s.get('big')! - base).toBe(33);
    expect(s.get('small')! - base).toBe(0);
  });
  it('InterPodAffinity preferred and PodTopologySpread ScheduleAnyway', () => {
    const { scores } = setup([['a'], ['b']], [on('a', pod({}, { app: 'x' }))]);
    const term = { weight: 10, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } } };
    const near = scores(pod({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term] } } }));
    expect(near.get('a')! - near.get('b')!).toBeGreaterThanOrEqual(200 - 5);
    const spread = scores(pod({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'x' } } }] }, { app: 'x' }));
    expect(spread.get('b')!).toBeGreaterThan(spread.get('a')!);
  });
  it('ties are broken at random among the best nodes', () => {
    const cache = new Cache();
    for (const n of ['a', 'b', 'c']) cache.addNode(hollowNode(n));
    const picks = new Set<string>();
    for (const r of [0, 0.4, 0.9]) {
      const prof = new Profile(parseConfig('').profiles[0], { cache, namespaceLabels: () => ({}), ownerSelector: () => undefined }, 0, () => r);
      const res = prof.schedule(newPodInfo(pod()), cache.nodeList());
      if (res.ok) picks.add(res.node);
    }
    expect(picks.size).toBeGreaterThan(1);
  });
});

describe('DefaultPreemption', () => {
  it('picks lower-priority victims on a node where that helps, and nominates it', () => {
    const low = on('n', { ...pod({ priority: 0 }, {}, '1500m') });
    const { schedule } = setup([['n', { cpu: '2' }], ['t', { taints: [{ key: 'x', effect: 'NoSchedule' }] }]], [low]);
    const r = schedule(pod({ priority: 100 }, {}, '1'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.nominatedNodeName).toBe('n');
    expect(r.victims?.map(v => v.metadata?.name)).toEqual([low.metadata!.name]);
    expect(r.code).toBe(Code.Unschedulable);
    expect(failure(setup([['n', { cpu: '2' }]], [low]).schedule(pod({ priority: 100, preemptionPolicy: 'Never' }, {}, '1'))))
      .toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..');
  });
});

describe('config', () => {
  it('defaults, disabled and enabled plugins, weights', () => {
    const d = parseConfig('').profiles[0];
    expect(d.points.filter).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
    expect(d.points.score).toEqual(['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity', 'NodeResourcesBalancedAllocation', 'ImageLocality']);
    expect(d.weights).toMatchObject({ TaintToleration: 3, NodeAffinity: 2, NodeResourcesFit: 1, PodTopologySpread: 2, InterPodAffinity: 2, NodeResourcesBalancedAllocation: 1, ImageLocality: 1 });
    const c = parseConfig('profiles:\n- schedulerName: a\n  plugins:\n    multiPoint:\n      disabled: [{name: ImageLocality}]\n    score:\n      enabled: [{name: NodeAffinity, weight: 9}]\n  pluginConfig:\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: MostAllocated}}\n').profiles[0];
    expect(c.points.score).not.toContain('ImageLocality');
    expect(c.weights.NodeAffinity).toBe(9);
    expect(c.pluginArgs.NodeResourcesFit).toEqual({ scoringStrategy: { type: 'MostAllocated' } });
  });
  it('rejects bad documents with the field named', () => {
    expect(() => parseConfig('kind: Foo')).toThrow('scheduler config: kind: must be KubeSchedulerConfiguration, got "Foo"');
    expect(() => parseConfig('profiles: []')).toThrow(/profiles: must be a non-empty list/);
    expect(() => parseConfig('profiles:\n- {}\n- {}')).toThrow(/duplicate schedulerName default-scheduler/);
    expect(() => parseConfig('percentageOfNodesToScore: 120')).toThrow(/percentageOfNodesToScore: must be a number in 0..100/);
    expect(() => parseConfig('profiles:\n- plugins:\n    filter:\n      enabled: [{name: ImageLocality}]')).toThrow(/plugin ImageLocality does not extend filter/);
    expect(() => parseConfig('profiles:\n- plugins:\n    queueSort:\n      disabled: [{name: "*"}]')).toThrow(/exactly one queue sort plugin/);
    expect(() => parseConfig('profiles:\n- plugins:\n    wrong: {}')).toThrow(/unknown extension point "wrong"/);
    expect(() => parseConfig(': : :')).toThrow(/scheduler config: YAML/);
    expect(() => parseConfig('podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 2')).toThrow(/must not be less than podInitialBackoffSeconds/);
  });
});
