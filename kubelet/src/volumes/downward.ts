// Downward API values as upstream formats them (pkg/api/v1/resource, pkg/fieldpath): labels/annotations as
// sorted `key="value"` lines, resources as ceil(quantity / divisor), unset limits falling back to the node.
import os from 'node:os';
import { parseQuantity } from '@mk8s/apimachinery';
import type { Pod, ObjectFieldSelector, ResourceFieldSelector } from 'kubernetes-types/core/v1';

/** `k="v"` lines sorted by key: upstream's FormatMap (Go %q quoting, close to JSON string quoting). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map(k => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['([^']*)'\]$/;

/** The value of a fieldRef for pod; throws with upstream's wording on an unsupported path. */
export function fieldRefValue(pod: Pod, ref: ObjectFieldSelector): string {
  if (ref.apiVersion && ref.apiVersion !== 'v1') throw new Error(`unsupported fieldRef apiVersion ${JSON.stringify(ref.apiVersion)}`);
  const m = SUBSCRIPT.exec(ref.fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]] ?? '';
  switch (ref.fieldPath) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'metadata.labels': return formatMap(pod.metadata?.labels);
    case 'metadata.annotations': return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    default: throw new Error(`unsupported fieldPath: ${ref.fieldPath}`);
  }
}

/** What the node offers when a container sets no limit (upstream substitutes node allocatable). */
export interface NodeAllocatable { cpu: string; memory: string; 'ephemeral-storage'?: string }
export function hostAllocatable(): NodeAllocatable {
  return { cpu: String(os.cpus().length), memory: String(os.totalmem()) };
}

/** The value of a resourceFieldRef (containerName required in volumes, given by the caller for env). */
export function resourceFieldValue(pod: Pod, ref: ResourceFieldSelector, node: NodeAllocatable = hostAllocatable()): string {
  const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(x => x.name === ref.containerName);
  if (!c) throw new Error(`container ${JSON.stringify(ref.containerName ?? '')} not found in pod`);
  const [kind, res] = ref.resource.split(/\.(.*)/s);
  if ((kind !== 'limits' && kind !== 'requests') || !res) throw new Error(`unsupported container resource: ${ref.resource}`);
  const set = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
  let raw = set?.[res] as string | undefined;
  if (raw === undefined && kind === 'limits') raw = (node as unknown as Record<string, string | undefined>)[res];
  if (raw === undefined) raw = '0';
  const q = parseQuantity(String(raw));
  const divisor = parseQuantity(String(ref.divisor ?? '1'));
  if (divisor.isZero()) throw new Error(`divisor of ${ref.resource} must not be zero`);
  if (res === 'cpu') return String(Math.ceil(q.milliValue() / divisor.milliValue()));
  if (res === 'memory' || res === 'ephemeral-storage' || res.startsWith('hugepages-')) return String(Math.ceil(q.value() / divisor.value()));
  throw new Error(`unsupported container resource: ${ref.resource}`);
}
