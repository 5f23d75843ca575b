// Pod features end to end: probes, multi-container pods, namespaces shared through the sandbox, env sources,
// preStop + graceful delete, kubelet SIGKILL/restart adoption, and bad input ending as clear reasons.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cluster, Cluster } from '../src/harness';
import {
  apply, dockerExec, events, getPod, KubeletHandle, nodeContainers, podManifest, removeNodeContainers, startKubelet, waitFor,
} from './kubelet-core-harness';

jest.setTimeout(120_000);
let c: Cluster;
let k: KubeletHandle;
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-kubelet-core-host-'));

beforeAll(async () => {
  c = await cluster();
  k = await startKubelet(c);
});
afterAll(async () => {
  if (process.env.MK8S_KUBELET_LOG) fs.writeFileSync(process.env.MK8S_KUBELET_LOG, k?.logs() ?? '');
  await k?.stop();
  if (k) { removeNodeContainers(k.nodeName); k.cleanup(); }
  await c?.teardown();
  fs.rmSync(hostDir, { recursive: true, force: true });
});

const running = (name: string) => waitFor(async () => {
  const p = await getPod(c, name);
  return p?.status?.phase === 'Running' && p.status.containerStatuses?.every((s: any) => s.state?.running) ? p : undefined;
}, 30_000, `${name} Running`);

/** The running docker container of a pod's container. */
const containerOf = (pod: string, name: string) =>
  nodeContainers(k.nodeName, [`label=io.kubernetes.pod.name=${pod}`, `label=io.kubernetes.container.name=${name}`, 'status=running'])[0]?.id;

test('liveness exec failure restarts the container with Unhealthy and Killing events', async () => {
  await apply(c, podManifest('mk8s-test-liveness', k.nodeName, {
    containers: [{
      name: 'liveness', image: 'busybox:1.28', args: ['/bin/sh', '-c', 'touch /tmp/healthy; sleep 3; rm -f /tmp/healthy; sleep 600'],
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2 },
    }],
  }));
  const p = await waitFor(async () => {
    const x = await getPod(c, 'mk8s-test-liveness');
    return x?.status?.containerStatuses?.[0]?.restartCount >= 1 ? x : undefined;
  }, 40_000, 'restartCount >= 1');
  expect(p.status.containerStatuses[0].lastState.terminated).toBeDefined();
  const evs = await events(c, 'mk8s-test-liveness');
  const unhealthy = evs.find(e => e.reason === 'Unhealthy');
  expect(unhealthy?.message).toMatch(/^Liveness probe failed: cat: can't open '\/tmp\/healthy'/);
  expect(evs.find(e => e.reason === 'Killing')?.message).toBe('Container liveness failed liveness probe, will be restarted');
});

