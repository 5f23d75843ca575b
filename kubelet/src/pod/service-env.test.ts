import type { Service } from 'kubernetes-types/core/v1';
import { serviceEnvVars } from './service-env';

const svc = (ns: string, name: string, clusterIP: string, ports: any[]): Service => ({ metadata: { namespace: ns, name }, spec: { clusterIP, ports } });

test('docker-links variables for the namespace\'s services and the kubernetes service', () => {
  const all = [
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
    svc('shop', 'redis-main', '10.96.5.6', [{ name: 'redis', port: 6379 }, { name: 'metrics', port: 9121, protocol: 'UDP' }]),
    svc('shop', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'web', '10.96.9.9', [{ port: 80 }]),
  ];
  const env = serviceEnvVars(all, 'shop', true);
  expect(Object.fromEntries(env)).toEqual({
    KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    REDIS_MAIN_SERVICE_HOST: '10.96.5.6', REDIS_MAIN_SERVICE_PORT: '6379', REDIS_MAIN_SERVICE_PORT_REDIS: '6379', REDIS_MAIN_SERVICE_PORT_METRICS: '9121',
    REDIS_MAIN_PORT: 'tcp://10.96.5.6:6379', REDIS_MAIN_PORT_6379_TCP: 'tcp://10.96.5.6:6379', REDIS_MAIN_PORT_6379_TCP_PROTO: 'tcp',
    REDIS_MAIN_PORT_6379_TCP_PORT: '6379', REDIS_MAIN_PORT_6379_TCP_ADDR: '10.96.5.6',
    REDIS_MAIN_PORT_9121_UDP: 'udp://10.96.5.6:9121', REDIS_MAIN_PORT_9121_UDP_PROTO: 'udp', REDIS_MAIN_PORT_9121_UDP_PORT: '9121',
    REDIS_MAIN_PORT_9121_UDP_ADDR: '10.96.5.6',
  });
  // enableServiceLinks: false keeps only the kubernetes service
  expect([...serviceEnvVars(all, 'shop', false).keys()].every(k => k.startsWith('KUBERNETES_'))).toBe(true);
});
