// The scheduling framework (upstream framework/interface.go, runtime/framework.go): plugins at extension
// points, statuses with codes, per-pod cycle state, and the FitError text that becomes FailedScheduling.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Cache } from './cache';
import type { NodeInfo } from './nodeinfo';
import type { PodInfo } from './podinfo';

export enum Code { Success = 0, Error = 1, Unschedulable = 2, UnschedulableAndUnresolvable = 3, Skip = 4 }

export class Status {
  plugin = '';
  constructor(readonly code: Code, readonly reasons: string[] = []) {}
  static unschedulable(...reasons: string[]) { return new Status(Code.Unschedulable, reasons); }
  static unresolvable(...reasons: string[]) { return new Status(Code.UnschedulableAndUnresolvable, reasons); }
  static error(msg: string) { return new Status(Code.Error, [msg]); }
  static skip() { return new Status(Code.Skip); }
  message(): string { return this.reasons.join(', '); }
  isRejection(): boolean { return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable; }
}

/** A Filter/PreFilter result: null means success (no allocation on the hot path). */
export type FilterResult = Status | null;

export const MAX_NODE_SCORE = 100;

/** Per-pod scratch space plugins fill in PreFilter/PreScore and read per node. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  write(key: string, v: unknown) { this.data.set(key, v); }
  read<T>(key: string): T | undefined { return this.data.get(key) as T | undefined; }
}

/** What a plugin can reach besides its arguments. */
export interface Handle {
  cache: Cache;
  /** Labels of a namespace (for namespaceSelector in affinity terms). */
  namespaceLabels(ns: string): Record<string, string> | undefined;
  /** A selector for the pod's Services/ReplicaSets (system default topology spreading), if any. */
  ownerSelector(pod: Pod): import('@mk8s/apimachinery').LabelSelector | undefined;
  /** Runs the profile's filters for a pod on one NodeInfo (preemption dry runs on a modified copy). */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): FilterResult;
}

/** Cluster changes that can make a rejected pod schedulable (upstream framework.ClusterEvent, simplified). */
export type ClusterEvent =
  | 'NodeAdd' | 'NodeAllocatable' | 'NodeLabel' | 'NodeTaint' | 'NodeSchedulable' | 'NodeCondition' | 'NodeImages'
  | 'AssignedPodAdd' | 'AssignedPodUpdate' | 'AssignedPodDelete' | 'PodUpdate';

export interface PreFilterResult { status: FilterResult; /** Restricts filtering to these nodes when set. */ nodeNames?: Set<string> }

export interface Plugin {
  readonly name: string;
  /** Events after which pods this plugin rejected are worth retrying. */
  events?(): ClusterEvent[];
  preFilter?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): FilterResult | PreFilterResult;
  filter?(state: CycleState, pod: PodInfo, node: NodeInfo): FilterResult;
  postFilter?(state: CycleState, pod: PodInfo, statuses: Map<string, Status>): { status: Status; nominatedNodeName?: string; victims?: Pod[] };
  preScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): FilterResult;
  score?(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales this plugin's raw scores (same order as nodes) in place to 0..MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: number[], nodes: NodeInfo[]): void;
  /** PreEnqueue: a non-null status keeps the pod out of activeQ (SchedulingGates). */
  preEnqueue?(pod: Pod): FilterResult;
  /** QueueSort: negative when a should be popped before b. */
  less?(a: { priority: number; timestamp: number }, b: { priority: number; timestamp: number }): boolean;
}

export interface PluginFactory { (args: Record<string, unknown> | undefined, handle: Handle): Plugin }

/** Upstream `nodes are available` text, with `0/<n>` and the given reasons. */
export const NO_NODE_AVAILABLE = 'no nodes available to schedule pods';

/**
 * FitError.Error(): `0/N nodes are available: <histogram>.` (or the PreFilter message), then the PostFilter
 * message after a space. The histogram counts every reason of every rejected node, entries sorted as strings.
 */
export function fitErrorMessage(numAllNodes: number, statuses: Map<string, Status>, preFilterMsg?: string, postFilterMsg?: string,
                                absentStatus?: Status): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const st of statuses.values()) for (const r of st.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    if (absentStatus && statuses.size < numAllNodes) {
      for (const r of absentStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + numAllNodes - statuses.size);
    }
    const entries = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    if (entries.length) msg += ` ${entries.join(', ')}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}.`;
  return msg;
}
