// hostPort: a pod's port is published on the node's own address only (the kubelet's --node-ip), and answers there.
import { execFileSync } from 'node:child_process';
import { cluster, Cluster, freePort } from '../src/harness';
import { apply, getPod, KubeletHandle, podManifest, removeNodeContainers, startKubelet, waitFor } from './kubelet-core-harness';

jest.setTimeout(120_000);
let c: Cluster;
let k: KubeletHandle;

beforeAll(async () => {
  c = await cluster();
  k = await startKubelet(c); // default --node-ip: loopback
});
afterAll(async () => {
  await k?.stop();
  if (k) { removeNodeContainers(k.nodeName); k.cleanup(); }
  await c?.teardown();
});

test('a hostPort is bound on the node IP (127.0.0.1), not on every address, and reaches the container', async () => {
  const hostPort = await freePort();
  await apply(c, podManifest('mk8s-test-hostport', k.nodeName, {
    containers: [{
      name: 'web', image: 'busybox:1.28', ports: [{ containerPort: 8080, hostPort }],
      command: ['sh', '-c', 'mkdir -p /www && echo via-hostport > /www/index.html && exec httpd -f -p 8080 -h /www'],
    }],
  }));
  await waitFor(async () => (await getPod(c, 'mk8s-test-hostport'))?.status?.phase === 'Running', 60_000, 'pod Running');
  const body = await waitFor(async () => {
    try { return await (await fetch(`http://127.0.0.1:${hostPort}/`)).text(); } catch { return undefined; }
  }, 20_000, 'hostPort answering');
  expect(body.trim()).toBe('via-hostport');
  // Docker publishes it on 127.0.0.1 only.
  const ports = execFileSync('docker', ['ps', '--filter', `label=mk8s.kubelet.node=${k.nodeName}`, '--filter', 'label=io.kubernetes.container.name=POD', '--format', '{{.Ports}}']).toString();
  expect(ports).toContain(`127.0.0.1:${hostPort}->8080/tcp`);
  expect(ports).not.toContain(`0.0.0.0:${hostPort}`);
});
