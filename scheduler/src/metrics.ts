// Scheduler metrics (names as upstream's pkg/scheduler/metrics): attempts by result, the end-to-end pod
// scheduling latency (first enqueue to bound), the algorithm's per-attempt latency, queue lengths, cache size.
import client from 'prom-client';

export interface QueueLengths { active: number; backoff: number; unschedulable: number; gated: number }

export class SchedulerMetrics {
  readonly registry = new client.Registry();
  readonly attempts: client.Counter<'result' | 'profile'>;
  readonly podSchedulingSLI: client.Histogram<'attempts'>;
  readonly attemptDuration: client.Histogram<'result' | 'profile'>;
  readonly bindings: client.Counter<'result'>;
  readonly preemptionVictims: client.Counter<string>;

  constructor(queueLengths: () => QueueLengths, cacheSize: () => { nodes: number; pods: number; assumed: number }) {
    const registers = [this.registry];
    this.attempts = new client.Counter({ name: 'scheduler_schedule_attempts_total', help: 'Number of attempts to schedule pods, by the result.', labelNames: ['result', 'profile'], registers });
    this.podSchedulingSLI = new client.Histogram({
      name: 'scheduler_pod_scheduling_sli_duration_seconds', help: 'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue until it is bound.',
      labelNames: ['attempts'], buckets: client.exponentialBuckets(0.01, 2, 20), registers,
    });
    this.attemptDuration = new client.Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds', help: 'Scheduling attempt latency in seconds (scheduling algorithm).',
      labelNames: ['result', 'profile'], buckets: client.exponentialBuckets(0.0001, 2, 18), registers,
    });
    this.bindings = new client.Counter({ name: 'scheduler_binding_total', help: 'Binding requests by result.', labelNames: ['result'], registers });
    this.preemptionVictims = new client.Counter({ name: 'scheduler_preemption_victims_total', help: 'Pods evicted by preemption.', registers });
    new client.Gauge({
      name: 'scheduler_pending_pods', help: 'Number of pending pods, by the queue type.', labelNames: ['queue'], registers,
      collect() {
        const l = queueLengths();
        this.set({ queue: 'active' }, l.active); this.set({ queue: 'backoff' }, l.backoff);
        this.set({ queue: 'unschedulable' }, l.unschedulable); this.set({ queue: 'gated' }, l.gated);
      },
    });
    new client.Gauge({
      name: 'scheduler_cache_size', help: 'Number of nodes, pods, and assumed (bound) pods in the scheduler cache.', labelNames: ['type'], registers,
      collect() {
        const c = cacheSize();
        this.set({ type: 'nodes' }, c.nodes); this.set({ type: 'pods' }, c.pods); this.set({ type: 'assumed_pods' }, c.assumed);
      },
    });
  }
}
