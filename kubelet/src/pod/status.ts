// The API status of a pod from what the runtime reports (upstream kubelet_pods.go generateAPIPodStatus,
// convertToAPIContainerStatuses, getPhase; status/generate.go for conditions). Pure.
import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import type { ObservedContainer } from '../runtime/docker';
import { latestFor, PodRuntimeView, restartPolicy } from './actions';

export interface StartFailure { reason: string; message: string; retryAt?: number }

export interface StatusInputs {
  pod: Pod;
  view: PodRuntimeView;
  nodeIP: string;
  /** Last start error per container name (the reason cache); cleared by a successful start. */
  reasons: Map<string, StartFailure>;
  /** Readiness probe result per container id (undefined = no readiness probe). */
  ready: (containerId: string, c: Container) => boolean;
  /** Startup probe passed per container id. */
  started: (containerId: string, c: Container) => boolean;
  now: string;
  /** The termination message of an exited container, if read. */
  terminationMessage?: (containerId: string) => string | undefined;
  /** Pod-level failure (activeDeadlineSeconds, admission). */
  podFailure?: { reason: string; message: string };
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

function terminated(c: ObservedContainer, message?: string) {
  const cannotRun = c.state === 'created' && !!c.error;
  const reason = cannotRun ? 'ContainerCannotRun' : c.oomKilled ? 'OOMKilled' : c.exitCode === 0 ? 'Completed' : 'Error';
  return {
    terminated: {
      exitCode: cannotRun ? (c.exitCode || 128) : c.exitCode, reason,
      ...(cannotRun && c.error ? { message: c.error } : message ? { message } : {}),
      startedAt: c.startedAt ?? c.createdAt, finishedAt: c.finishedAt ?? c.startedAt ?? c.createdAt, containerID: `docker://${c.id}`,
    },
  };
}

function containerStatus(spec: Container, latest: ObservedContainer | undefined, previous: ObservedContainer | undefined,
                         inp: StatusInputs, isInit: boolean, waitingReason: string): ContainerStatus {
  const base: ContainerStatus = {
    name: spec.name, image: spec.image ?? '', imageID: '', ready: false, restartCount: latest ? latest.attempt : 0, started: false,
    state: { waiting: { reason: waitingReason } },
  };
  const failure = inp.reasons.get(spec.name);
  if (!latest) {
    if (failure) base.state = { waiting: { reason: failure.reason, message: failure.message } };
    return base;
  }
  base.containerID = `docker://${latest.id}`;
  base.imageID = latest.imageId ? `docker://${latest.imageId}` : '';
  const msg = (o: ObservedContainer) => inp.terminationMessage?.(o.id);
  if (previous && previous.state !== 'running') base.lastState = terminated(previous, msg(previous));
  if (latest.state === 'running') {
    base.state = { running: { startedAt: latest.startedAt ?? latest.createdAt } };
    base.started = inp.started(latest.id, spec);
    base.ready = !isInit && base.started && inp.ready(latest.id, spec);
  } else if (latest.state === 'created' && !latest.error) {
    base.state = { waiting: { reason: 'ContainerCreating' } };
  } else {
    base.state = terminated(latest, msg(latest));
    base.ready = isInit && latest.exitCode === 0 && latest.state === 'exited';
    // a start error is shown as waiting only when the container will be started again
    if (failure && restartPolicy(inp.pod) !== 'Never') { base.lastState = base.state; base.state = { waiting: { reason: failure.reason, message: failure.message } }; }
  }
  return base;
}

/** Upstream getPhase. */
export function podPhase(pod: Pod, init: ContainerStatus[], apps: ContainerStatus[]): string {
  const policy = restartPolicy(pod);
  let pendingInit = 0, failedInit = false;
  for (const s of init) {
    if (s.state?.terminated?.exitCode === 0) continue;
    if (s.state?.terminated) { failedInit = true; pendingInit++; continue; }
    if (s.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) { failedInit = true; }
    pendingInit++;
  }
  if (failedInit && policy === 'Never') return 'Failed';
  let waiting = 0, running = 0, stopped = 0, succeeded = 0;
  for (const s of apps) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.state?.waiting && s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (pendingInit > 0 && running === 0 && stopped === 0) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, now: string, old: PodCondition[] | undefined, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find(c => c.type === type);
  const c: PodCondition = { type, status, lastProbeTime: null as any, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function generatePodStatus(inp: StatusInputs): PodStatus {
  const { pod, view } = inp;
  const old = pod.status ?? {};
  const sandbox = view.sandboxes[0];
  const sandboxId = sandbox?.id;
  const inits = pod.spec?.initContainers ?? [];
  const apps = pod.spec?.containers ?? [];

  const statusesFor = (specs: Container[], isInit: boolean, waitingReason: string) => specs.map(c => {
    const all = view.containers.filter(o => o.name === c.name);
    return containerStatus(c, all[0], all[1], inp, isInit, waitingReason);
  });
  const initStatuses = statusesFor(inits, true, 'PodInitializing');
  const initDone = initStatuses.every(s => s.state?.terminated?.exitCode === 0) ||
    (sandboxId !== undefined && apps.some(c => latestFor(view, c.name, sandboxId)));
  const appStatuses = statusesFor(apps, false, initDone ? 'ContainerCreating' : 'PodInitializing');

  let phase = podPhase(pod, initStatuses, appStatuses);
  let reason: string | undefined, message: string | undefined;
  if (inp.podFailure) { phase = 'Failed'; reason = inp.podFailure.reason; message = inp.podFailure.message; }
  if (old.phase && TERMINAL.has(old.phase)) { phase = old.phase; reason = old.reason; message = old.message; }

  const hostNet = !!pod.spec?.hostNetwork;
  const podIP = hostNet ? inp.nodeIP : (sandbox?.state === 'running' ? sandbox.ip : undefined) ?? (old.podIP || undefined);
  const sandboxReady = !!sandbox && sandbox.state === 'running' && (hostNet || !!sandbox.ip);

  const notReady = appStatuses.filter(s => !s.ready).map(s => s.name);
  const unfinishedInit = initStatuses.filter(s => s.state?.terminated?.exitCode !== 0).map(s => s.name);
  const terminal = TERMINAL.has(phase);
  const oc = old.conditions;
  const containersReady = notReady.length === 0 && !terminal;
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', sandboxReady, inp.now, oc),
    condition('Initialized', initDone || terminal && unfinishedInit.length === 0, inp.now, oc, 'ContainersNotInitialized',
      `containers with incomplete status: [${unfinishedInit.join(' ')}]`),
    condition('Ready', containersReady, inp.now, oc, terminal ? 'PodCompleted' : 'ContainersNotReady',
      terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`),
    condition('ContainersReady', containersReady, inp.now, oc, terminal ? 'PodCompleted' : 'ContainersNotReady',
      terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`),
  ];
  if (initDone && inits.length > 0) { const ic = conditions[1]; ic.status = 'True'; delete ic.reason; delete ic.message; }
  if (inits.length === 0) { const ic = conditions[1]; ic.status = 'True'; delete ic.reason; delete ic.message; ic.lastTransitionTime = oc?.find(c => c.type === 'Initialized' && c.status === 'True')?.lastTransitionTime ?? inp.now; }
  const scheduled = oc?.find(c => c.type === 'PodScheduled');
  conditions.push(scheduled ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null as any, lastTransitionTime: inp.now });
  for (const c of oc ?? []) if (!conditions.some(k => k.type === c.type)) conditions.push(c); // readiness gates etc.

  const status: PodStatus = {
    phase, conditions, hostIP: inp.nodeIP, hostIPs: [{ ip: inp.nodeIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime ?? inp.now,
    ...(inits.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    ...(old.qosClass ? { qosClass: old.qosClass } : {}),
    ...(reason ? { reason } : {}), ...(message ? { message } : {}),
  };
  return status;
}
