// Everything the scheduler needs to know about a pod, computed once when the pod is first seen (upstream
// framework.PodInfo + util/pod_resources.go): resource requests, host ports, tolerations and compiled affinity
// terms. Filters and scores then only compare numbers and run pre-parsed selectors.
import type { Pod, Container, PodAffinityTerm } from 'kubernetes-types/core/v1';
import type { LabelSelector as LabelSelectorSpec } from 'kubernetes-types/meta/v1';
import { LabelSelector, nothingSelector, parseQuantity, selectorFromLabelSelector } from '@mk8s/apimachinery';

export type { Pod, Node } from 'kubernetes-types/core/v1';

/** Defaults for containers that request nothing, used only for scoring (DefaultMilliCPURequest, DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Amounts in the units the filters compare: milli-CPU, bytes, and plain values for everything else. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources and hugepages by name. */
  scalar: Map<string, number>;
}

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() });

const quantityCache = new Map<string, { value: number; milli: number }>();
/** Parses a quantity (memoised: the same few strings repeat across thousands of pods). Throws on bad text. */
export function quantity(s: string | number): { value: number; milli: number } {
  const key = String(s);
  let q = quantityCache.get(key);
  if (!q) {
    let parsed;
    try { parsed = parseQuantity(key); } catch (e) { throw new Error(`quantity ${JSON.stringify(key)}: ${(e as Error).message}`); }
    q = { value: Math.ceil(parsed.asApproximateFloat64()), milli: parsed.milliValue() };
    if (quantityCache.size > 10_000) quantityCache.clear();
    quantityCache.set(key, q);
  }
  return q;
}

/** A resource list (requests, allocatable) in scheduler units. Pod count is left out: it is not a request. */
export function toResources(list: Record<string, string | number> | undefined, into: Resources = emptyResources()): Resources {
  if (!list) return into;
  for (const [name, v] of Object.entries(list)) {
    if (name === 'pods') continue;
    addOne(into, name, v);
  }
  return into;
}

function addOne(r: Resources, name: string, v: string | number) {
  const q = quantity(v);
  if (name === 'cpu') r.milliCPU += q.milli;
  else if (name === 'memory') r.memory += q.value;
  else if (name === 'ephemeral-storage') r.ephemeralStorage += q.value;
  else r.scalar.set(name, (r.scalar.get(name) ?? 0) + q.value);
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + sign * v);
}

function maxResources(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

export const cloneResources = (r: Resources): Resources => ({ ...r, scalar: new Map(r.scalar) });

const isRestartable = (c: Container) => (c as { restartPolicy?: string }).restartPolicy === 'Always';

/**
 * The pod's effective request: max(sum of app containers + sidecars, each init container plus the sidecars started
 * before it) + overhead. With `nonZero`, containers that leave cpu/memory unset count the scoring defaults.
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const one = (c: Container): Resources => {
    const r = toResources(c.resources?.requests as Record<string, string> | undefined);
    if (nonZero) {
      if (c.resources?.requests?.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
      if (c.resources?.requests?.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
    }
    return r;
  };
  const sum = emptyResources();
  for (const c of pod.spec?.containers ?? []) addResources(sum, one(c));
  const sidecars = emptyResources();
  const initMax = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    const r = one(c);
    if (isRestartable(c)) {
      addResources(sidecars, r);
      maxResources(initMax, cloneResources(sidecars));
    } else {
      const withSidecars = cloneResources(r);
      addResources(withSidecars, sidecars);
      maxResources(initMax, withSidecars);
    }
  }
  addResources(sum, sidecars);
  maxResources(sum, initMax);
  toResources(pod.spec?.overhead as Record<string, string> | undefined, sum);
  return sum;
}

export interface HostPort { protocol: string; hostIP: string; hostPort: number }

/** A compiled (anti-)affinity term: which pods it selects and over which topology. */
export interface AffinityTerm {
  selector: LabelSelector;
  /** Namespaces named in the term (or the pod's own when neither namespaces nor a namespaceSelector is given). */
  namespaces: Set<string>;
  /** undefined: no namespace selector; an empty selector matches every namespace. */
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  /** Identity of the term (same selector, namespaces and key = same answers), for per-cycle memoisation. */
  sig: string;
}
export interface WeightedAffinityTerm extends AffinityTerm { weight: number }

function compileTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const own = pod.metadata?.namespace ?? 'default';
  const namespaces = new Set(t.namespaces ?? []);
  if (namespaces.size === 0 && t.namespaceSelector == null) namespaces.add(own);
  return {
    // a term without labelSelector selects no pod (LabelSelectorAsSelector(nil) = Nothing)
    selector: t.labelSelector == null ? nothingSelector() : selectorFromLabelSelector(withMatchLabelKeys(pod, t)),
    namespaces,
    namespaceSelector: t.namespaceSelector == null ? undefined : selectorFromLabelSelector(t.namespaceSelector),
    topologyKey: t.topologyKey,
    sig: JSON.stringify([t.labelSelector ?? null, [...namespaces].sort(), t.namespaceSelector ?? null, t.topologyKey,
      (t as { matchLabelKeys?: string[] }).matchLabelKeys?.map(k => pod.metadata?.labels?.[k]) ?? null]),
  };
}

