// Issue B gaps through real processes (etcd + apiserver + kubelet + dockerd + kubectl): image policy with no
// registry, OOMKilled, postStart failure, activeDeadlineSeconds, tcpSocket probes, hostPath type mismatch,
// termination messages, service link env, logs -f / exec -it on a kubelet-run pod, graceful SIGTERM->SIGKILL,
// node admission (OutOfcpu/OutOfmemory/OutOfpods), restart counts across a kubelet restart.
// All pods are created up front so their waits overlap; each test checks its own pods.
import { execFileSync, spawn } from 'child_process';
import { ptyProgram } from '../src/pty';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { cluster, Cluster, sessionDir } from '../src/harness';
import {
  apply, dockerExec, events, getPod, KubeletHandle, nodeContainers, podManifest, removeNodeContainers, startKubelet, waitFor,
} from './kubelet-core-harness';

jest.setTimeout(120_000);
let c: Cluster;
let k: KubeletHandle;
let small: KubeletHandle;
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-kubelet-finish-host-'));
const notADir = path.join(hostDir, 'plain-file');
const sleepC = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'], ...extra });
/** Pod updates seen by a watch on the apiserver (name -> every object version). */
const seen = new Map<string, any[]>();
let stopWatch: (() => void) | undefined;

function watchPods(url: string): () => void {
  const req = http.get(`${url}/api/v1/namespaces/default/pods?watch=1`, res => {
    let buf = '';
    res.setEncoding('utf8').on('data', d => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        try { const ev = JSON.parse(line); const n = ev.object?.metadata?.name; if (n) { const l = seen.get(n) ?? []; l.push(ev.object); seen.set(n, l); } } catch { /* partial */ }
      }
    });
  });
  req.on('error', () => undefined);
  return () => req.destroy();
}

