// The kubelet's sync loop (upstream kubelet.go syncLoop/HandlePodCleanups, pleg/generic.go, status_manager.go):
// pods from the API (watch on spec.nodeName) and the static dir feed per-pod workers; a 1 s relist plus
// Docker events wake the worker of any pod whose containers changed; housekeeping removes what no longer
// belongs to a desired pod; status goes to pods/status only when it changed.
import fs from 'node:fs';
import path from 'node:path';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { EventRecorder, KubeClient, Logger, resources, SharedInformer, StatusError } from '@mk8s/apimachinery';
import type { DockerRuntime, ObservedContainer } from './runtime/docker';
import { PodRuntimeView, splitRuntime } from './pod/actions';
import { Backoff } from './pod/backoff';
import { DnsSettings } from './pod/dns';
import type { StartFailure } from './pod/status';
import { PodWorker } from './pod/worker';
import { ProbeManager } from './prober/manager';
import { ImagePuller } from './runtime/images';
import { admitPod, Allocatable } from './pod/admission';
import { serviceEnvVars } from './pod/service-env';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const SOURCE_ANNOTATION = 'kubernetes.io/config.source';

export interface PodVolumes {
  setUpPod(pod: Pod): Promise<void>;
  mountsFor(pod: Pod, c: Container): { binds: string[]; tmpfs: Record<string, string> };
  tearDownPod(uid: string): Promise<void>;
}

export interface KubeletCoreOptions {
  kube: KubeClient; runtime: DockerRuntime; log: Logger; recorder: EventRecorder; volumes: PodVolumes;
  nodeName: string; nodeIP: string; rootDir: string; clusterDNS: string[]; clusterDomain: string; pauseImage: string;
  hostDns: DnsSettings; allocatable: { cpu: string; memory: string; pods?: string | number };
  /** Node object uid, for mirror pods' ownerReference. */
  nodeUid?: () => string | undefined;
}

const stable = (v: unknown): string => JSON.stringify(v, (_k, x) => x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map(k => [k, x[k]])) : x);

const isMirror = (p: Pod) => !!p.metadata?.annotations?.[MIRROR_ANNOTATION];
const isStatic = (p: Pod) => p.metadata?.annotations?.[SOURCE_ANNOTATION] === 'file';

export class KubeletCore {
  readonly kube!: KubeClient; readonly runtime!: DockerRuntime; readonly log!: Logger; readonly volumes!: PodVolumes;
  readonly nodeName!: string; readonly nodeIP!: string; readonly rootDir!: string; readonly clusterDNS!: string[];
  readonly clusterDomain!: string; readonly pauseImage!: string; readonly hostDns!: DnsSettings;
  readonly allocatable!: { cpu: string; memory: string };
  readonly backoff = new Backoff();
  readonly imageBackoff = new Backoff();
  readonly imageFailedAt = new Map<string, number>();
  readonly images: ImagePuller;
  readonly views = new Map<string, PodRuntimeView>();
  readonly workers = new Map<string, PodWorker>();
  readonly probes: ProbeManager;
  readonly informer: SharedInformer<any>;
  /** All services, for the service link variables. */
  readonly services: SharedInformer<any>;
  /** Termination message per exited container id (read once from its file or logs). */
  readonly terminationMessages = new Map<string, string>();
  private readonly reasons = new Map<string, Map<string, StartFailure>>();
  private readonly written = new Map<string, string>();
  private staticPods = new Map<string, Pod>();
  private staticLoaded = false;
  private relistSig = new Map<string, string>();
  private timers: NodeJS.Timeout[] = [];
  private stopEvents?: () => void;
  private stopped = false;
  lastRelist = Date.now();

