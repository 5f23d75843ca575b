// prom-client binding for the workqueue metric hooks, with client-go's metric names and `name` label.
import { Counter, Gauge, Histogram, Registry, register as defaultRegistry } from 'prom-client';
import type { WorkqueueMetrics } from './workqueue';

interface Families { depth: Gauge; adds: Counter; latency: Histogram; work: Histogram; retries: Counter }
// prom-client refuses to register a name twice, so families are created once per registry and shared by queues
const families = new WeakMap<Registry, Families>();

// client-go's buckets: 10^-8 .. 10^1 seconds
const buckets = Array.from({ length: 10 }, (_, i) => 10 ** (i - 8));

function familiesFor(registry: Registry): Families {
  let f = families.get(registry);
  if (!f) {
    const registers = [registry];
    f = {
      depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers }),
      adds: new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers }),
      latency: new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested.', labelNames: ['name'], buckets, registers }),
      work: new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.', labelNames: ['name'], buckets, registers }),
      retries: new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers }),
    };
    families.set(registry, f);
  }
  return f;
}

/** Metric hooks for the queue called `name`, registered in `registry` (prom-client's default one if omitted). */
export function promWorkqueueMetrics(name: string, registry: Registry = defaultRegistry): WorkqueueMetrics {
  const f = familiesFor(registry);
  const labels = { name };
  return {
    depth: n => f.depth.set(labels, n),
    add: () => f.adds.inc(labels),
    queueLatency: s => f.latency.observe(labels, s),
    workDuration: s => f.work.observe(labels, s),
    retry: () => f.retries.inc(labels),
  };
}
