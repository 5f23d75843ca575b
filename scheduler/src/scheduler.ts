// The scheduler (upstream scheduler.go, eventhandlers.go, schedule_one.go): informers feed the cache (assigned
// pods, nodes) and the queue (pending pods of our profiles); one loop pops a pod, runs the synchronous scheduling
// cycle, assumes the pod on the chosen node and starts the binding without waiting for it, so the next pod is
// scheduled while the bind round-trip runs. Failures become a FailedScheduling event, a PodScheduled=False
// condition and a place in the unschedulable set until a cluster event may help.
import { setImmediate as yieldToIO } from 'node:timers/promises';
import {
  EventRecorder, eventSink, KubeClient, LabelSelector, Logger, resources, selectorFromLabelSelector, selectorFromSet,
  SharedInformer, StatusError, unwrapTombstone,
} from '@mk8s/apimachinery';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { Cache } from './cache';
import type { SchedulerConfig } from './config';
import { ClusterEvent, Code } from './framework';
import { SchedulerMetrics } from './metrics';
import { podKey, podName } from './podinfo';
import { defaultBinder } from './plugins/defaultbinder';
import { Profile, ScheduleResult } from './profile';
import { QueuedPodInfo, SchedulingQueue } from './queue';

export interface SchedulerOptions {
  kube: KubeClient;
  config: SchedulerConfig;
  log: Logger;
  /** Bindings allowed in flight at once (upstream binds in goroutines; this bounds memory). */
  bindConcurrency?: number;
  random?: () => number;
  identity?: string;
}