/** Namespace and labels of a pod as one string: pods with the same one answer every term alike. */
export function labelsSignature(pod: Pod): string {
  const l = pod.metadata?.labels ?? {};
  return `${pod.metadata?.namespace ?? 'default'}\u0000${Object.keys(l).sort().map(k => `${k}=${l[k]}`).join(',')}`;
}

// matchLabelKeys / mismatchLabelKeys (1.29+): the incoming pod's own values narrow the selector.
function withMatchLabelKeys(pod: Pod, t: PodAffinityTerm): LabelSelectorSpec {
  const sel: LabelSelectorSpec = { matchLabels: { ...(t.labelSelector?.matchLabels ?? {}) }, matchExpressions: [...(t.labelSelector?.matchExpressions ?? [])] };
  const labels = pod.metadata?.labels ?? {};
  const ext = t as PodAffinityTerm & { matchLabelKeys?: string[]; mismatchLabelKeys?: string[] };
  for (const k of ext.matchLabelKeys ?? []) if (k in labels) sel.matchExpressions!.push({ key: k, operator: 'In', values: [labels[k]] });
  for (const k of ext.mismatchLabelKeys ?? []) if (k in labels) sel.matchExpressions!.push({ key: k, operator: 'NotIn', values: [labels[k]] });
  return sel;
}

/** True when term selects `pod` (namespace first, then labels); nsLabels looks up a namespace's labels. */
export function termMatches(term: AffinityTerm, pod: Pod, nsLabels: (ns: string) => Record<string, string> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? 'default';
  if (!term.namespaces.has(ns)) {
    if (!term.namespaceSelector) return false;
    if (!term.namespaceSelector.empty() && !term.namespaceSelector.matches(nsLabels(ns))) return false;
  }
  return term.selector.matches(pod.metadata?.labels);
}

export interface PodInfo {
  key: string;
  labelsSig: string;
  pod: Pod;
  priority: number;
  requests: Resources;
  nonZeroCPU: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
}

export const podKey = (pod: Pod) => pod.metadata?.uid || `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name}`;
export const podName = (pod: Pod) => `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name}`;

/** Builds the PodInfo; throws (with the offending text) when a quantity or selector in the pod cannot be parsed. */
export function newPodInfo(pod: Pod): PodInfo {
  const requests = podRequests(pod);
  const nonZero = podRequests(pod, true);
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      hostPorts.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || '0.0.0.0', hostPort: p.hostPort });
    }
  }
  const aff = pod.spec?.affinity;
  const weighted = (list: { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined) =>
    (list ?? []).map(w => ({ ...compileTerm(pod, w.podAffinityTerm), weight: w.weight }));
  return {
    key: podKey(pod),
    labelsSig: labelsSignature(pod),
    pod,
    priority: pod.spec?.priority ?? 0,
    requests,
    nonZeroCPU: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts,
    requiredAffinity: (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map(t => compileTerm(pod, t)),
    requiredAntiAffinity: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map(t => compileTerm(pod, t)),
    preferredAffinity: weighted(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

export const hasAffinity = (p: PodInfo) => p.requiredAffinity.length + p.requiredAntiAffinity.length + p.preferredAffinity.length + p.preferredAntiAffinity.length > 0;
