// The real kubectl (and mkctl) -> our apiserver's pods/log and pods/exec proxy -> the kubelet API server ->
// Docker. The Node points at the kubelet server in this process (InternalIP 127.0.0.1, daemonEndpoints
// port); the Pod is bound to it and its containers are made here with the kubelet's labels.
import { spawn } from 'child_process';
import { ptyProgram } from '../src/pty';
import * as fs from 'fs';
import * as path from 'path';
import winston from 'winston';
import { httpClient, resources, type KubeClient } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';
import { cluster, REPO_ROOT, sessionDir, type Cluster } from '../src';
import { startKubeletServer, type KubeletServer } from '../../kubelet/src/server';
import { TestContainers } from '../../kubelet/src/server/testutil';

jest.setTimeout(120_000);
const log = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
const nodeName = `mk8s-test-io-${process.pid}`;
const podName = `mk8s-test-web-${process.pid}`;
const containers = new TestContainers(nodeName);
const MKCTL = path.join(REPO_ROOT, 'cli', 'dist', 'main.js');

let c: Cluster;
let kube: KubeClient;
let server: KubeletServer;
let pod: Pod;

beforeAll(async () => {
  c = await cluster();
  kube = httpClient(c.apiserver.url);
  server = await startKubeletServer({ port: 0, bindAddress: '127.0.0.1', docker: (await import('../../kubelet/src/server/testutil')).docker, nodeName, log, podsSnapshot: () => (pod ? [pod] : []) });
  await kube.create(resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
  await kube.patch(resources.nodes, undefined, nodeName, 'merge', {
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: server.port } } },
  }, { subresource: 'status' });
  pod = await kube.create<Pod>(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: podName },
    spec: { nodeName, containers: [{ name: 'app', image: 'busybox' }, { name: 'ticker', image: 'busybox' }] },
  });
  const ref = { name: podName, namespace: 'default', uid: pod.metadata!.uid! };
  await containers.make(ref, 'POD', 0, ['sleep', '600'], { sandbox: true });
  await containers.make(ref, 'app', 0, ['sh', '-c', 'echo first run; exit 2'], { wait: true });
  await containers.make(ref, 'app', 1, ['sh', '-c', 'echo second run; sleep 0.2; echo oops >&2; sleep 600']);
  await containers.make(ref, 'ticker', 0, ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
});

afterAll(async () => {
  kube?.close();
  await server?.close();
  await containers.removeAll();
  await c?.teardown();
});

/** Runs a command with its output collected; input goes to stdin. */
function run(cmd: string, args: string[], o: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, KUBECONFIG: c.kubeconfig, KUBECACHEDIR: path.join(sessionDir(), 'kube-cache'), ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} hung\nstdout: ${stdout}\nstderr: ${stderr}`)); }, o.timeoutMs ?? 30_000);
    child.on('close', code => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
  });
}
const kubectl = (args: string[], o?: { input?: string }) => run('/usr/bin/kubectl', args, o);

describe('kubectl logs through the apiserver', () => {
  it('current and --previous attempts, one container of several with -c', async () => {
    const cur = await kubectl(['logs', podName, '-c', 'app']);
    expect(cur).toMatchObject({ code: 0, stdout: 'second run\noops\n' });
    const prev = await kubectl(['logs', podName, '-c', 'app', '--previous']);
    expect(prev).toMatchObject({ code: 0, stdout: 'first run\n' });
    const tail = await kubectl(['logs', podName, '-c', 'app', '--tail=1']);
    expect(tail.stdout).toBe('oops\n');
  });

  it('errors reach kubectl as Status messages', async () => {
    const noPrev = await kubectl(['logs', podName, '-c', 'ticker', '--previous']);
    expect(noPrev.code).not.toBe(0);
    expect(noPrev.stderr).toContain(`previous terminated container "ticker" in pod "${podName}" not found`);
    // kubectl itself picks the first container when none is named
    const dflt = await kubectl(['logs', podName]);
    expect(dflt).toMatchObject({ code: 0, stdout: 'second run\noops\n' });
    expect(dflt.stderr).toContain('Defaulted container "app" out of: app, ticker');
    const ghost = await kubectl(['logs', podName, '-c', 'nosuch']);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain(`container nosuch is not valid for pod ${podName}`); // kubectl checks the spec itself
    // past kubectl's own check, the kubelet's Status comes through the apiserver
    const raw = await kubectl(['get', '--raw', `/api/v1/namespaces/default/pods/${podName}/log?container=nosuch`]);
    expect(raw.code).not.toBe(0);
    expect(raw.stderr).toContain(`container "nosuch" not found in pod "${podName}"`);
  });

  it('-f follows new lines until kubectl is stopped', async () => {
    const child = spawn('/usr/bin/kubectl', ['logs', '-f', podName, '-c', 'ticker', '--tail=1'], { env: { ...process.env, KUBECONFIG: c.kubeconfig, KUBECACHEDIR: path.join(sessionDir(), 'kube-cache') } });
    let out = '';
    const lines = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kubectl logs -f gave only: ${out}`)), 20_000);
      child.stdout.setEncoding('utf8').on('data', d => {
        out += d;
        const l = out.split('\n').filter(Boolean);
        if (l.length >= 4) { clearTimeout(timer); resolve(l); }
      });
    });
    child.kill('SIGINT');
    const n = lines.map(l => Number(/^tick (\d+)$/.exec(l)![1]));
    expect(n.slice(0, 4)).toEqual([n[0], n[0] + 1, n[0] + 2, n[0] + 3]);
  });
});

