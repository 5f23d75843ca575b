// Prometheus metrics as upstream names them (apiserver_request_total, ..._duration_seconds, watchers, etcd latency).
import client from 'prom-client';

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({ name: 'apiserver_request_total', help: 'Requests by verb, resource and HTTP code.', labelNames: ['verb', 'resource', 'code'], registers: [registry] });
  const latency = new client.Histogram({
    name: 'apiserver_request_duration_seconds', help: 'Response latency by verb and resource.', labelNames: ['verb', 'resource'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry],
  });
  const watchers = new client.Gauge({ name: 'apiserver_registered_watchers', help: 'Open watches by resource.', labelNames: ['resource'], registers: [registry] });
  const watchesTotal = new client.Counter({ name: 'apiserver_watch_requests_total', help: 'Watches opened by resource.', labelNames: ['resource'], registers: [registry] });
  const etcdLatency = new client.Histogram({
    name: 'etcd_request_duration_seconds', help: 'etcd request latency by operation.', labelNames: ['operation'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [registry],
  });
  return {
    registry,
    observeRequest(verb: string, resource: string, code: number, seconds: number) {
      requests.inc({ verb: verb.toUpperCase(), resource, code: String(code) });
      latency.observe({ verb: verb.toUpperCase(), resource }, seconds);
    },
    watch: {
      opened(resource: string) { watchers.inc({ resource }); watchesTotal.inc({ resource }); requests.inc({ verb: 'WATCH', resource, code: '200' }); },
      closed(resource: string) { watchers.dec({ resource }); },
    },
    observeEtcd(operation: string, seconds: number) { etcdLatency.observe({ operation }, seconds); },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
