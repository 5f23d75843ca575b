// Node-side admission (upstream pkg/kubelet/lifecycle/predicate.go + the scheduler's noderesources fit):
// a pod bound to this node that does not fit in what is left of the allocatable cpu, memory and pod count,
// given the pods already admitted, is rejected: phase Failed, reason OutOf<resource>, "Pod was rejected: ...".
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '@mk8s/apimachinery';

export interface Allocatable { cpu: string; memory: string; pods: string | number }
export interface Rejection { reason: string; message: string }

function amount(v: unknown, milli: boolean): number {
  if (v === undefined || v === null) return 0;
  try { const q = parseQuantity(String(v)); return milli ? q.milliValue() : q.value(); } catch { return 0; }
}

function containerRequest(c: Container, res: 'cpu' | 'memory'): number {
  const r = (c.resources?.requests as any)?.[res] ?? (c.resources?.limits as any)?.[res];
  return amount(r, res === 'cpu');
}

/** Upstream PodRequests: max(sum of app containers, largest init container) + overhead; cpu in millicores, memory in bytes. */
export function podRequests(pod: Pod): { cpu: number; memory: number } {
  const out = { cpu: 0, memory: 0 };
  for (const res of ['cpu', 'memory'] as const) {
    const apps = (pod.spec?.containers ?? []).reduce((s, c) => s + containerRequest(c, res), 0);
    const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(c => containerRequest(c, res)));
    out[res] = Math.max(apps, init) + amount((pod.spec?.overhead as any)?.[res], res === 'cpu');
  }
  return out;
}

/** Undefined when the pod fits next to `admitted`; else the rejection as upstream words it. */
export function admitPod(pod: Pod, admitted: Pod[], alloc: Allocatable): Rejection | undefined {
  const cap = { cpu: amount(alloc.cpu, true), memory: amount(alloc.memory, false), pods: Number(alloc.pods) };
  const used = { cpu: 0, memory: 0, pods: admitted.length };
  for (const p of admitted) { const r = podRequests(p); used.cpu += r.cpu; used.memory += r.memory; }
  const want = { ...podRequests(pod), pods: 1 };
  for (const res of ['pods', 'cpu', 'memory'] as const) {
    if (want[res] === 0 || used[res] + want[res] <= cap[res]) continue;
    return {
      reason: `OutOf${res}`,
      message: `Pod was rejected: Node didn't have enough resource: ${res}, requested: ${want[res]}, used: ${used[res]}, capacity: ${cap[res]}`,
    };
  }
  return undefined;
}
