// computePodActions: what one sync must do to make Docker match the pod spec (upstream
// kuberuntime_manager.go computePodActions + findNextInitContainerToRun). Pure: input is the spec and what the
// runtime reports, output a plan the pod worker executes.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ObservedContainer } from '../runtime/docker';
import { containerHash } from '../runtime/naming';

export interface ContainerToKill { id: string; name: string; reason: 'Unhealthy' | 'SpecChanged' | 'InitFailed'; message: string }

export interface PodActions {
  /** Stop everything (sandbox included) before anything else. */
  killPod: boolean;
  createSandbox: boolean;
  /** Attempt number for a new sandbox. */
  sandboxAttempt: number;
  /** The live sandbox to join when not recreating. */
  sandboxId?: string;
  /** The init container to start next (one at a time). */
  nextInit?: string;
  containersToStart: string[];
  containersToKill: ContainerToKill[];
  /** An init container failed under restartPolicy Never: the pod is done. */
  initFailedNever?: string;
}

export interface PodRuntimeView {
  /** Newest first. */
  sandboxes: ObservedContainer[];
  containers: ObservedContainer[];
}

export interface ProbeFailures {
  /** Container ids whose liveness (or startup) probe reached failureThreshold, with the reason message. */
  failed: Map<string, string>;
}

export function splitRuntime(all: ObservedContainer[]): PodRuntimeView {
  const byNewest = (a: ObservedContainer, b: ObservedContainer) => b.attempt - a.attempt || (b.createdAt < a.createdAt ? -1 : b.createdAt > a.createdAt ? 1 : 0);
  return {
    sandboxes: all.filter(c => c.type === 'podsandbox').sort(byNewest),
    containers: all.filter(c => c.type === 'container').sort(byNewest),
  };
}

/** Newest runtime container for a spec container name, restricted to one sandbox when given. */
export function latestFor(view: PodRuntimeView, name: string, sandboxId?: string): ObservedContainer | undefined {
  return view.containers.find(c => c.name === name && (sandboxId === undefined || sandboxOf(c) === sandboxId));
}

/** The sandbox a container joined (from its label). */
export function sandboxOf(c: ObservedContainer): string | undefined { return c.sandboxId; }

export function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec?.restartPolicy;
  return p === 'Never' || p === 'OnFailure' ? p : 'Always';
}

/** The hash of the parts of a container spec that need a restart when changed. */
export function specHash(c: Container): string { return containerHash(c); }

const exitedOk = (c: ObservedContainer) => c.state === 'exited' && c.exitCode === 0;
const exitedFailed = (c: ObservedContainer) => (c.state === 'exited' && c.exitCode !== 0) || (c.state === 'created' && !!c.error);

/** Whether the sandbox must be (re)created (upstream podSandboxChanged). */
export function sandboxChanged(pod: Pod, view: PodRuntimeView): { changed: boolean; attempt: number; sandbox?: ObservedContainer } {
  const newest = view.sandboxes[0];
  if (!newest) return { changed: true, attempt: 0 };
  const next = newest.attempt + 1;
  const running = view.sandboxes.filter(s => s.state === 'running');
  if (running.length > 1) return { changed: true, attempt: next, sandbox: newest };
  if (newest.state !== 'running') return { changed: true, attempt: next, sandbox: newest };
  const hostNet = !!pod.spec?.hostNetwork;
  if (hostNet !== (newest.networkMode === 'host')) return { changed: true, attempt: next, sandbox: newest };
  if (!hostNet && !newest.ip) return { changed: true, attempt: next, sandbox: newest };
  return { changed: false, attempt: newest.attempt, sandbox: newest };
}

/** Upstream findNextInitContainerToRun over the containers of the current sandbox. */
export function nextInitContainer(pod: Pod, view: PodRuntimeView, sandboxId: string):
    { next?: Container; failed?: Container; running?: Container; done: boolean } {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true };
  // an app container already ran in this sandbox: initialization finished earlier
  if ((pod.spec?.containers ?? []).some(c => latestFor(view, c.name, sandboxId))) return { done: true };
  for (let i = inits.length - 1; i >= 0; i--) {
    const st = latestFor(view, inits[i].name, sandboxId);
    if (!st) continue;
    if (st.state === 'running' || (st.state === 'created' && !st.error)) return { running: inits[i], done: false };
    if (exitedFailed(st)) return { failed: inits[i], done: false };
    if (exitedOk(st)) return i === inits.length - 1 ? { done: true } : { next: inits[i + 1], done: false };
    return { failed: inits[i], done: false };
  }
  return { next: inits[0], done: false };
}

export function computePodActions(pod: Pod, view: PodRuntimeView, probes: ProbeFailures = { failed: new Map() }): PodActions {
  const policy = restartPolicy(pod);
  const sb = sandboxChanged(pod, view);
  const actions: PodActions = {
    killPod: sb.changed, createSandbox: sb.changed, sandboxAttempt: sb.attempt, sandboxId: sb.changed ? undefined : sb.sandbox?.id,
    containersToStart: [], containersToKill: [],
  };
  const apps = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];

  if (sb.changed) {
    // a pod that ran and must not restart is done: no new sandbox
    if (policy === 'Never' && sb.sandbox && view.containers.length > 0) { actions.createSandbox = false; return actions; }
    const toStart = apps.filter(c => !(policy === 'OnFailure' && view.containers.some(o => o.name === c.name && exitedOk(o) && o === latestFor(view, c.name))));
    if (toStart.length === 0 && sb.sandbox) { actions.createSandbox = false; return actions; }
    if (inits.length > 0) { actions.nextInit = inits[0].name; return actions; }
    actions.containersToStart = toStart.map(c => c.name);
    return actions;
  }

  const sandboxId = sb.sandbox!.id;
  const init = nextInitContainer(pod, view, sandboxId);
  if (!init.done) {
    if (init.failed) {
      if (policy === 'Never') { actions.killPod = true; actions.initFailedNever = init.failed.name; return actions; }
      actions.nextInit = init.failed.name;
    } else if (init.next) {
      actions.nextInit = init.next.name;
    } else if (init.running) {
      const st = latestFor(view, init.running.name, sandboxId)!;
      const why = probes.failed.get(st.id);
      if (why) actions.containersToKill.push({ id: st.id, name: init.running.name, reason: 'Unhealthy', message: why });
    }
    return actions;
  }

  let keep = 0;
  for (const c of apps) {
    const st = latestFor(view, c.name, sandboxId);
    if (!st) { actions.containersToStart.push(c.name); continue; }
    if (st.state === 'running') {
      const why = probes.failed.get(st.id);
      if (st.hash && st.hash !== specHash(c)) {
        actions.containersToKill.push({ id: st.id, name: c.name, reason: 'SpecChanged', message: `Container ${c.name} definition changed, will be restarted` });
        actions.containersToStart.push(c.name);
      } else if (why) {
        actions.containersToKill.push({ id: st.id, name: c.name, reason: 'Unhealthy', message: why });
        if (policy !== 'Never') actions.containersToStart.push(c.name);
      } else keep++;
      continue;
    }
    if (st.state === 'created' && !st.error) { keep++; continue; } // being started by this kubelet right now
    const failed = exitedFailed(st);
    if (policy === 'Always' || (policy === 'OnFailure' && failed)) actions.containersToStart.push(c.name);
  }
  if (keep === 0 && actions.containersToStart.length === 0) actions.killPod = true;
  return actions;
}