  constructor(private readonly o: KubeletCoreOptions) {
    Object.assign(this, {
      kube: o.kube, runtime: o.runtime, log: o.log, volumes: o.volumes, nodeName: o.nodeName, nodeIP: o.nodeIP, rootDir: o.rootDir,
      clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain, pauseImage: o.pauseImage, hostDns: o.hostDns, allocatable: o.allocatable,
    });
    this.images = new ImagePuller(image => o.runtime.pull(image));
    this.probes = new ProbeManager(o.runtime, {
      running: (uid, name) => {
        const v = this.views.get(uid);
        const c = v?.containers.find(x => x.name === name);
        if (!c || c.state !== 'running') return undefined;
        const pod = this.workers.get(uid)?.pod;
        return { id: c.id, startedAt: c.startedAt, podIP: pod?.spec?.hostNetwork ? this.nodeIP : v?.sandboxes[0]?.ip };
      },
      changed: uid => this.workers.get(uid)?.trigger(),
      failed: (pod, name, _kind, message) => this.event(pod, 'Warning', 'Unhealthy', message, this.containerSpec(pod, name)),
    });
    this.informer = new SharedInformer<any>(o.kube.listWatcher(resources.pods, undefined, { fieldSelector: `spec.nodeName=${o.nodeName}` }),
      { name: 'kubelet-pods', resyncPeriodMs: 60_000 });
    this.services = new SharedInformer<any>(o.kube.listWatcher(resources.services), { name: 'kubelet-services', resyncPeriodMs: 0 });
    this.informer.addEventHandler({
      add: p => this.podFromApi(p),
      update: (_o, p) => this.podFromApi(p),
      delete: p => {
        const pod = (p as any).obj ?? p;
        if (isMirror(pod)) { this.mirrorsOk.delete(`${pod.metadata?.namespace}/${pod.metadata?.name}`); this.checkMirror(pod); } else this.podGone(pod.metadata?.uid);
      },
    });
  }

  async start(): Promise<void> {
    this.informer.run();
    this.services.run();
    const loop = (fn: () => Promise<void>, ms: number) => {
      let busy = false;
      this.timers.push(setInterval(() => {
        if (busy || this.stopped) return;
        busy = true;
        fn().catch(e => this.log.warn('loop failed', { error: (e as Error).message })).finally(() => { busy = false; });
      }, ms));
    };
    loop(() => this.relist(), 1000);
    loop(() => this.housekeeping(), 2000);
    await this.watchDockerEvents();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.stopEvents?.();
    this.informer.stop();
    this.services.stop();
    for (const w of this.workers.values()) { w.stop(); this.probes.stopPod(w.uid); }
  }

  private async watchDockerEvents(): Promise<void> {
    if (this.stopped) return;
    try {
      this.stopEvents = await this.runtime.events(uid => this.workers.get(uid)?.trigger(), () => {
        if (!this.stopped) setTimeout(() => void this.watchDockerEvents(), 1000);
      });
    } catch (e) {
      this.log.warn('docker events unavailable; relist only', { error: (e as Error).message });
      if (!this.stopped) setTimeout(() => void this.watchDockerEvents(), 5000);
    }
  }

  reasonsFor(uid: string): Map<string, StartFailure> {
    let m = this.reasons.get(uid);
    if (!m) { m = new Map(); this.reasons.set(uid, m); }
    return m;
  }

  containerSpec(pod: Pod, name: string): Container | undefined {
    return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(c => c.name === name);
  }

  /** Events about a pod, or one of its containers (fieldPath spec.containers{name}). */
  event(pod: Pod, type: string, reason: string, message: string, c?: Container): void {
    const target = isStatic(pod) ? this.mirrorName(pod) : pod.metadata?.name;
    const ref: any = { kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace, name: target, uid: pod.metadata?.uid };
    if (c) {
      const isInit = (pod.spec?.initContainers ?? []).some(x => x.name === c.name);
      ref.fieldPath = `spec.${isInit ? 'initContainers' : 'containers'}{${c.name}}`;
    }
    this.o.recorder.event(ref, type, reason, message);
  }