describe('kubectl exec through the apiserver', () => {
  it('runs a command and passes its exit code', async () => {
    expect(await kubectl(['exec', podName, '-c', 'app', '--', 'echo', 'hi'])).toMatchObject({ code: 0, stdout: 'hi\n' });
    const failed = await kubectl(['exec', podName, '-c', 'app', '--', 'sh', '-c', 'echo to-stderr >&2; exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('to-stderr');
    expect(failed.stderr).toContain('command terminated with exit code 3');
  });

  it('-i passes stdin until EOF', async () => {
    const r = await kubectl(['exec', '-i', podName, '-c', 'app', '--', 'cat'], { input: 'line one\nline two\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
    const wc = await kubectl(['exec', '-i', podName, '-c', 'app', '--', 'wc', '-c'], { input: 'x'.repeat(100_000) });
    expect(wc.stdout.trim()).toBe('100000');
  });

  it('-it with a real terminal: a tty of the terminal\'s size, typed input, the shell\'s exit code', async () => {
    // a pty whose size is set before kubectl starts; we type into it like a user
    const py = ptyProgram(33, 111, 'stty size; tty; echo typed-$((6*7)); exit 7');
    const r = await run('python3', ['-c', py, '/usr/bin/kubectl', 'exec', '-it', podName, '-c', 'app', '--', 'sh']);
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/^33 111$/m);
    expect(out).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(out).toMatch(/^typed-42$/m);
    expect(r.code).toBe(7);
  });

  it('a missing container or pod is a clear error', async () => {
    const nc = await kubectl(['exec', podName, '-c', 'nosuch', '--', 'true']);
    expect(nc.code).not.toBe(0);
    expect(nc.stderr).toContain(`container "nosuch" not found in pod "${podName}"`);
    const ghost = await kubectl(['exec', 'mk8s-test-ghost', '--', 'true']);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain('pods "mk8s-test-ghost" not found');
  });
});

describe('mkctl logs and exec', () => {
  const mkctl = (args: string[], o?: { input?: string }) => run(process.execPath, [MKCTL, '--kubeconfig', c.kubeconfig, ...args], o);
  const haveMkctl = fs.existsSync(MKCTL);

  it('mkctl is built', () => expect(haveMkctl).toBe(true));

  it('logs, logs --previous, exec with stdin and exit codes', async () => {
    expect(await mkctl(['logs', podName, '-c', 'app'])).toMatchObject({ code: 0, stdout: 'second run\noops\n' });
    expect(await mkctl(['logs', podName, '-c', 'app', '--previous'])).toMatchObject({ code: 0, stdout: 'first run\n' });
    expect(await mkctl(['exec', podName, '-c', 'app', '--', 'echo', 'via', 'mkctl'])).toMatchObject({ code: 0, stdout: 'via mkctl\n' });
    expect(await mkctl(['exec', '-i', podName, '-c', 'app', '--', 'cat'], { input: 'piped\n' })).toMatchObject({ code: 0, stdout: 'piped\n' });
    expect((await mkctl(['exec', podName, '-c', 'app', '--', 'sh', '-c', 'exit 5'])).code).toBe(5);
  });
});
