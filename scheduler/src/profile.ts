// One profile's framework instance and the scheduling algorithm (upstream runtime/framework.go and
// schedule_one.go: schedulePod, findNodesThatFitPod, numFeasibleNodesToFind, prioritizeNodes, selectHost).
import type { Pod } from 'kubernetes-types/core/v1';
import type { ProfileConfig } from './config';
import { Code, CycleState, FilterResult, fitErrorMessage, Handle, NO_NODE_AVAILABLE, Plugin, PreFilterResult, Status } from './framework';
import type { NodeInfo } from './nodeinfo';
import type { PodInfo } from './podinfo';
import { registry } from './plugins';

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes to look for before scoring: all below 100 nodes, else an adaptive share, at least 100. */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage;
  if (p <= 0) {
    p = 50 - Math.trunc(numAllNodes / 125);
    if (p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc(numAllNodes * p / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export type ScheduleResult =
  | { ok: true; node: string; evaluated: number; feasible: number }
  | { ok: false; message: string; code: Code; rejectors: Set<string>; nominatedNodeName?: string; victims?: Pod[] };

export class Profile {
  readonly name: string;
  private readonly plugins = new Map<string, Plugin>();
  private readonly preEnqueuePlugins: Plugin[];
  private readonly preFilterPlugins: Plugin[];
  private readonly filterPlugins: Plugin[];
  private readonly postFilterPlugins: Plugin[];
  private readonly preScorePlugins: Plugin[];
  private readonly scorePlugins: { plugin: Plugin; weight: number }[];
  readonly queueSort: Plugin;
  private nextStartNodeIndex = 0;

  constructor(readonly config: ProfileConfig, handle: Omit<Handle, 'runFilters'>, private readonly globalPercentage: number,
              private readonly random: () => number = Math.random) {
    this.name = config.schedulerName;
    const h: Handle = { ...handle, runFilters: (s, p, n) => this.runFilters(s, p, n) };
    const get = (name: string) => {
      let p = this.plugins.get(name);
      if (!p) { p = registry[name](config.pluginArgs[name], h); this.plugins.set(name, p); }
      return p;
    };
    this.preEnqueuePlugins = config.points.preEnqueue.map(get);
    this.queueSort = get(config.points.queueSort[0]);
    this.preFilterPlugins = config.points.preFilter.map(get);
    this.filterPlugins = config.points.filter.map(get);
    this.postFilterPlugins = config.points.postFilter.map(get);
    this.preScorePlugins = config.points.preScore.map(get);
    this.scorePlugins = config.points.score.map(n => ({ plugin: get(n), weight: config.weights[n] ?? 1 }));
  }

  /** Plugins (by name) that asked to hear about this cluster event. */
  pluginsFor(event: string): Set<string> {
    const out = new Set<string>();
    for (const p of this.plugins.values()) if (p.events?.().includes(event as never)) out.add(p.name);
    return out;
  }

  preEnqueue(pod: Pod): Status | null {
    for (const p of this.preEnqueuePlugins) {
      const st = p.preEnqueue!(pod);
      if (st) { st.plugin = p.name; return st; }
    }
    return null;
  }

  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): FilterResult {
    for (const p of this.filterPlugins) {
      const st = p.filter!(state, pod, node);
      if (st) { st.plugin = p.name; return st; }
    }
    return null;
  }

  /** The scheduling cycle's algorithm; synchronous, reads the cache's live NodeInfos. */
  schedule(pod: PodInfo, nodes: NodeInfo[]): ScheduleResult {
    if (nodes.length === 0) return { ok: false, message: NO_NODE_AVAILABLE, code: Code.UnschedulableAndUnresolvable, rejectors: new Set() };
    const state = new CycleState();
    let candidates: NodeInfo[] = nodes;
    let narrowedBy: string[] = [];
    for (const p of this.preFilterPlugins) {
      const r = p.preFilter!(state, pod, nodes);
      if (!r) continue;
      const status = r instanceof Status ? r : (r as PreFilterResult).status;
      if (status && status.code !== Code.Skip) {
        if (status.code === Code.Error) throw new Error(`${p.name} PreFilter: ${status.message()}`);
        const statuses = new Map(nodes.map(n => [n.name, status]));
        return this.failed(state, pod, nodes.length, statuses, new Set([p.name]), status.message());
      }
      const names = r instanceof Status ? undefined : (r as PreFilterResult).nodeNames;
      if (names) { candidates = candidates.filter(n => names.has(n.name)); narrowedBy.push(p.name); }
    }
    const statuses = new Map<string, Status>();
    const rejectors = new Set<string>(narrowedBy);
    const feasible: NodeInfo[] = [];
    const total = candidates.length;
    const want = candidates === nodes ? numFeasibleNodesToFind(this.config.percentageOfNodesToScore ?? this.globalPercentage, total) : total;
    const start = candidates === nodes ? this.nextStartNodeIndex % Math.max(1, total) : 0;
    let processed = 0;
    for (; processed < total && feasible.length < want; processed++) {
      const node = candidates[(start + processed) % total];
      const st = this.runFilters(state, pod, node);
      if (!st) { feasible.push(node); continue; }
      if (st.code === Code.Error) throw new Error(`${st.plugin} Filter on node ${node.name}: ${st.message()}`);
      statuses.set(node.name, st);
      rejectors.add(st.plugin);
    }
    if (candidates === nodes) this.nextStartNodeIndex = (start + processed) % Math.max(1, total);
    if (feasible.length === 0) {
      const absent = narrowedBy.length ? Status.unresolvable(`node(s) didn't satisfy plugin(s) [${narrowedBy.join(' ')}]`) : undefined;
      if (absent) for (const n of nodes) if (!statuses.has(n.name)) statuses.set(n.name, absent);
      return this.failed(state, pod, nodes.length, statuses, rejectors);
    }
    if (feasible.length === 1) return { ok: true, node: feasible[0].name, evaluated: processed, feasible: 1 };
    return { ok: true, node: this.selectHost(state, pod, feasible), evaluated: processed, feasible: feasible.length };
  }

  private failed(state: CycleState, pod: PodInfo, numAll: number, statuses: Map<string, Status>, rejectors: Set<string>, preFilterMsg?: string): ScheduleResult {
    let postMsg: string | undefined;
    let nominatedNodeName: string | undefined;
    let victims: Pod[] | undefined;
    for (const p of this.postFilterPlugins) {
      const r = p.postFilter!(state, pod, statuses);
      if (r.status.code === Code.Success) { nominatedNodeName = r.nominatedNodeName; victims = r.victims; postMsg = undefined; break; }
      if (r.status.message()) postMsg = r.status.message();
    }
    let code = Code.UnschedulableAndUnresolvable;
    for (const st of statuses.values()) if (st.code === Code.Unschedulable) { code = Code.Unschedulable; break; }
    return { ok: false, message: fitErrorMessage(numAll, statuses, preFilterMsg, postMsg), code, rejectors, nominatedNodeName, victims };
  }

  /** Score, normalise, weigh; the highest total wins, ties broken uniformly at random (reservoir sampling). */
  private selectHost(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): string {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const p of this.preScorePlugins) {
      const st = p.preScore!(state, pod, nodes);
      if (st && st.code === Code.Skip) state.write(`skip:${p.name}`, true);
      else if (st && st.code === Code.Error) throw new Error(`${p.name} PreScore: ${st.message()}`);
    }
    const scores = new Array<number>(nodes.length);
    for (const { plugin, weight } of this.scorePlugins) {
      if (state.read(`skip:${plugin.name}`)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score!(state, pod, nodes[i]);
      plugin.normalizeScore?.(state, pod, scores, nodes);
      for (let i = 0; i < nodes.length; i++) totals[i] += scores[i] * weight;
    }
    let best = 0; let ties = 0; let max = -Infinity;
    for (let i = 0; i < nodes.length; i++) {
      if (totals[i] > max) { max = totals[i]; best = i; ties = 1; }
      else if (totals[i] === max) { ties++; if (this.random() * ties < 1) best = i; }
    }
    return nodes[best].name;
  }

  /** Scores for every node (for tests and debugging): total per node after weights. */
  scoreAll(pod: PodInfo, nodes: NodeInfo[]): Map<string, number> {
    const state = new CycleState();
    for (const p of this.preFilterPlugins) p.preFilter!(state, pod, nodes);
    const out = new Map<string, number>();
    for (const p of this.preScorePlugins) { const st = p.preScore!(state, pod, nodes); if (st?.code === Code.Skip) state.write(`skip:${p.name}`, true); }
    const scores = new Array<number>(nodes.length);
    for (const n of nodes) out.set(n.name, 0);
    for (const { plugin, weight } of this.scorePlugins) {
      if (state.read(`skip:${plugin.name}`)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score!(state, pod, nodes[i]);
      plugin.normalizeScore?.(state, pod, scores, nodes);
      nodes.forEach((n, i) => out.set(n.name, out.get(n.name)! + scores[i] * weight));
    }
    return out;
  }
}