test('two containers talk over localhost; shareProcessNamespace shows the other container; hostAliases in /etc/hosts', async () => {
  await apply(c, podManifest('mk8s-test-duo', k.nodeName, {
    shareProcessNamespace: true,
    hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
    containers: [
      { name: 'web', image: 'busybox:1.28', command: ['sh', '-c', 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www'] },
      { name: 'client', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3601'] },
    ],
  }));
  const pod = await running('mk8s-test-duo');
  const client = containerOf('mk8s-test-duo', 'client');
  const body = await waitFor(async () => dockerExec(client, ['timeout', '5', 'wget', '-qO-', 'http://127.0.0.1:8080/']).trim(), 10_000, 'wget over localhost');
  expect(body).toBe('hello');
  const ps = dockerExec(client, ['ps']);
  expect(ps).toMatch(/httpd -f -p 8080/);
  const hosts = dockerExec(client, ['cat', '/etc/hosts']);
  expect(hosts).toMatch(/^# Kubernetes-managed hosts file\./);
  expect(hosts).toContain('10.1.2.3\tfoo.local\tbar.local');
  expect(hosts).toContain(`${pod.status.podIP}\tmk8s-test-duo`);
  expect(dockerExec(client, ['hostname']).trim()).toBe('mk8s-test-duo');
  const resolv = dockerExec(client, ['cat', '/etc/resolv.conf']);
  expect(resolv).toMatch(/^nameserver 10\.96\.0\.10$/m);
  expect(resolv).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
  expect(resolv).toMatch(/^options ndots:5$/m);
  const ready = await waitFor(async () => (await getPod(c, 'mk8s-test-duo'))?.status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True', 10_000, 'Ready');
  expect(ready).toBe(true);
});

test('env from configMap, secret, downward API, envFrom and $(VAR) expansion', async () => {
  await c.kubectl(['create', 'configmap', 'mk8s-test-cm', '--from-literal=color=blue', '--from-literal=size=L']);
  await c.kubectl(['create', 'secret', 'generic', 'mk8s-test-sec', '--from-literal=password=s3cr3t']);
  await apply(c, podManifest('mk8s-test-env', k.nodeName, {
    containers: [{
      name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'],
      resources: { limits: { memory: '64Mi' } },
      envFrom: [{ configMapRef: { name: 'mk8s-test-cm' }, prefix: 'CM_' }],
      env: [
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'mk8s-test-cm', key: 'color' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'mk8s-test-sec', key: 'password' } } },
        { name: 'MAYBE', valueFrom: { secretKeyRef: { name: 'mk8s-test-nosuch', key: 'x', optional: true } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'GREETING', value: '$(COLOR)-$(POD_NAME)-$$(COLOR)-$(UNDEFINED)' },
      ],
    }],
  }));
  const pod = await running('mk8s-test-env');
  const env = dockerExec(containerOf('mk8s-test-env', 'app'), ['env']);
  const vars = Object.fromEntries(env.trim().split('\n').map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  expect(vars).toMatchObject({
    CM_color: 'blue', CM_size: 'L', COLOR: 'blue', PASSWORD: 's3cr3t', POD_NAME: 'mk8s-test-env', POD_IP: pod.status.podIP,
    NODE: k.nodeName, MEM_MI: '64', GREETING: 'blue-mk8s-test-env-$(COLOR)-$(UNDEFINED)',
  });
  expect(vars.MAYBE).toBeUndefined();
  const mem = execFileSync('docker', ['inspect', '-f', '{{.HostConfig.Memory}}', containerOf('mk8s-test-env', 'app')], { encoding: 'utf8' }).trim();
  expect(mem).toBe(String(64 * 1024 * 1024));
});

test('graceful delete runs preStop, stops the containers, then the kubelet removes the object', async () => {
  await apply(c, podManifest('mk8s-test-prestop', k.nodeName, {
    terminationGracePeriodSeconds: 5,
    containers: [{
      name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
      lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye-from-prestop > /host/prestop'] } } },
      volumeMounts: [{ name: 'host', mountPath: '/host' }],
    }],
    volumes: [{ name: 'host', hostPath: { path: hostDir, type: 'Directory' } }],
  }));
  await running('mk8s-test-prestop');
  const t0 = Date.now();
  const del = await c.kubectl(['delete', 'pod', 'mk8s-test-prestop', '--wait=true', '--timeout=30s']);
  expect(del.code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect(fs.readFileSync(path.join(hostDir, 'prestop'), 'utf8').trim()).toBe('bye-from-prestop');
  expect((await getPod(c, 'mk8s-test-prestop'))).toBeUndefined();
  expect(nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-prestop'])).toHaveLength(0);
});

test('kubelet SIGKILL + restart adopts running containers (no duplicates) and cleans up what was deleted meanwhile', async () => {
  await apply(c, podManifest('mk8s-test-adopt', k.nodeName, { containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'] }] }));
  await apply(c, podManifest('mk8s-test-gone', k.nodeName, { containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'] }] }));
  await running('mk8s-test-adopt');
  await running('mk8s-test-gone');
  const before = nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-adopt']).map(x => x.id).sort();
  expect(before).toHaveLength(2);
  await k.kill9();
  const del = await c.kubectl(['delete', 'pod', 'mk8s-test-gone', '--force', '--grace-period=0']);
  expect(del.code).toBe(0);
  await k.start();
  await waitFor(async () => nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-gone']).length === 0, 20_000, 'orphan containers removed');
  await new Promise(r => setTimeout(r, 2500)); // a few sync rounds
  const after = nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-adopt']);
  expect(after.map(x => x.id).sort()).toEqual(before);
  expect(after.every(x => x.state === 'running')).toBe(true);
  const p = await getPod(c, 'mk8s-test-adopt');
  expect(p.status.containerStatuses[0]).toMatchObject({ restartCount: 0, ready: true });
});

test('bad input ends as clear reasons while other pods keep running', async () => {
  const good = 'mk8s-test-good';
  await apply(c, podManifest(good, k.nodeName, { containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'] }] }));
  const sleepC = (extra: Record<string, unknown>) => ({ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'], ...extra });
  await apply(c, podManifest('mk8s-test-noimage', k.nodeName, { containers: [{ name: 'app', image: 'mk8s-test/does-not-exist:1.0' }] }));
  await apply(c, podManifest('mk8s-test-neverpull', k.nodeName, { containers: [{ name: 'app', image: 'mk8s-test/does-not-exist:1.0', imagePullPolicy: 'Never' }] }));
  await apply(c, podManifest('mk8s-test-nocm', k.nodeName, { containers: [sleepC({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'mk8s-test-missing', key: 'k' } } }] })] }));
  await apply(c, podManifest('mk8s-test-badprobe', k.nodeName, { containers: [sleepC({ readinessProbe: { httpGet: { port: 9999, path: '/' }, periodSeconds: 1 } })] }));
  await apply(c, podManifest('mk8s-test-nocmd', k.nodeName, { containers: [{ name: 'app', image: 'busybox:1.28', command: ['/no/such/binary'] }] }));
  await apply(c, podManifest('mk8s-test-4mi', k.nodeName, { containers: [sleepC({ resources: { limits: { memory: '4Mi' } } })] }));

  const waitingReason = (name: string, want: RegExp) => waitFor(async () => {
    const s = (await getPod(c, name))?.status?.containerStatuses?.[0];
    const r = s?.state?.waiting?.reason;
    return r && want.test(r) ? s : undefined;
  }, 30_000, `${name} waiting ${want}`);

  const noimage = await waitingReason('mk8s-test-noimage', /^(ErrImagePull|ImagePullBackOff)$/);
  expect(noimage.state.waiting.message).toMatch(/mk8s-test\/does-not-exist:1\.0|Back-off pulling image/);
  await waitingReason('mk8s-test-noimage', /^ImagePullBackOff$/);
  const ev = await events(c, 'mk8s-test-noimage');
  expect(ev.find(e => e.reason === 'Failed')?.message).toMatch(/not present on this node and no registry is reachable/);

  const never = await waitingReason('mk8s-test-neverpull', /^ErrImageNeverPull$/);
  expect(never.state.waiting.message).toBe('Container image "mk8s-test/does-not-exist:1.0" is not present with pull policy of Never');

  const nocm = await waitingReason('mk8s-test-nocm', /^CreateContainerConfigError$/);
  expect(nocm.state.waiting.message).toBe('configmap "mk8s-test-missing" not found');

  const nocmd = await waitingReason('mk8s-test-nocmd', /^(RunContainerError|CrashLoopBackOff)$/);
  expect(JSON.stringify(nocmd)).toMatch(/exec: \\"\/no\/such\/binary\\": stat \/no\/such\/binary: no such file or directory/);
  expect(nocmd.lastState?.terminated?.reason ?? nocmd.state.terminated?.reason).toBe('ContainerCannotRun');

  const mem = await waitingReason('mk8s-test-4mi', /^CreateContainerError$/);
  expect(mem.state.waiting.message).toBe('Minimum memory limit allowed is 6MB');

  const bad = await running('mk8s-test-badprobe');
  expect(bad.status.containerStatuses[0].ready).toBe(false);
  await waitFor(async () => (await events(c, 'mk8s-test-badprobe')).some(e => e.reason === 'Unhealthy' && /Readiness probe failed: Get "http:\/\/[\d.]+:9999\/": dial tcp [\d.]+:9999: connect: connection refused/.test(e.message)), 10_000, 'readiness Unhealthy event');

  const g = await running(good);
  expect(g.status.containerStatuses[0].restartCount).toBe(0);
  const node = JSON.parse((await c.kubectl(['get', 'node', k.nodeName, '-o', 'json'])).stdout);
  expect(node.status.conditions.find((x: any) => x.type === 'Ready').status).toBe('True');
  expect(k.pid).toBeGreaterThan(0);
  expect(() => process.kill(k.pid, 0)).not.toThrow();
});
