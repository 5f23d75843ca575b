// Probe workers, one per (pod, container, probe kind) (upstream prober_manager.go, worker.go doProbe):
// thresholds on consecutive results, startup gating the others, results keyed by container id so a
// restarted container starts over.
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import type { DockerRuntime } from '../runtime/docker';
import { runHandler } from './probe';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
const LABEL: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface RunningContainer { id: string; startedAt?: string; podIP?: string }

export interface ProbeHooks {
  /** The container's current running instance, if any. */
  running(podUid: string, container: string): RunningContainer | undefined;
  /** A stored result flipped: the pod needs a sync. */
  changed(podUid: string): void;
  /** Each failed probe run: Unhealthy event. */
  failed(pod: Pod, container: string, kind: ProbeKind, message: string): void;
}

interface Worker { timer?: NodeJS.Timeout; stopped: boolean; containerId?: string; successes: number; failures: number; result?: boolean }

export class ProbeManager {
  private readonly workers = new Map<string, Worker>();
  /** containerId -> result */
  private readonly readiness = new Map<string, boolean>();
  private readonly startup = new Map<string, boolean>();
  /** containerId -> message, once liveness/startup hit failureThreshold. */
  readonly livenessFailed = new Map<string, string>();

  constructor(private readonly runtime: DockerRuntime, private readonly hooks: ProbeHooks) {}

  isReady(containerId: string, c: Container): boolean { return c.readinessProbe ? this.readiness.get(containerId) === true : true; }
  isStarted(containerId: string, c: Container): boolean { return c.startupProbe ? this.startup.get(containerId) === true : true; }

  /** Makes the set of workers match the pod's spec (called on every pod sync). */
  ensure(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const want = new Set<string>();
    const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(c => (c as any).restartPolicy === 'Always')];
    for (const c of all) {
      for (const kind of ['liveness', 'readiness', 'startup'] as ProbeKind[]) {
        const probe = (c as any)[`${kind}Probe`] as Probe | undefined;
        if (!probe) continue;
        const key = `${uid}/${c.name}/${kind}`;
        want.add(key);
        if (!this.workers.has(key)) this.start(key, pod, c, kind, probe);
      }
    }
    for (const [key, w] of this.workers) if (key.startsWith(`${uid}/`) && !want.has(key)) { w.stopped = true; clearTimeout(w.timer); this.workers.delete(key); }
  }

  stopPod(uid: string): void {
    for (const [key, w] of this.workers) if (key.startsWith(`${uid}/`)) { w.stopped = true; clearTimeout(w.timer); this.workers.delete(key); }
  }

  forgetContainer(id: string): void { this.readiness.delete(id); this.startup.delete(id); this.livenessFailed.delete(id); }

  private start(key: string, pod: Pod, c: Container, kind: ProbeKind, p: Probe): void {
    const w: Worker = { stopped: false, successes: 0, failures: 0 };
    this.workers.set(key, w);
    const uid = pod.metadata?.uid ?? '';
    const periodMs = Math.max(1, p.periodSeconds ?? 10) * 1000;
    const timeoutMs = Math.max(1, p.timeoutSeconds ?? 1) * 1000;
    const successThreshold = kind === 'readiness' ? Math.max(1, p.successThreshold ?? 1) : 1;
    const failureThreshold = Math.max(1, p.failureThreshold ?? 3);
    const tick = async () => {
      if (w.stopped) return;
      try { await this.once(pod, c, kind, p, w, uid, timeoutMs, successThreshold, failureThreshold); } catch { /* never let a probe kill the kubelet */ }
      if (!w.stopped) w.timer = setTimeout(tick, periodMs);
    };
    // first run soon (jittered), so a fresh container does not wait a whole period
    w.timer = setTimeout(tick, Math.min(periodMs, 200 + Math.random() * 300));
  }

  private async once(pod: Pod, c: Container, kind: ProbeKind, p: Probe, w: Worker, uid: string, timeoutMs: number,
                     successThreshold: number, failureThreshold: number): Promise<void> {
    const cur = this.hooks.running(uid, c.name);
    if (!cur) return;
    if (cur.id !== w.containerId) { w.containerId = cur.id; w.successes = 0; w.failures = 0; w.result = undefined; }
    const store = kind === 'readiness' ? this.readiness : kind === 'startup' ? this.startup : undefined;
    if (kind === 'liveness' && this.livenessFailed.has(cur.id)) return; // already condemned; the sync loop kills it
    if (kind === 'startup' && this.startup.get(cur.id)) return; // startup probes stop once they succeed
    if (kind !== 'startup' && c.startupProbe && !this.startup.get(cur.id)) return;
    const started = cur.startedAt ? Date.parse(cur.startedAt) : 0;
    if (Date.now() < started + (p.initialDelaySeconds ?? 0) * 1000) return;
    const out = await runHandler(p, { runtime: this.runtime, containerId: cur.id, podIP: cur.podIP, container: c }, timeoutMs);
    if (w.stopped || this.hooks.running(uid, c.name)?.id !== cur.id) return;
    if (out.ok) { w.successes++; w.failures = 0; } else { w.failures++; w.successes = 0; }
    if (!out.ok) this.hooks.failed(pod, c.name, kind, `${LABEL[kind]} probe failed: ${out.output}`);
    let flipped = false;
    if (out.ok && w.successes >= successThreshold && w.result !== true) { w.result = true; flipped = true; }
    if (!out.ok && w.failures >= failureThreshold && w.result !== false) { w.result = false; flipped = true; }
    if (!flipped) return;
    if (store) store.set(cur.id, w.result!);
    if (!w.result && (kind === 'liveness' || kind === 'startup')) {
      this.livenessFailed.set(cur.id, `Container ${c.name} failed ${kind} probe, will be restarted`);
    }
    this.hooks.changed(uid);
  }
}
