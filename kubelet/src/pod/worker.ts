// One pod's worker (upstream pod_workers.go + kuberuntime SyncPod/killPod + kubelet SyncTerminatingPod):
// syncs are serialized per pod and coalesced (only the latest spec matters); each sync observes Docker,
// computes actions, executes them, and reports status.
import fs from 'node:fs';
import path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ObservedContainer } from '../runtime/docker';
import { computePodActions, latestFor, PodRuntimeView, restartPolicy, specHash, splitRuntime } from './actions';
import { containerOptions, podRef, sandboxOptions } from './config';
import { hostsFileContent, podDns } from './dns';
import { containerEnv, ContainerConfigError } from './env';
import { generatePodStatus } from './status';
import { runHandler } from '../prober/probe';
import type { KubeletCore } from '../kubelet';
import type { Rejection } from './admission';

/** Upstream caps: 4096 bytes from the termination-log file, 80 lines / 2048 bytes of logs as the fallback. */
const MAX_TERMINATION_MESSAGE = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

const MIN_GRACE_SECONDS = 2;
const RESYNC_MS = 10_000;

export class PodWorker {
  pod: Pod;
  /** Gone from its source (API delete seen, or static file removed). */
  removed = false;
  done = false;
  /** Set at admission when the pod does not fit on this node: it is never started. */
  rejected?: Rejection;
  /** Ids of containers seen for this pod (to forget their termination messages). */
  readonly knownContainerIds = new Set<string>();
  private running = false;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private terminating?: Promise<void>;

  constructor(pod: Pod, private readonly k: KubeletCore) { this.pod = pod; }