  async getOptional(kind: 'configmaps' | 'secrets', ns: string, name: string): Promise<any | undefined> {
    try { return await this.kube.get((resources as any)[kind], ns, name); } catch (e) {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  // ---- pod sources ----

  private podFromApi(pod: Pod): void {
    this.log.debug("pod from api", { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid: pod.metadata?.uid });
    if (isMirror(pod)) { this.checkMirror(pod); return; }
    this.desired(pod);
  }

  private desired(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.stopped) return;
    const w = this.workers.get(uid);
    if (w) { if (!w.removed) w.update(pod); return; }
    const phase = pod.status?.phase;
    // a finished pod we no longer run: nothing to do unless it still has containers or awaits its final delete
    const nw = new PodWorker(pod, this);
    if (!isStatic(pod) && (!phase || phase === 'Pending') && !pod.metadata?.deletionTimestamp && !this.runtimeKnows(uid)) {
      nw.rejected = admitPod(pod, this.admittedPods(), this.allocatableForAdmission());
      if (nw.rejected) this.log.info('pod rejected', { pod: nw.key, reason: nw.rejected.reason });
    }
    this.workers.set(uid, nw);
    if ((phase === 'Succeeded' || phase === 'Failed') && !pod.metadata?.deletionTimestamp) this.log.debug('adopting finished pod', { pod: nw.key });
    nw.trigger();
  }

  private podGone(uid: string | undefined): void {
    if (!uid) return;
    const w = this.workers.get(uid);
    if (!w) return;
    w.removed = true;
    w.trigger();
  }

  /** The static pod set changed (file source). */
  setStaticPods(pods: Pod[]): void {
    const next = new Map(pods.filter(p => p.metadata?.uid).map(p => [p.metadata!.uid!, p]));
    const touched = new Set<string>();
    for (const [uid, old] of this.staticPods) if (!next.has(uid)) { this.podGone(uid); touched.add(this.mirrorKey(old)); }
    this.staticPods = next;
    this.staticLoaded = true;
    for (const p of next.values()) {
      const w = this.workers.get(p.metadata!.uid!);
      // the file gives no status: keep what this kubelet generated so far
      if (w && !w.removed) w.update({ ...p, status: w.pod.status }); else this.desired(p);
      touched.add(this.mirrorKey(p));
    }
    for (const key of touched) this.syncMirror(key);
  }

  // ---- mirror pods (upstream pod/mirror_client.go, kubelet_pods.go reconcile of mirror pods) ----

  mirrorName(pod: Pod): string {
    const n = pod.metadata?.name ?? '';
    return n.endsWith(`-${this.nodeName.toLowerCase()}`) ? n : `${n}-${this.nodeName.toLowerCase()}`;
  }

  private mirrorKey(pod: Pod): string { return `${pod.metadata?.namespace ?? 'default'}/${this.mirrorName(pod)}`; }

  /** Mirror names whose API object is known to match its static pod. */
  private readonly mirrorsOk = new Set<string>();
  private readonly mirrorQueue = new Map<string, Promise<void>>();

  /** Makes the API object `ns/name` match the static pod of that name (or go away); serialized per name. */
  private syncMirror(key: string): void {
    this.mirrorsOk.delete(key);
    const prev = this.mirrorQueue.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.reconcileMirror(key)).catch(e => {
      this.log.warn('mirror pod not reconciled; will retry', { pod: key, error: (e as Error).message });
    });
    this.mirrorQueue.set(key, next);
    void next.finally(() => { if (this.mirrorQueue.get(key) === next) this.mirrorQueue.delete(key); });
  }

