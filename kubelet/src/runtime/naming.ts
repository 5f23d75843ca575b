// How pods map onto Docker objects (dockershim's naming.go / labels.go model): names a restarted kubelet can
// parse back, labels it filters on. Fixed interface shared with kubelet-io-helper (logs/exec find containers by these).
import crypto from 'node:crypto';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const LABEL_DOCKER_TYPE = 'io.kubernetes.docker.type';
export const LABEL_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const LABEL_SANDBOX_ID = 'io.kubernetes.sandbox.id';
export const LABEL_INIT = 'mk8s.kubelet.init';
export const LABEL_NODE = 'mk8s.kubelet.node';
export const SANDBOX_CONTAINER_NAME = 'POD';

export type DockerType = 'podsandbox' | 'container';

export interface PodRef { name: string; namespace: string; uid: string }

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]; k8s names already fit. */
export function containerName(container: string, pod: PodRef, attempt: number): string {
  return `k8s_${container}_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}

export function sandboxName(pod: PodRef, attempt: number): string {
  return containerName(SANDBOX_CONTAINER_NAME, pod, attempt);
}

export function containerLabels(nodeName: string, pod: PodRef, container: string, type: DockerType, attempt: number,
                                extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    [LABEL_POD_NAME]: pod.name, [LABEL_POD_NAMESPACE]: pod.namespace, [LABEL_POD_UID]: pod.uid,
    [LABEL_CONTAINER_NAME]: container, [LABEL_RESTART_COUNT]: String(attempt), [LABEL_DOCKER_TYPE]: type,
    [LABEL_NODE]: nodeName,
  };
}

/** A container spec's hash: a change means the running container no longer matches and is restarted. */
export function containerHash(spec: unknown): string {
  return crypto.createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter(k => (v as any)[k] !== undefined).map(k => `${JSON.stringify(k)}:${stableJson((v as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