beforeAll(async () => {
  c = await cluster();
  stopWatch = watchPods(c.apiserver.url);
  fs.writeFileSync(notADir, 'x');
  k = await startKubelet(c);
  small = await startKubelet(c, ['--max-pods=2']);
  const r = await c.kubectl(['create', 'service', 'clusterip', 'mk8s-test-svc', '--tcp=8080:80']);
  expect(r.code).toBe(0);
  const pods = [
    // images: `busybox` = busybox:latest, policy Always, present locally, no registry
    podManifest('mk8s-test-latest', k.nodeName, { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exec sleep 3600'] }] }),
    podManifest('mk8s-test-latest2', k.nodeName, { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exec sleep 3600'] }] }),
    podManifest('mk8s-test-absent', k.nodeName, { containers: [{ name: 'app', image: 'mk8s-test/absent' }] }),
    podManifest('mk8s-test-oom', k.nodeName, {
      containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'x=aaaaaaaa; while true; do x="$x$x"; done'], resources: { limits: { memory: '8Mi' } } }],
    }),
    podManifest('mk8s-test-poststart', k.nodeName, {
      restartPolicy: 'Never',
      containers: [sleepC({ lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 3'] } } } })],
    }),
    podManifest('mk8s-test-deadline', k.nodeName, { activeDeadlineSeconds: 3, containers: [sleepC()] }),
    podManifest('mk8s-test-tcp', k.nodeName, {
      containers: [{
        name: 'web', image: 'busybox:1.28', command: ['sh', '-c', 'mkdir -p /www && exec httpd -f -p 8080 -h /www'],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
        livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
      }, {
        name: 'deaf', image: 'busybox:1.28', command: ['sh', '-c', 'exec sleep 3600'],
        livenessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1, failureThreshold: 2 },
      }],
    }),
    podManifest('mk8s-test-hostpath', k.nodeName, {
      containers: [sleepC({ volumeMounts: [{ name: 'h', mountPath: '/h' }] })],
      volumes: [{ name: 'h', hostPath: { path: notADir, type: 'Directory' } }],
    }),
    podManifest('mk8s-test-termmsg', k.nodeName, {
      restartPolicy: 'Never',
      containers: [
        { name: 'file', image: 'busybox:1.28', command: ['sh', '-c', 'echo -n "wrote my reason" > /dev/termination-log; exit 4'] },
        { name: 'custom', image: 'busybox:1.28', terminationMessagePath: '/tmp/why', command: ['sh', '-c', 'echo -n custom-path > /tmp/why'] },
        { name: 'fallback', image: 'busybox:1.28', terminationMessagePolicy: 'FallbackToLogsOnError', command: ['sh', '-c', 'echo line1; echo last words; exit 2'] },
      ],
    }),
    podManifest('mk8s-test-svcenv', k.nodeName, { containers: [sleepC()] }),
    podManifest('mk8s-test-nolinks', k.nodeName, { enableServiceLinks: false, containers: [sleepC()] }),
    podManifest('mk8s-test-ticker', k.nodeName, { containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'] }] }),
    podManifest('mk8s-test-term', k.nodeName, {
      terminationGracePeriodSeconds: 3,
      containers: [{
        name: 'app', image: 'busybox:1.28', volumeMounts: [{ name: 'h', mountPath: '/h' }],
        command: ['sh', '-c', 'trap "echo got TERM >> /h/term.log" TERM; echo started >> /h/term.log; while true; do sleep 0.1; done'],
      }],
      volumes: [{ name: 'h', hostPath: { path: hostDir, type: 'Directory' } }],
    }),
    podManifest('mk8s-test-crashloop', k.nodeName, { containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'sleep 0.5; exit 1'] }] }),
    // admission on the --max-pods=2 node
    podManifest('mk8s-test-fit1', small.nodeName, { containers: [sleepC({ resources: { requests: { cpu: '10m', memory: '8Mi' } } })] }),
    podManifest('mk8s-test-bigcpu', small.nodeName, { containers: [sleepC({ resources: { requests: { cpu: '100000' } } })] }),
    podManifest('mk8s-test-bigmem', small.nodeName, { containers: [sleepC({ resources: { requests: { memory: '100000Gi' } } })] }),
  ];
  await Promise.all(pods.map(p => apply(c, p)));
});

afterAll(async () => {
  stopWatch?.();
  if (process.env.MK8S_KUBELET_LOG) fs.writeFileSync(process.env.MK8S_KUBELET_LOG, k?.logs() ?? '');
  for (const h of [k, small]) { await h?.stop(); if (h) { removeNodeContainers(h.nodeName); h.cleanup(); } }
  await c?.teardown();
  fs.rmSync(hostDir, { recursive: true, force: true });
});

const until = <T>(name: string, pred: (p: any) => T | undefined | false, what: string, ms = 40_000) =>
  waitFor(async () => { const p = await getPod(c, name); return p ? pred(p) : undefined; }, ms, `${name}: ${what}`);
const running = (name: string) => until(name, p => p.status?.phase === 'Running' && p.status.containerStatuses?.every((s: any) => s.state?.running) && p, 'Running');
const containerOf = (k0: KubeletHandle, pod: string, name = 'app') =>
  nodeContainers(k0.nodeName, [`label=io.kubernetes.pod.name=${pod}`, `label=io.kubernetes.container.name=${name}`, 'status=running'])[0]?.id;

test('image busybox (latest, Always) runs from the local image when no registry is reachable; an absent image is ErrImagePull/ImagePullBackOff', async () => {
  await running('mk8s-test-latest');
  await running('mk8s-test-latest2');
  const evs = [...await events(c, 'mk8s-test-latest'), ...await events(c, 'mk8s-test-latest2')];
  const pulled = evs.filter(e => e.reason === 'Pulled').map(e => e.message);
  expect(pulled).toEqual(['Container image "busybox" already present on machine and no registry is reachable; using it',
    'Container image "busybox" already present on machine and no registry is reachable; using it']);
  // "registry unreachable" is cached: at most one of the pods tried a pull
  expect(evs.filter(e => e.reason === 'Pulling').length).toBeLessThanOrEqual(1);
  const p = await getPod(c, 'mk8s-test-latest');
  expect(p.spec.containers[0].imagePullPolicy).toBe('Always');

  const absent = await until('mk8s-test-absent', p => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' && p, 'ImagePullBackOff');
  expect(absent.status.containerStatuses[0].state.waiting.message).toBe('Back-off pulling image "mk8s-test/absent"');
  const failed = (await events(c, 'mk8s-test-absent')).find(e => e.reason === 'Failed');
  expect(failed?.message).toMatch(/^Failed to pull image "mk8s-test\/absent": image is not present on this node and no registry is reachable: /);
});

test('memory limit 8Mi on a growing shell: lastState OOMKilled, exit 137', async () => {
  const p = await until('mk8s-test-oom', p => p.status?.containerStatuses?.[0]?.lastState?.terminated && p, 'lastState terminated');
  expect(p.status.containerStatuses[0].lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  expect(p.status.containerStatuses[0].restartCount).toBeGreaterThanOrEqual(1);
});

test('a failing postStart hook kills the container (FailedPostStartHook); restartPolicy Never -> Failed', async () => {
  const p = await until('mk8s-test-poststart', p => p.status?.phase === 'Failed' && p, 'Failed');
  const s = p.status.containerStatuses[0];
  expect(s.state.terminated).toMatchObject({ exitCode: 137 });
  expect(s.restartCount).toBe(0);
  const ev = (await events(c, 'mk8s-test-poststart')).find(e => e.reason === 'FailedPostStartHook');
  expect(ev?.message).toBe('PostStartHook failed: nope');
  // the status goes out before the sandbox is stopped (as upstream's kubelet: no order between the two)
  await waitFor(async () => nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-poststart', 'status=running']).length === 0, 10_000, 'poststart pod stopped');
});

test('activeDeadlineSeconds: Failed with reason DeadlineExceeded, containers stopped', async () => {
  const p = await until('mk8s-test-deadline', p => p.status?.phase === 'Failed' && p, 'Failed');
  expect(p.status.reason).toBe('DeadlineExceeded');
  expect(p.status.message).toBe('Pod was active on the node longer than the specified deadline');
  await waitFor(async () => nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-deadline', 'status=running']).length === 0, 10_000, 'deadline pod stopped');
});

test('tcpSocket probes: a listening named port is ready and alive; a closed port fails liveness and restarts', async () => {
  const p = await until('mk8s-test-tcp', p => p.status?.containerStatuses?.find((s: any) => s.name === 'deaf')?.restartCount >= 1 && p, 'deaf restarted');
  const web = p.status.containerStatuses.find((s: any) => s.name === 'web');
  expect(web).toMatchObject({ ready: true, restartCount: 0 });
  const ev = (await events(c, 'mk8s-test-tcp')).filter(e => e.reason === 'Unhealthy').map(e => e.message);
  expect(ev.some(m => /^Liveness probe failed: dial tcp [\d.]+:9999: connect: connection refused$/.test(m))).toBe(true);
});

test('hostPath type mismatch: FailedMount, stays ContainerCreating, other pods keep running', async () => {
  const ev = await waitFor(async () => (await events(c, 'mk8s-test-hostpath')).find(e => e.reason === 'FailedMount'), 20_000, 'FailedMount');
  expect(ev.message).toBe(`MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${notADir} is not a directory`);
  const p = await getPod(c, 'mk8s-test-hostpath');
  expect(p.status.phase).toBe('Pending');
  expect(p.status.containerStatuses[0].state.waiting.reason).toBe('ContainerCreating');
  expect(nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-hostpath', 'label=io.kubernetes.docker.type=container'])).toHaveLength(0);
  await running('mk8s-test-svcenv');
});

test('termination messages: /dev/termination-log, a custom path, FallbackToLogsOnError', async () => {
  const p = await until('mk8s-test-termmsg', p => p.status?.phase === 'Failed' && p, 'Failed');
  const by = Object.fromEntries(p.status.containerStatuses.map((s: any) => [s.name, s.state.terminated]));
  expect(by.file).toMatchObject({ exitCode: 4, reason: 'Error', message: 'wrote my reason' });
  expect(by.custom).toMatchObject({ exitCode: 0, reason: 'Completed', message: 'custom-path' });
  expect(by.fallback).toMatchObject({ exitCode: 2, reason: 'Error', message: 'line1\nlast words\n' });
});

test('service link env vars (enableServiceLinks default true; false gives none of the namespace\'s services)', async () => {
  const svc = JSON.parse((await c.kubectl(['get', 'svc', 'mk8s-test-svc', '-o', 'json'])).stdout);
  const ip = svc.spec.clusterIP;
  expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  await running('mk8s-test-svcenv');
  const env = dockerExec(containerOf(k, 'mk8s-test-svcenv'), ['env']);
  expect(env).toContain(`MK8S_TEST_SVC_SERVICE_HOST=${ip}\n`);
  expect(env).toContain('MK8S_TEST_SVC_SERVICE_PORT=8080\n');
  expect(env).toContain(`MK8S_TEST_SVC_PORT_8080_TCP=tcp://${ip}:8080\n`);
  expect(env).toContain(`MK8S_TEST_SVC_PORT_8080_TCP_ADDR=${ip}\n`);
  await running('mk8s-test-nolinks');
  expect(dockerExec(containerOf(k, 'mk8s-test-nolinks'), ['env'])).not.toContain('MK8S_TEST_SVC_');
});

test('node admission: pods that do not fit fail with OutOfcpu / OutOfmemory / OutOfpods', async () => {
  const cpu = await until('mk8s-test-bigcpu', p => p.status?.phase === 'Failed' && p, 'Failed');
  expect(cpu.status.reason).toBe('OutOfcpu');
  expect(cpu.status.message).toMatch(/^Pod was rejected: Node didn't have enough resource: cpu, requested: 100000000, used: \d+, capacity: \d+$/);
  const mem = await until('mk8s-test-bigmem', p => p.status?.phase === 'Failed' && p, 'Failed');
  expect(mem.status.reason).toBe('OutOfmemory');
  await running('mk8s-test-fit1');
  await apply(c, podManifest('mk8s-test-fit2', small.nodeName, { containers: [sleepC()] }));
  await running('mk8s-test-fit2');
  await apply(c, podManifest('mk8s-test-fit3', small.nodeName, { containers: [sleepC()] }));
  const pods = await until('mk8s-test-fit3', p => p.status?.phase === 'Failed' && p, 'Failed');
  expect(pods.status.reason).toBe('OutOfpods');
  expect(pods.status.message).toBe("Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
  expect((await c.kubectl(['get', 'pod', 'mk8s-test-fit3', '--no-headers'])).stdout).toMatch(/OutOfpods/);
  expect((await events(c, 'mk8s-test-fit3')).some(e => e.reason === 'OutOfpods')).toBe(true);
  expect(nodeContainers(small.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-fit3'])).toHaveLength(0);
  // a rejected pod is deleted like any other
  expect((await c.kubectl(['delete', 'pod', 'mk8s-test-fit3', '--wait=true', '--timeout=20s'])).code).toBe(0);
});

const kubeEnv = () => ({ ...process.env, KUBECONFIG: c.kubeconfig, KUBECACHEDIR: path.join(sessionDir(), 'kube-cache') });

test('kubectl logs -f and kubectl exec -it (a real pty) on a pod the kubelet runs', async () => {
  await running('mk8s-test-ticker');
  const child = spawn('/usr/bin/kubectl', ['logs', '-f', 'mk8s-test-ticker', '--tail=1'], { env: kubeEnv() });
  let out = '';
  const lines = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubectl logs -f gave only: ${out}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', d => { out += d; const l = out.split('\n').filter(Boolean); if (l.length >= 4) { clearTimeout(timer); resolve(l); } });
  });
  child.kill('SIGINT');
  const n = lines.map(l => Number(/^tick (\d+)$/.exec(l)![1]));
  expect(n.slice(0, 4)).toEqual([n[0], n[0] + 1, n[0] + 2, n[0] + 3]);

  const py = ptyProgram(27, 99, 'stty size; tty; echo pod-$HOSTNAME-$((6*7)); exit 5');
  const r = await new Promise<{ code: number; stdout: string }>(resolve => {
    const p = spawn('python3', ['-c', py, '/usr/bin/kubectl', 'exec', '-it', 'mk8s-test-ticker', '--', 'sh'], { env: kubeEnv() });
    let so = '';
    p.stdout.setEncoding('utf8').on('data', d => (so += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', code => { clearTimeout(t); resolve({ code: code ?? 1, stdout: so }); });
  });
  const text = r.stdout.replace(/\r/g, '');
  expect(text).toMatch(/^27 99$/m);
  expect(text).toMatch(/^\/dev\/pts\/\d+$/m);
  expect(text).toMatch(/^pod-mk8s-test-ticker-42$/m);
  expect(r.code).toBe(5);
});

test('kubectl delete pod: SIGTERM (trap runs), SIGKILL after the 3 s grace period, then the object goes', async () => {
  await running('mk8s-test-term');
  await waitFor(async () => fs.existsSync(path.join(hostDir, 'term.log')), 10_000, 'term.log');
  const t0 = Date.now();
  const del = await c.kubectl(['delete', 'pod', 'mk8s-test-term', '--wait=true', '--timeout=30s']);
  const took = Date.now() - t0;
  expect(del.code).toBe(0);
  expect(fs.readFileSync(path.join(hostDir, 'term.log'), 'utf8')).toBe('started\ngot TERM\n');
  expect(took).toBeGreaterThanOrEqual(3000); // the trap swallowed TERM: only SIGKILL ended it
  expect(took).toBeLessThan(12_000);
  const versions = seen.get('mk8s-test-term') ?? [];
  const last = versions.filter(v => v.status?.containerStatuses?.[0]?.state?.terminated).pop();
  expect(last.status.containerStatuses[0].state.terminated.exitCode).toBe(137);
  expect(versions.some(v => v.metadata.deletionGracePeriodSeconds === 3)).toBe(true);
  expect(await getPod(c, 'mk8s-test-term')).toBeUndefined();
  expect(nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-term'])).toHaveLength(0);
});

test('the restart count of a crash-looping container survives a kubelet SIGKILL + restart', async () => {
  const before = await until('mk8s-test-crashloop', p => p.status?.containerStatuses?.[0]?.restartCount >= 2 && p, 'restartCount >= 2', 60_000);
  const n0 = before.status.containerStatuses[0].restartCount;
  await k.kill9();
  await k.start();
  const after = await until('mk8s-test-crashloop', p => p.status?.containerStatuses?.[0]?.restartCount > n0 && p, `restartCount > ${n0}`, 60_000);
  expect(after.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  // attempts continue from the labels: names _0.._n, never a second _0
  const names = nodeContainers(k.nodeName, ['label=io.kubernetes.pod.name=mk8s-test-crashloop', 'label=io.kubernetes.container.name=app']).map(x => x.name);
  const attempts = names.map(n => Number(n.split('_').pop())).sort((a, b) => a - b);
  expect(new Set(attempts).size).toBe(attempts.length);
  // (it may have crashed once more since the status was read)
  expect(Math.max(...attempts)).toBeGreaterThanOrEqual(after.status.containerStatuses[0].restartCount);
  expect(Math.max(...attempts)).toBeLessThanOrEqual(after.status.containerStatuses[0].restartCount + 1);
  const versions = (seen.get('mk8s-test-crashloop') ?? []).map(v => v.status?.containerStatuses?.[0]?.restartCount ?? 0);
  for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThanOrEqual(versions[i - 1]);
  void execFileSync;
});