  private async reconcileMirror(key: string): Promise<void> {
    if (this.stopped) return;
    const [ns, name] = key.split('/');
    const st = [...this.staticPods.values()].find(p => this.mirrorKey(p) === key);
    const cur = await this.kube.get<Pod>(resources.pods, ns, name).catch(e => { if (e instanceof StatusError && e.code === 404) return undefined; throw e; });
    const curHash = cur?.metadata?.annotations?.[MIRROR_ANNOTATION];
    const hash = st?.metadata?.uid;
    if (cur && st && curHash === hash && !cur.metadata?.deletionTimestamp) { this.mirrorsOk.add(key); return; }
    if (cur && curHash !== undefined) {
      // outdated, being deleted, or its static pod is gone: the API object goes at once (no containers behind it)
      await this.kube.delete(resources.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: cur.metadata?.uid } })
        .catch(e => { if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e; });
    } else if (cur) {
      this.log.warn('a pod that is not a mirror pod has the static pod\'s name; not replacing it', { pod: key });
      return;
    }
    if (!st) { this.mirrorsOk.add(key); return; }
    const nodeUid = this.o.nodeUid?.();
    if (!nodeUid) throw new Error('node not registered yet');
    const mirror: Pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name, namespace: ns, labels: st.metadata?.labels,
        annotations: { ...(st.metadata?.annotations ?? {}), [MIRROR_ANNOTATION]: hash! },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: nodeUid, controller: true }],
      },
      spec: { ...st.spec!, nodeName: this.nodeName },
    };
    await this.kube.create(resources.pods, ns, mirror);
    this.mirrorsOk.add(key);
    this.written.delete(hash!);
    this.workers.get(hash!)?.trigger();
  }

  /** A mirror pod seen in the API (added, changed, deleted): reconcile its name. */
  private checkMirror(mirror: Pod): void {
    if (!this.staticLoaded) return;
    const key = `${mirror.metadata?.namespace ?? 'default'}/${mirror.metadata?.name}`;
    const st = [...this.staticPods.values()].find(p => this.mirrorKey(p) === key);
    if (this.mirrorsOk.has(key) && st && mirror.metadata?.annotations?.[MIRROR_ANNOTATION] === st.metadata?.uid && !mirror.metadata?.deletionTimestamp) return;
    this.syncMirror(key);
  }

  /** Housekeeping: retry mirrors that could not be written (apiserver down, node not registered yet). */
  private retryMirrors(): void {
    for (const p of this.staticPods.values()) {
      const key = this.mirrorKey(p);
      if (!this.mirrorsOk.has(key) && !this.mirrorQueue.has(key)) this.syncMirror(key);
    }
  }

  // ---- status ----

  /** Writes status to pods/status (the mirror pod for static pods) if it differs from what was written last. */
  async writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const ns = pod.metadata?.namespace ?? 'default';
    const name = isStatic(pod) ? this.mirrorName(pod) : pod.metadata?.name ?? '';
    const sig = stable(status);
    if (this.written.get(uid) === sig) return;
    if (!isStatic(pod) && !this.written.has(uid) && stable(pod.status) === sig) { this.written.set(uid, sig); return; }
    const patch = { status: { ...status, reason: status.reason ?? null, message: status.message ?? null } };
    try {
      await this.kube.patch(resources.pods, ns, name, 'merge', patch, { subresource: 'status' });
      this.written.set(uid, sig);
      const w = this.workers.get(uid);
      if (w) w.pod = { ...w.pod, status };
    } catch (e) {
      this.written.delete(uid);
      if (e instanceof StatusError && e.code === 404) return;
      this.log.warn('status update failed', { pod: `${ns}/${name}`, error: (e as Error).message });
    }
  }

  /** The worker finished terminating: remove the API object (grace 0, uid precondition) and forget the pod. */
  async finishPod(w: PodWorker): Promise<void> {
    const pod = w.pod;
    const uid = w.uid;
    if (!w.removed && !isStatic(pod)) {
      try {
        await this.kube.delete(resources.pods, pod.metadata?.namespace, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (e) {
        if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) {
          this.log.warn('final delete failed; will retry', { pod: w.key, error: (e as Error).message });
          w.trigger(2000);
          return;
        }
      }
    }
    w.stop();
    this.workers.delete(uid);
    this.views.delete(uid);
    this.reasons.delete(uid);
    this.written.delete(uid);
    this.probes.stopPod(uid);
    for (const c of w.knownContainerIds) this.terminationMessages.delete(c);
  }

  // ---- PLEG and housekeeping ----

  private async relist(): Promise<void> {
    const all = await this.runtime.list();
    this.lastRelist = Date.now();
    const byPod = new Map<string, ObservedContainer[]>();
    for (const c of all) { const l = byPod.get(c.podUid) ?? []; l.push(c); byPod.set(c.podUid, l); }
    const seen = new Set<string>();
    for (const [uid, cs] of byPod) {
      seen.add(uid);
      const sig = cs.map(c => `${c.id}:${c.state}`).sort().join(',');
      if (this.relistSig.get(uid) !== sig) {
        this.relistSig.set(uid, sig);
        const w = this.workers.get(uid);
        if (w) { this.views.set(uid, splitRuntime(cs)); w.trigger(); }
      }
    }
    for (const uid of this.relistSig.keys()) if (!seen.has(uid)) { this.relistSig.delete(uid); this.workers.get(uid)?.trigger(); }
  }

  /** Containers of ours whose pod is neither in the API nor static: stopped and removed (HandlePodCleanups). */
  private async housekeeping(): Promise<void> {
    this.backoff.gc(); this.imageBackoff.gc();
    this.retryMirrors();
    if (!this.informer.hasSynced() || !this.staticLoaded) return;
    const all = await this.runtime.list();
    const orphans = all.filter(c => c.podUid && !this.workers.has(c.podUid));
    // re-check against the cache: a pod may have arrived while we listed
    const known = new Set(this.informer.lister.list().map((p: Pod) => p.metadata?.uid));
    const doomed = orphans.filter(c => !known.has(c.podUid) && !this.staticPods.has(c.podUid));
    if (doomed.length) this.log.info('removing containers of pods that are gone', { containers: doomed.map(c => c.dockerName) });
    await Promise.all(doomed.filter(c => c.type === 'container').map(c => this.runtime.stop(c.id, 2).catch(() => undefined)));
    await Promise.all(doomed.map(c => this.runtime.remove(c.id).catch(() => undefined)));
    for (const uid of new Set(doomed.map(c => c.podUid))) {
      try { await this.volumes.tearDownPod(uid); } catch { /* next round */ }
      try { fs.rmSync(path.join(this.rootDir, 'pods', uid), { recursive: true, force: true }); } catch { /* next round */ }
    }
  }

  // ---- admission ----

  /** Pods this kubelet runs or will run: not rejected, not finished, not being removed. */
  private admittedPods(): Pod[] {
    return [...this.workers.values()].filter(w => !w.rejected && !w.removed && w.pod.status?.phase !== 'Succeeded' && w.pod.status?.phase !== 'Failed')
      .map(w => w.pod);
  }

  private allocatableForAdmission(): Allocatable {
    return { cpu: this.allocatable.cpu, memory: this.allocatable.memory, pods: this.o.allocatable.pods ?? 110 };
  }

  /** The runtime already has containers of this pod (a restarted kubelet adopting it): it was admitted before. */
  private runtimeKnows(uid: string): boolean { return this.relistSig.has(uid); }

  /** Service link env for a pod (see service-env.ts). */
  serviceEnv(pod: Pod): Map<string, string> {
    return serviceEnvVars(this.services.lister.list(), pod.metadata?.namespace ?? 'default', pod.spec?.enableServiceLinks !== false);
  }

  /** For the kubelet API (/pods). */
  podsSnapshot(): Pod[] {
    return [...this.workers.values()].map(w => w.pod);
  }

  markStaticLoaded(): void { this.staticLoaded = true; }
}
