// Helpers for the kubelet-core e2e tests: a real kubelet process (node kubelet/dist/main.js) against the
// harness's etcd + apiserver and the host dockerd, with a random node name so only its own containers
// (label mk8s.kubelet.node=<node>) are ever touched and removed afterwards.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Cluster, freePorts, KUBELET_NODE_FLAGS, REPO_ROOT, sessionDir } from '../src/harness';

export interface KubeletHandle {
  nodeName: string;
  rootDir: string;
  logFile: string;
  readonly pid: number;
  start(): Promise<void>;
  /** SIGKILL (no cleanup of any kind) and wait for the exit. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
  /** Removes its dir (after stop and container removal). */
  cleanup(): void;
  logs(): string;
}

export function randomNodeName(): string {
  return `mk8s-test-node-${Math.random().toString(36).slice(2, 8)}`;
}

/** `waitReady: false` returns once the process runs (for a kubelet started while the apiserver is down). */
export async function startKubelet(c: Cluster, extra: string[] = [], nodeName = randomNodeName(), o: { waitReady?: boolean } = {}): Promise<KubeletHandle> {
  // outside the harness session dir: that one is removed by an afterAll that may run before ours
  const dir = fs.mkdtempSync('/tmp/mk8s-kubelet-core-');
  void sessionDir;
  const rootDir = path.join(dir, 'root');
  const logFile = path.join(dir, 'kubelet.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const main = path.join(REPO_ROOT, 'kubelet', 'dist', 'main.js');
  const h: KubeletHandle = {
    nodeName, rootDir, logFile,
    get pid() { return child?.pid ?? -1; },
    async start() {
      const [p, hp] = await freePorts(2);
      const fd = fs.openSync(logFile, 'a');
      child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...KUBELET_NODE_FLAGS, main, `--kubeconfig=${c.kubeconfig}`,
        `--node-name=${nodeName}`, '--node-ip=127.0.0.1', `--root-dir=${rootDir}`, `--port=${p}`, '--address=127.0.0.1',
        `--healthz-port=${hp}`, '--cluster-dns=10.96.0.10', '--log-format=json', ...extra], { stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      const ch = child;
      exited = new Promise(r => ch.once('exit', () => r()));
      if (o.waitReady === false) return;
      await waitFor(async () => {
        const r = await c.kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
        return r.stdout.trim() === 'True';
      }, 20_000, `node ${nodeName} Ready\n${h.logs().slice(-3000)}`);
    },
    async kill9() { child?.kill('SIGKILL'); await exited; },
    async stop() { child?.kill('SIGTERM'); await Promise.race([exited, new Promise(r => setTimeout(r, 5000))]); child?.kill('SIGKILL'); await exited; },
    cleanup() { try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* tmpfs still mounted */ } },
    logs() { try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; } },
  };
  await h.start();
  return h;
}

/** Removes every container this kubelet node created (and only those). */
export function removeNodeContainers(nodeName: string): void {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=mk8s.kubelet.node=${nodeName}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
}

export function nodeContainers(nodeName: string, extraFilter: string[] = []): { id: string; name: string; state: string }[] {
  const out = execFileSync('docker', ['ps', '-a', '--filter', `label=mk8s.kubelet.node=${nodeName}`, ...extraFilter.flatMap(f => ['--filter', f]),
    '--format', '{{.ID}} {{.Names}} {{.State}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map(l => { const [id, name, state] = l.split(' '); return { id, name, state }; });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try { const v = await fn(); if (v) return v as T; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export async function getPod(c: Cluster, name: string, ns = 'default'): Promise<any | undefined> {
  const r = await c.kubectl(['get', 'pod', name, '-n', ns, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

export async function apply(c: Cluster, obj: unknown): Promise<void> {
  const r = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

export async function events(c: Cluster, pod: string, ns = 'default'): Promise<any[]> {
  const r = await c.kubectl(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${pod}`, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout).items : [];
}

export function dockerExec(id: string, cmd: string[]): string {
  return execFileSync('docker', ['exec', id, ...cmd], { encoding: 'utf8' });
}

export function podManifest(name: string, nodeName: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { nodeName, terminationGracePeriodSeconds: 2, ...spec } };
}
