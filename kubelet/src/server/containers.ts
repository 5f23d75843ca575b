// Finding a pod's container in Docker by the kubelet's labels, the way the kubelet's log/exec handlers pick
// the container from the pod status: current = the newest attempt, previous = the last exited one.
import type Dockerode from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  LABEL_CONTAINER_NAME, LABEL_DOCKER_TYPE, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT,
} from '../runtime/naming';

/** An HTTP error the handlers turn into a Status body. */
export class HttpError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

export interface FoundContainer { id: string; info: Dockerode.ContainerInfo; restartCount: number }

const attempt = (c: Dockerode.ContainerInfo) => Number(c.Labels?.[LABEL_RESTART_COUNT] ?? 0) || 0;
const stripRuntime = (id: string | undefined) => id?.replace(/^[a-z]+:\/\//, '');

/** Containers of (ns, pod, container) on this node, newest attempt first; only one pod uid (the snapshot's, else the newest). */
export async function podContainers(docker: Dockerode, nodeName: string, ns: string, pod: string, container: string, known?: Pod): Promise<FoundContainer[]> {
  const label = [`${LABEL_POD_NAMESPACE}=${ns}`, `${LABEL_POD_NAME}=${pod}`, `${LABEL_DOCKER_TYPE}=container`, `${LABEL_NODE}=${nodeName}`];
  if (container) label.push(`${LABEL_CONTAINER_NAME}=${container}`);
  let list = await docker.listContainers({ all: true, filters: { label } });
  const uid = known?.metadata?.uid ?? list.slice().sort((a, b) => b.Created - a.Created)[0]?.Labels?.[LABEL_POD_UID];
  list = list.filter(c => c.Labels?.[LABEL_POD_UID] === uid);
  return list.sort((a, b) => attempt(b) - attempt(a) || b.Created - a.Created).map(info => ({ id: info.Id, info, restartCount: attempt(info) }));
}

export function findPod(pods: Pod[], ns: string, name: string): Pod | undefined {
  return pods.find(p => (p.metadata?.namespace ?? 'default') === ns && p.metadata?.name === name);
}

function statusOf(pod: Pod | undefined, container: string) {
  return [...(pod?.status?.containerStatuses ?? []), ...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.ephemeralContainerStatuses ?? [])]
    .find(s => s.name === container);
}

function declared(pod: Pod | undefined, container: string): boolean {
  return [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.ephemeralContainers ?? [])].some(c => c.name === container);
}

/** The container whose logs `kubectl logs [--previous]` wants; HttpError with upstream's messages otherwise. */
export async function containerForLogs(docker: Dockerode, nodeName: string, pods: Pod[], ns: string, podName: string, container: string, previous: boolean): Promise<FoundContainer> {
  const pod = findPod(pods, ns, podName);
  const found = await podContainers(docker, nodeName, ns, podName, container, pod);
  const byId = (id: string | undefined) => (id ? found.find(f => f.id === stripRuntime(id) || f.id.startsWith(stripRuntime(id)!)) : undefined);
  const status = statusOf(pod, container);
  if (!found.length) {
    if (!pod && !(await podContainers(docker, nodeName, ns, podName, '', undefined)).length) throw new HttpError(404, `pod "${podName}" in namespace "${ns}" does not exist on node "${nodeName}"`);
    if (pod && !declared(pod, container)) throw new HttpError(404, `container "${container}" not found in pod "${podName}"`);
    if (previous) throw new HttpError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
    const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
    throw new HttpError(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  const newest = found[0];
  if (previous) {
    // the status knows best (lastState); without it, Docker's history: the attempt before the newest
    const fromStatus = byId(status?.lastState?.terminated?.containerID);
    if (fromStatus) return fromStatus;
    if (!status?.lastState?.terminated && status?.state?.waiting && newest.info.State !== 'running') return newest; // crash loop: the newest is the last exited
    const before = found.find(f => f !== newest && f.info.State !== 'running');
    if (before) return before;
    throw new HttpError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
  }
  return byId(status?.state?.running || status?.state?.terminated ? status?.containerID : undefined) ?? newest;
}

/** The running container exec/attach go to. */
export async function runningContainer(docker: Dockerode, nodeName: string, pods: Pod[], ns: string, podName: string, container: string): Promise<FoundContainer> {
  const pod = findPod(pods, ns, podName);
  const found = await podContainers(docker, nodeName, ns, podName, container, pod);
  const running = found.find(f => f.info.State === 'running');
  if (running) return running;
  if (!found.length) {
    if (!pod && !(await podContainers(docker, nodeName, ns, podName, '', undefined)).length) throw new HttpError(404, `pod "${podName}" in namespace "${ns}" does not exist on node "${nodeName}"`);
    if (pod && !declared(pod, container)) throw new HttpError(404, `container "${container}" not found in pod "${podName}"`);
  }
  throw new HttpError(400, `container "${container}" in pod "${podName}" is not running`);
}