  get uid(): string { return this.pod.metadata?.uid ?? ''; }
  get key(): string { return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`; }

  update(pod: Pod): void { this.pod = pod; this.trigger(); }

  /** Asks for a sync after delayMs (0 = now); an earlier request wins. */
  trigger(delayMs = 0): void {
    if (this.done) return;
    if (delayMs > 0) {
      if (this.timer) return;
      this.timer = setTimeout(() => { this.timer = undefined; this.trigger(); }, delayMs);
      return;
    }
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    this.dirty = true;
    if (!this.running) void this.loop();
  }

  stop(): void { this.done = true; if (this.timer) clearTimeout(this.timer); }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.done) {
        this.dirty = false;
        let next = RESYNC_MS;
        try {
          next = await this.sync();
        } catch (e) {
          this.k.log.error('pod sync failed', { pod: this.key, error: (e as Error).message });
          next = 2000;
        }
        if (!this.done && next > 0) this.trigger(next);
      }
    } finally { this.running = false; }
  }

  private async observe(): Promise<PodRuntimeView> {
    const view = splitRuntime(await this.k.runtime.list(this.uid));
    this.k.views.set(this.uid, view);
    await this.readTerminationMessages(view);
    return view;
  }

  private isTerminating(): boolean { return this.removed || !!this.pod.metadata?.deletionTimestamp; }

  /** Returns the delay until the next wanted sync. */
  private async sync(): Promise<number> {
    if (this.isTerminating()) { await this.terminate(); return 0; }
    const pod = this.pod;
    if (this.rejected) {
      if (pod.status?.phase !== 'Failed') this.k.event(pod, 'Warning', this.rejected.reason, this.rejected.message);
      await this.k.writeStatus(pod, { ...(pod.status ?? {}), phase: 'Failed', reason: this.rejected.reason, message: this.rejected.message });
      return 0;
    }
    let view = await this.observe();

    const reasons = this.k.reasonsFor(this.uid);
    let podFailure: { reason: string; message: string } | undefined;
    const ads = pod.spec?.activeDeadlineSeconds;
    const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
    if (ads !== undefined && start !== undefined && Date.now() - start > ads * 1000) {
      podFailure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
    }
    const status0 = this.status(view, podFailure);
    if (status0.phase === 'Succeeded' || status0.phase === 'Failed') {
      // terminal: nothing restarts; stop what still runs (the sandbox, or everything on a deadline)
      this.k.probes.stopPod(this.uid);
      if (podFailure && pod.status?.phase !== 'Failed') this.k.event(pod, 'Normal', 'DeadlineExceeded', podFailure.message);
      const live = [...view.containers, ...view.sandboxes].filter(c => c.state === 'running');
      if (live.length) { await this.killAll(view, this.grace()); view = await this.observe(); }
      await this.k.writeStatus(pod, this.status(view, podFailure));
      return 0;
    }
    this.k.probes.ensure(pod);

    // volumes first: a pod whose volumes cannot be set up stays ContainerCreating (FailedMount)
    try {
      await this.k.volumes.setUpPod(pod);
    } catch (e: any) {
      const reason = e?.reason === 'CreateContainerConfigError' ? 'CreateContainerConfigError' : 'FailedMount';
      this.k.event(pod, 'Warning', reason, e?.message ?? String(e));
      await this.k.writeStatus(pod, this.status(view));
      return 5000;
    }

    const actions = computePodActions(pod, view, { failed: this.k.probes.livenessFailed });
    this.k.log.debug('sync', { pod: this.key, actions });
    let retry = RESYNC_MS;
    const want = (ms: number) => { retry = Math.min(retry, Math.max(100, ms)); };

    if (actions.killPod && (view.sandboxes.some(s => s.state === 'running') || view.containers.some(c => c.state === 'running'))) {
      if (actions.createSandbox) this.k.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      await this.killAll(view, this.grace());
      view = await this.observe();
    }
    for (const kill of actions.containersToKill) {
      const spec = this.specOf(kill.name);
      if (kill.reason === 'Unhealthy') this.k.event(pod, 'Normal', 'Killing', kill.message, spec);
      else this.k.event(pod, 'Normal', 'Killing', kill.message, spec);
      const obs = view.containers.find(c => c.id === kill.id);
      if (obs) await this.killContainer(obs, this.probeGrace(spec, kill.reason === 'Unhealthy'));
      this.k.probes.forgetContainer(kill.id);
      view = await this.observe();
    }

    let sandbox = actions.createSandbox ? undefined : view.sandboxes[0];
    const T = (m: string) => this.k.log.debug(`timing ${m}`, { pod: this.key, ms: Math.round(performance.now() - t0) });
    const t0 = performance.now();
    if (actions.createSandbox) {
      sandbox = await this.createSandbox(actions.sandboxAttempt);
      if (!sandbox) return 3000;
      T('sandbox');
      view = { sandboxes: [sandbox, ...view.sandboxes], containers: view.containers };
      this.k.views.set(this.uid, view);
    }
    if (sandbox && sandbox.state === 'running' && (actions.nextInit || actions.containersToStart.length)) {
      this.writeHosts(sandbox);
      if (actions.nextInit) {
        const r = await this.startContainer(this.specOf(actions.nextInit, true)!, true, view, sandbox);
        if (r) want(r);
      }
      for (const name of actions.containersToStart) {
        const r = await this.startContainer(this.specOf(name)!, false, view, sandbox);
        if (r) want(r);
      }
      T('containers');
      view = await this.observe();
      T('observe');
    }
    await this.k.writeStatus(pod, this.status(view, podFailure));
    T('status');
    if (ads !== undefined && start !== undefined) want(start + ads * 1000 - Date.now() + 50);
    for (const r of reasons.values()) if (r.retryAt) want(r.retryAt - Date.now());
    return retry;
  }

  private status(view: PodRuntimeView, podFailure?: { reason: string; message: string }) {
    return generatePodStatus({
      pod: this.pod, view, nodeIP: this.k.nodeIP, reasons: this.k.reasonsFor(this.uid),
      ready: (id, c) => this.k.probes.isReady(id, c), started: (id, c) => this.k.probes.isStarted(id, c),
      terminationMessage: id => this.k.terminationMessages.get(id),
      now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), podFailure,
    });
  }

  private specOf(name: string, init?: boolean): Container | undefined {
    const lists = init === undefined ? [...(this.pod.spec?.containers ?? []), ...(this.pod.spec?.initContainers ?? [])]
      : init ? this.pod.spec?.initContainers ?? [] : this.pod.spec?.containers ?? [];
    return lists.find(c => c.name === name);
  }

  private grace(): number {
    const md = this.pod.metadata as any;
    const g = md?.deletionTimestamp && typeof md.deletionGracePeriodSeconds === 'number'
      ? md.deletionGracePeriodSeconds : this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }

  private probeGrace(c: Container | undefined, probe: boolean): number {
    const pg = probe ? (c?.livenessProbe as any)?.terminationGracePeriodSeconds : undefined;
    return typeof pg === 'number' ? pg : this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  podDir(): string { return path.join(this.k.rootDir, 'pods', this.uid); }

  /** Host file behind a container's terminationMessagePath: one per attempt, so a restart starts empty. */
  private terminationLogFile(name: string, attempt: number): string {
    return path.join(this.podDir(), 'containers', name, `${attempt}.termination-log`);
  }

  /** Reads the termination message of each newly exited container (upstream kuberuntime_container.go getTerminationMessage). */
  private async readTerminationMessages(view: PodRuntimeView): Promise<void> {
    for (const c of view.containers) {
      this.knownContainerIds.add(c.id);
      if (c.state !== 'exited' || this.k.terminationMessages.has(c.id)) continue;
      const spec = this.specOf(c.name);
      let msg = '';
      if (spec?.terminationMessagePath !== '') {
        try {
          const fd = fs.openSync(this.terminationLogFile(c.name, c.attempt), 'r');
          try { const buf = Buffer.alloc(MAX_TERMINATION_MESSAGE); msg = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8'); }
          finally { fs.closeSync(fd); }
        } catch { /* no file: nothing written */ }
      }
      if (!msg && spec?.terminationMessagePolicy === 'FallbackToLogsOnError' && c.exitCode !== 0) {
        msg = await this.k.runtime.logTail(c.id, FALLBACK_LOG_LINES, FALLBACK_LOG_BYTES).catch(() => '');
      }
      this.k.terminationMessages.set(c.id, msg);
    }
  }

  private writeHosts(sandbox: ObservedContainer): void {
    try {
      fs.mkdirSync(this.podDir(), { recursive: true });
      let hostHosts: string | undefined;
      if (this.pod.spec?.hostNetwork) { try { hostHosts = fs.readFileSync('/etc/hosts', 'utf8'); } catch { hostHosts = ''; } }
      const content = hostsFileContent(this.pod, sandbox.ip, this.k.clusterDomain, hostHosts);
      const file = path.join(this.podDir(), 'etc-hosts');
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) fs.writeFileSync(file, content, { mode: 0o644 });
    } catch (e) {
      this.k.log.warn('cannot write the pod hosts file', { pod: this.key, error: (e as Error).message });
    }
  }

  private async createSandbox(attempt: number): Promise<ObservedContainer | undefined> {
    const pod = this.pod;
    const { dns, warnings } = podDns(pod, this.k.clusterDNS, this.k.clusterDomain, this.k.hostDns);
    for (const w of warnings) this.k.event(pod, 'Warning', 'DNSConfigForming', w);
    if (!(await this.k.runtime.imagePresent(this.k.pauseImage))) {
      this.k.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: pause image "${this.k.pauseImage}" is not present on this node and no registry is reachable`);
      return undefined;
    }
    try {
      const id = await this.k.runtime.run(sandboxOptions(pod, this.k.nodeName, attempt, this.k.pauseImage, dns, this.k.nodeIP));
      return await this.k.runtime.inspect(id);
    } catch (e: any) {
      this.k.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${dockerMessage(e)}`);
      return undefined;
    }
  }

  /** Starts one container; returns a retry delay when it could not (backoff, missing image, config error). */
  private async startContainer(c: Container, isInit: boolean, view: PodRuntimeView, sandbox: ObservedContainer): Promise<number | undefined> {
    const pod = this.pod;
    const ref = podRef(pod);
    const reasons = this.k.reasonsFor(this.uid);
    const fail = (reason: string, message: string, retryMs: number, event?: { type: string; reason: string; message: string }) => {
      reasons.set(c.name, { reason, message, retryAt: Date.now() + retryMs });
      if (event) this.k.event(pod, event.type, event.reason, event.message, c);
      return retryMs;
    };
    const prev = view.containers.find(o => o.name === c.name);
    const attempt = prev ? prev.attempt + 1 : 0;

    // crash-loop backoff (keyed by spec hash: a changed container starts fresh)
    if (prev && prev.state !== 'running') {
      const key = `${ref.name}_${ref.namespace}_${ref.uid}_${c.name}_${specHash(c)}`;
      const finished = Date.parse(prev.finishedAt ?? prev.createdAt) || Date.now();
      if (this.k.backoff.isInBackOffSince(key, finished)) {
        const remaining = this.k.backoff.remainingMs(key, finished);
        const secs = Math.round(this.k.backoff.get(key) / 1000);
        return fail('CrashLoopBackOff', `back-off ${secs}s restarting failed container=${c.name} pod=${ref.name}_${ref.namespace}(${ref.uid})`,
          remaining + 50, { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container ' + c.name + ` in pod ${ref.name}_${ref.namespace}(${ref.uid})` });
      }
      this.k.backoff.next(key, finished);
    }

    // image
    const image = c.image ?? '';
    if (!image) return fail('InvalidImageName', 'container has no image', 30_000);
    const policy = c.imagePullPolicy ?? (/:[^/]+$/.test(image) && !image.endsWith(':latest') || image.includes('@') ? 'IfNotPresent' : 'Always');
    const present = await this.k.runtime.imagePresent(image);
    if (policy === 'Never' && !present) {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      return fail('ErrImageNeverPull', msg, 10_000, { type: 'Warning', reason: 'ErrImageNeverPull', message: msg });
    }
    if (policy === 'IfNotPresent' && present) {
      this.k.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, c);
    } else if (policy !== 'Never') {
      // Always (or IfNotPresent and absent): try the registry; when none is reachable a local image is used
      const key = `image_${image}`;
      if (!present && this.k.imageBackoff.isInBackOffSince(key, this.k.imageFailedAt.get(image) ?? 0)) {
        const msg = `Back-off pulling image "${image}"`;
        return fail('ImagePullBackOff', msg, this.k.imageBackoff.remainingMs(key, this.k.imageFailedAt.get(image) ?? 0) + 50,
          { type: 'Normal', reason: 'BackOff', message: msg });
      }
      if (!this.k.images.knownUnreachable(image)) this.k.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, c);
      const out = await this.k.images.pull(image);
      if (out.ok) {
        this.k.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}"`, c);
      } else if (present && out.unreachable) {
        this.k.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine and no registry is reachable; using it`, c);
      } else {
        this.k.imageBackoff.next(key, Date.now());
        this.k.imageFailedAt.set(image, Date.now());
        const msg = out.unreachable
          ? `Failed to pull image "${image}": image is not present on this node and no registry is reachable: ${out.error}`
          : `Failed to pull image "${image}": ${out.error}`;
        return fail('ErrImagePull', msg, 1000, { type: 'Warning', reason: 'Failed', message: msg });
      }
    }

    // config: env, mounts. API pods wait (briefly) for the first service list, as upstream, so their env is complete
    const isStaticPod = pod.metadata?.annotations?.['kubernetes.io/config.source'] === 'file';
    if (!isStaticPod && !this.k.services.hasSynced()) {
      return fail('CreateContainerConfigError', 'services have not yet been read at least once, cannot construct envvars', 300);
    }
    let opts;
    try {
      const termLog = this.terminationLogFile(c.name, attempt);
      if (c.terminationMessagePath !== '') {
        fs.mkdirSync(path.dirname(termLog), { recursive: true });
        fs.writeFileSync(termLog, '', { mode: 0o666 });
        fs.chmodSync(termLog, 0o666); // writable by any container user, as upstream's
      }
      const env = await containerEnv(pod, c, {
        serviceEnv: this.k.serviceEnv(pod),
        configMap: (ns, name) => this.k.getOptional('configmaps', ns, name), secret: (ns, name) => this.k.getOptional('secrets', ns, name),
        podIP: pod.spec?.hostNetwork ? this.k.nodeIP : sandbox.ip, hostIP: this.k.nodeIP, nodeAllocatable: this.k.allocatable,
      });
      const mounts = this.k.volumes.mountsFor(pod, c);
      opts = containerOptions({
        pod, container: c, nodeName: this.k.nodeName, attempt, sandboxId: sandbox.id, isInit, env, mounts,
        hostsFile: path.join(this.podDir(), 'etc-hosts'),
        ...(c.terminationMessagePath !== '' ? { terminationLog: { hostPath: termLog, containerPath: c.terminationMessagePath ?? '/dev/termination-log' } } : {}),
      });
    } catch (e: any) {
      if (e instanceof ContainerConfigError || e?.reason === 'CreateContainerConfigError' || e?.reason === 'FailedMount') {
        const msg = e.message;
        return fail('CreateContainerConfigError', msg, 5000, { type: 'Warning', reason: 'Failed', message: `Error: ${msg}` });
      }
      throw e;
    }
    let id: string;
    try {
      id = await this.k.runtime.create(opts);
    } catch (e) {
      const msg = dockerMessage(e);
      return fail('CreateContainerError', msg, 10_000, { type: 'Warning', reason: 'Failed', message: `Error: ${msg}` });
    }
    this.k.event(pod, 'Normal', 'Created', `Created container ${c.name}`, c);
    try {
      await this.k.runtime.start(id);
    } catch (e) {
      const msg = `failed to start container "${c.name}": ${dockerMessage(e)}`;
      return fail('RunContainerError', msg, 1000, { type: 'Warning', reason: 'Failed', message: `Error: ${msg}` });
    }
    reasons.delete(c.name);
    this.k.event(pod, 'Normal', 'Started', `Started container ${c.name}`, c);

    const post = c.lifecycle?.postStart;
    if (post) {
      const out = await runHandler(post as any, { runtime: this.k.runtime, containerId: id, podIP: sandbox.ip, container: c }, 30_000);
      if (!out.ok) {
        const msg = `PostStartHook failed: ${out.output}`;
        this.k.event(pod, 'Warning', 'FailedPostStartHook', msg, c);
        await this.k.runtime.stop(id, MIN_GRACE_SECONDS);
        reasons.set(c.name, { reason: 'PostStartHookError', message: msg, retryAt: Date.now() + 1000 });
        return 1000;
      }
    }
    return undefined;
  }

  /** preStop, then docker stop with what is left of the grace period (never under 2 s). */
  async killContainer(obs: ObservedContainer, graceSeconds: number): Promise<void> {
    const spec = this.specOf(obs.name);
    const started = Date.now();
    const pre = spec?.lifecycle?.preStop;
    if (pre && obs.state === 'running' && graceSeconds > 0) {
      const out = await runHandler(pre as any, { runtime: this.k.runtime, containerId: obs.id, podIP: this.k.views.get(this.uid)?.sandboxes[0]?.ip, container: spec! }, graceSeconds * 1000);
      if (!out.ok) this.k.event(this.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${out.output}`, spec);
    }
    const left = Math.max(MIN_GRACE_SECONDS, graceSeconds - (Date.now() - started) / 1000);
    await this.k.runtime.stop(obs.id, left);
  }

  /** Kill pod: containers in parallel, then the sandbox. */
  private async killAll(view: PodRuntimeView, graceSeconds: number): Promise<void> {
    await Promise.all(view.containers.filter(c => c.state === 'running').map(c => {
      this.k.event(this.pod, 'Normal', 'Killing', `Stopping container ${c.name}`, this.specOf(c.name));
      return this.killContainer(c, graceSeconds).catch(e => this.k.log.warn('stop failed', { pod: this.key, error: (e as Error).message }));
    }));
    await Promise.all(view.sandboxes.filter(s => s.state === 'running').map(s => this.k.runtime.stop(s.id, MIN_GRACE_SECONDS).catch(() => undefined)));
  }

  /** SyncTerminatingPod + SyncTerminatedPod + the final delete. */
  private terminate(): Promise<void> {
    this.terminating ??= this.doTerminate().finally(() => { this.terminating = undefined; });
    return this.terminating;
  }

  private async doTerminate(): Promise<void> {
    const pod = this.pod;
    this.k.probes.stopPod(this.uid);
    let view = await this.observe();
    await this.killAll(view, this.removed && !pod.metadata?.deletionTimestamp ? MIN_GRACE_SECONDS : this.grace());
    view = await this.observe();
    if (!this.removed) {
      const st = this.status(view);
      if (st.phase !== 'Succeeded' && st.phase !== 'Failed') {
        const allOk = (st.containerStatuses ?? []).every(s => s.state?.terminated?.exitCode === 0 || (!s.state?.terminated && !s.lastState?.terminated && !s.containerID));
        st.phase = allOk && (st.containerStatuses ?? []).some(s => s.state?.terminated) ? 'Succeeded' : 'Failed';
        for (const c of st.conditions ?? []) if (c.type === 'Ready' || c.type === 'ContainersReady') { c.status = 'False'; c.reason = 'PodCompleted'; delete c.message; }
      }
      await this.k.writeStatus(pod, st);
    }
    for (const c of [...view.containers, ...view.sandboxes]) { await this.k.runtime.remove(c.id).catch(() => undefined); this.k.probes.forgetContainer(c.id); }
    try { await this.k.volumes.tearDownPod(this.uid); } catch (e) { this.k.log.warn('volume teardown failed', { pod: this.key, error: (e as Error).message }); }
    try { fs.rmSync(this.podDir(), { recursive: true, force: true }); } catch { /* busy mount: housekeeping retries */ }
    await this.k.finishPod(this);
  }
}

export function dockerMessage(e: any): string {
  const m = e?.json?.message ?? e?.message ?? String(e);
  return String(m).replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

export { restartPolicy, latestFor };