const isAssigned = (p: Pod) => !!p.spec?.nodeName;
const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class Scheduler {
  readonly cache = new Cache();
  readonly queue: SchedulingQueue;
  readonly profiles = new Map<string, Profile>();
  readonly metrics: SchedulerMetrics;
  readonly pods: SharedInformer<any>;
  readonly nodes: SharedInformer<any>;
  private readonly namespaces: SharedInformer<any>;
  private readonly services: SharedInformer<any>;
  private readonly replicasets: SharedInformer<any>;
  private readonly recorder: EventRecorder;
  private readonly binder;
  private readonly interested = new Map<ClusterEvent, Set<string>>();
  private bindsInFlight = 0;
  private bindSlotWaiters: (() => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly opts: SchedulerOptions) {
    const { kube, config } = opts;
    this.log = opts.log;
    this.binder = defaultBinder(kube);
    this.recorder = new EventRecorder(eventSink(kube), { component: 'default-scheduler' }, {
      onError: (err, what) => this.log.debug('event not recorded', { what, error: (err as Error).message }),
    });
    const handle = {
      cache: this.cache,
      namespaceLabels: (ns: string) => this.cache.namespaceLabels.get(ns),
      ownerSelector: (pod: Pod) => this.ownerSelector(pod),
    };
    for (const p of config.profiles) this.profiles.set(p.schedulerName, new Profile(p, handle, config.percentageOfNodesToScore, opts.random));
    const first = [...this.profiles.values()][0];
    this.queue = new SchedulingQueue({
      less: first.queueSort.less!,
      preEnqueue: pod => this.profileFor(pod)?.preEnqueue(pod) ?? null,
      initialBackoffMs: config.podInitialBackoffSeconds * 1000,
      maxBackoffMs: config.podMaxBackoffSeconds * 1000,
      onBadPod: (pod, err) => this.reportUnparsable(pod, err),
    });
    this.metrics = new SchedulerMetrics(() => this.queue.lengths(),
      () => ({ nodes: this.cache.nodeCount(), pods: this.cache.podCount(), assumed: this.cache.assumedCount() }));

    const ignore = () => undefined;
    this.pods = new SharedInformer<any>(kube.listWatcher(resources.pods), { name: 'pods', onError: ignore });
    this.nodes = new SharedInformer<any>(kube.listWatcher(resources.nodes), { name: 'nodes' });
    this.namespaces = new SharedInformer<any>(kube.listWatcher(resources.namespaces), { name: 'namespaces' });
    this.services = new SharedInformer<any>(kube.listWatcher(resources.services), { name: 'services' });
    this.replicasets = new SharedInformer<any>(kube.listWatcher(resources.replicasets), { name: 'replicasets' });
    this.wireHandlers();
  }

  private profileFor(pod: Pod): Profile | undefined { return this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler'); }

  private pluginsFor(event: ClusterEvent): Set<string> {
    let s = this.interested.get(event);
    if (!s) {
      s = new Set();
      for (const p of this.profiles.values()) for (const n of p.pluginsFor(event)) s.add(n);
      this.interested.set(event, s);
    }
    return s;
  }

  private move(...events: ClusterEvent[]) {
    const plugins = new Set<string>();
    for (const e of events) for (const p of this.pluginsFor(e)) plugins.add(p);
    this.queue.moveOnEvent(plugins);
  }

  private wireHandlers() {
    const safe = (what: string, fn: () => void) => {
      try { fn(); } catch (e) { this.log.error(`${what} failed`, { error: (e as Error).message }); }
    };
    this.pods.addEventHandler({
      add: (pod: Pod) => safe('pod add', () => {
        if (isAssigned(pod)) {
          if (isTerminal(pod)) return;
          this.cache.addPod(pod);
          this.move('AssignedPodAdd');
        } else if (this.profileFor(pod) && !pod.metadata?.deletionTimestamp) this.queue.add(pod);
      }),
      update: (old: Pod, pod: Pod) => safe('pod update', () => {
        if (old === pod) return; // resync
        if (isAssigned(pod)) {
          if (!isAssigned(old)) this.queue.delete(old);
          if (isTerminal(pod)) {
            if (this.cache.hasPod(podKey(pod))) { this.cache.removePod(pod); this.move('AssignedPodDelete'); }
            return;
          }
          this.cache.updatePod(old, pod);
          if (!isAssigned(old)) this.move('AssignedPodAdd');
          else if (JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels)) this.move('AssignedPodUpdate');
        } else if (this.profileFor(pod)) {
          if (pod.metadata?.deletionTimestamp) this.queue.delete(pod);
          else this.queue.update(old, pod);
        }
      }),
      delete: (obj: any) => safe('pod delete', () => {
        const pod = unwrapTombstone<Pod>(obj);
        if (isAssigned(pod)) {
          if (!this.cache.hasPod(podKey(pod))) return;
          this.cache.removePod(pod);
          this.move('AssignedPodDelete');
        } else this.queue.delete(pod);
      }),
    });
    this.nodes.addEventHandler({
      add: (node: Node) => safe('node add', () => { this.cache.addNode(node); this.move('NodeAdd'); }),
      update: (old: Node, node: Node) => safe('node update', () => {
        if (old === node) return;
        this.cache.updateNode(old, node);
        const events = nodeChanges(old, node);
        if (events.length) this.move(...events);
      }),
      delete: (obj: any) => safe('node delete', () => this.cache.removeNode(unwrapTombstone<Node>(obj))),
    });
    const nsSet = (ns: any) => this.cache.namespaceLabels.set(ns.metadata.name, ns.metadata.labels ?? {});
    this.namespaces.addEventHandler({
      add: nsSet,
      update: (_o: any, ns: any) => nsSet(ns),
      delete: (obj: any) => this.cache.namespaceLabels.delete(unwrapTombstone<any>(obj).metadata.name),
    });
  }

  /** Services selecting the pod and its controlling ReplicaSet, merged (helper.DefaultSelector). */
  private ownerSelector(pod: Pod): LabelSelector | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    const labels = pod.metadata?.labels ?? {};
    let sel: LabelSelector | undefined;
    const merge = (s: LabelSelector) => { sel = sel ? sel.add(...s.requirements) : s; };
    for (const svc of this.services.lister.listNamespace(ns)) {
      const s = svc.spec?.selector;
      if (s && Object.keys(s).length && selectorFromSet(s).matches(labels)) merge(selectorFromSet(s));
    }
    const owner = (pod.metadata?.ownerReferences ?? []).find(o => o.controller && o.kind === 'ReplicaSet');
    if (owner) {
      const rs = this.replicasets.lister.get(ns, owner.name);
      if (rs?.spec?.selector) { try { merge(selectorFromLabelSelector(rs.spec.selector)); } catch { /* invalid selector: no default spreading */ } }
    }
    return sel;
  }

  private reportUnparsable(pod: Pod, err: Error) {
    this.log.warn('pod cannot be scheduled: unparsable spec', { pod: podName(pod), error: err.message });
    this.recorder.event(pod as any, 'Warning', 'FailedScheduling', `pod spec cannot be parsed: ${err.message}`);
  }

  /** Starts the informers (before leadership, so a new leader has a warm cache). */
  startInformers(): void {
    for (const i of [this.namespaces, this.services, this.replicasets, this.nodes, this.pods]) i.run();
    this.queue.run();
  }

  informersSynced(): boolean {
    return [this.namespaces, this.services, this.replicasets, this.nodes, this.pods].every(i => i.hasSynced());
  }

  async waitForSync(signal: AbortSignal): Promise<boolean> {
    for (const i of [this.namespaces, this.services, this.replicasets, this.nodes, this.pods]) if (!(await i.waitForSync(signal))) return false;
    return true;
  }

  /** The scheduling loop; returns when the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.close(), { once: true });
    if (!(await this.waitForSync(signal))) return;
    this.log.info('scheduling', { profiles: [...this.profiles.keys()], nodes: this.cache.nodeCount() });
    const limit = this.opts.bindConcurrency ?? 256;
    for (;;) {
      const q = await this.queue.pop();
      if (!q || signal.aborted) return;
      this.scheduleOne(q);
      // let watch events and bind responses in between pods; wait when too many binds are in flight
      await yieldToIO();
      while (this.bindsInFlight >= limit) await new Promise<void>(r => this.bindSlotWaiters.push(r));
    }
  }

  stop(): void {
    this.queue.close();
    for (const i of [this.namespaces, this.services, this.replicasets, this.nodes, this.pods]) i.stop();
    this.recorder.shutdown();
  }

  /** One scheduling cycle (synchronous) and the start of its binding cycle. */
  scheduleOne(q: QueuedPodInfo): void {
    const pod = q.info.pod;
    const profile = this.profileFor(pod);
    // deleted meanwhile, or already in the cache (bound/assumed): nothing to do
    if (!profile || pod.metadata?.deletionTimestamp || this.cache.hasPod(q.key)) { this.queue.done(q.key); return; }
    const t0 = performance.now();
    let result: ScheduleResult;
    try {
      result = profile.schedule(q.info, this.cache.nodeList());
    } catch (e) {
      this.metrics.attempts.inc({ result: 'error', profile: profile.name });
      this.recordFailure(q, 'SchedulerError', (e as Error).message);
      this.queue.addBackoff(q);
      return;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (!result.ok) {
      this.metrics.attempts.inc({ result: 'unschedulable', profile: profile.name });
      this.metrics.attemptDuration.observe({ result: 'unschedulable', profile: profile.name }, seconds);
      this.handleUnschedulable(q, result);
      return;
    }
    this.metrics.attempts.inc({ result: 'scheduled', profile: profile.name });
    this.metrics.attemptDuration.observe({ result: 'scheduled', profile: profile.name }, seconds);
    this.cache.assumePod(q.info, result.node);
    this.bindsInFlight++;
    void this.bind(q, result.node).finally(() => {
      this.bindsInFlight--;
      this.bindSlotWaiters.shift()?.();
    });
  }

  private async bind(q: QueuedPodInfo, node: string): Promise<void> {
    const pod = q.info.pod;
    try {
      await this.binder.bind(pod, node);
    } catch (e) {
      this.cache.forgetPod(q.key);
      this.move('AssignedPodDelete'); // what it held on the node is free again
      this.metrics.bindings.inc({ result: 'error' });
      const gone = e instanceof StatusError && (e.code === 404 || e.code === 409);
      if (gone) { this.queue.done(q.key); return; } // bound by someone else or deleted: not ours any more
      this.log.warn('binding failed', { pod: podName(pod), node, error: (e as Error).message });
      this.recordFailure(q, 'SchedulerError', `Binding rejected: ${(e as Error).message}`);
      this.queue.addBackoff(q);
      return;
    }
    this.cache.finishBinding(q.key);
    this.queue.done(q.key);
    this.metrics.bindings.inc({ result: 'ok' });
    this.metrics.podSchedulingSLI.observe({ attempts: String(Math.min(q.attempts, 15)) }, (Date.now() - q.initialTimestamp) / 1000);
    this.recorder.event(pod as any, 'Normal', 'Scheduled', `Successfully assigned ${podName(pod)} to ${node}`);
  }

  private handleUnschedulable(q: QueuedPodInfo, r: Extract<ScheduleResult, { ok: false }>) {
    this.log.debug('unschedulable', { pod: podName(q.info.pod), message: r.message });
    this.recordFailure(q, 'Unschedulable', r.message, r.nominatedNodeName);
    if (r.victims?.length) void this.preempt(q.info.pod, r.nominatedNodeName!, r.victims);
    this.queue.addUnschedulable(q, r.code === Code.Error ? new Set() : r.rejectors);
  }

  /** FailedScheduling event and PodScheduled=False (patched only when it changes). */
  private recordFailure(q: QueuedPodInfo, reason: 'Unschedulable' | 'SchedulerError', message: string, nominatedNodeName?: string) {
    const pod = q.info.pod;
    this.recorder.event(pod as any, 'Warning', 'FailedScheduling', message);
    const current = (pod.status?.conditions ?? []).find(c => c.type === 'PodScheduled');
    const sameCondition = current?.status === 'False' && current.reason === reason && current.message === message;
    const nominated = nominatedNodeName ?? pod.status?.nominatedNodeName;
    if (sameCondition && nominated === pod.status?.nominatedNodeName) return;
    const status: Record<string, unknown> = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    };
    if (nominatedNodeName) status.nominatedNodeName = nominatedNodeName;
    this.opts.kube.patch(resources.pods, pod.metadata?.namespace, pod.metadata!.name!, 'strategic', { status }, { subresource: 'status' })
      .catch(e => this.log.warn('cannot update pod condition', { pod: podName(pod), error: (e as Error).message }));
  }

  /** Evicts preemption victims: DisruptionTarget condition, then delete; the preemptor waits for the deletes. */
  private async preempt(preemptor: Pod, node: string, victims: Pod[]) {
    for (const v of victims) {
      const ns = v.metadata?.namespace; const name = v.metadata!.name!;
      try {
        await this.opts.kube.patch(resources.pods, ns, name, 'strategic', { status: { conditions: [{
          type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler',
          message: `${preemptor.spec?.schedulerName ?? 'default-scheduler'}: preempting to accommodate a higher priority pod`,
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, { subresource: 'status' });
        await this.opts.kube.delete(resources.pods, ns, name, { preconditions: { uid: v.metadata?.uid } });
        this.metrics.preemptionVictims.inc();
        this.recorder.event(v as any, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid} on node ${node}`);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) this.log.warn('preemption: cannot evict victim', { victim: `${ns}/${name}`, error: (e as Error).message });
      }
    }
  }

  /** Waits until recorded events are written (tests, shutdown). */
  flushEvents(): Promise<void> { return this.recorder.flush(); }
}

/** Which cluster events a node update amounts to (upstream nodeSchedulingPropertiesChange). */
export function nodeChanges(old: Node, node: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const j = (x: unknown) => JSON.stringify(x ?? null);
  if (old.spec?.unschedulable && !node.spec?.unschedulable) out.push('NodeSchedulable');
  if (j(old.status?.allocatable) !== j(node.status?.allocatable)) out.push('NodeAllocatable');
  if (j(old.metadata?.labels) !== j(node.metadata?.labels)) out.push('NodeLabel');
  if (j(old.spec?.taints) !== j(node.spec?.taints)) out.push('NodeTaint');
  if (j(old.status?.conditions?.map(c => [c.type, c.status])) !== j(node.status?.conditions?.map(c => [c.type, c.status]))) out.push('NodeCondition');
  if (j(old.status?.images) !== j(node.status?.images)) out.push('NodeImages');
  return out;
}
