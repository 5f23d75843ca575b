// Multi-node lab for e2e tests: deploy/lab/netns-lab.sh builds N nodes, each a network namespace with its own
// dockerd (RECIPE part c). Kubelets run inside the node namespaces (nsenter --net, so /sys and the cgroup
// mounts stay the host's); the apiserver listens on the host end of the lab, 10.200.0.1, and on nothing else.
// Every process started here is registered like the harness's own: SIGKILLed if the test process dies
// (setpriv --pdeathsig), found by MK8S_TEST_SESSION by test/run-all.sh, and stopped when the test file ends,
// after which the lab is taken down too if the test did not do it.
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import {
  ApiserverHandle, Cluster, KUBELET_NODE_FLAGS, kubeconfigYaml, kubectl, KubectlOptions, REPO_ROOT, sessionDir, startEtcd,
} from './harness';

export const LAB_SCRIPT = path.join(REPO_ROOT, 'deploy', 'lab', 'netns-lab.sh');
/** The host's address on the lab bridge (mk8s-lab0): the only non-loopback address the control plane uses. */
export const LAB_HOST_IP = '10.200.0.1';
const SETPRIV = '/usr/bin/setpriv';
const BUSY_EXIT = 3; // netns-lab.sh: the lab belongs to another live process

export interface LabNode {
  /** Node name for the kubelet (= the netns name, e.g. mk8s-node1; all nodes share the host's hostname). */
  name: string;
  index: number;
  /** eth0 address in the lab, 10.200.0.(10+index). */
  ip: string;
  /** unix:///run/mk8s-nodeI/docker.sock */
  dockerHost: string;
  netns: string;
  /** 10.244.index.0/24: the node dockerd's --bip range, so pod IPs come from here. */
  podCIDR: string;
}

export interface Lab {
  nodes: LabNode[];
  /** Stops every kubelet started in the lab, then `netns-lab.sh down`. */
  down(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}):
  Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err && typeof (err as any).code !== 'number' ? err.message : '') });
      });
  });
}

function labScript(args: string[]) {
  return run(LAB_SCRIPT, args, { env: { MK8S_LAB_OWNER: String(process.pid) } });
}

// --- tracked processes in the lab -------------------------------------------------------------------

/** A process started by this module (kubelet in a node, apiserver on the lab address). */
export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  readonly alive: boolean;
  readonly logFile: string;
  readonly exited: Promise<void>;
  logs(): string;
  /** "exited with code N" / "killed by SIGX" (empty while running). */
  describeExit(): string;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after graceMs; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const tracked = new Set<LabProcess>();
let labIsUp = false;

function spawnTracked(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): LabProcess {
  const logFile = path.join(fs.mkdtempSync(path.join(sessionDir(), `${name}-`)), `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args], {
      stdio: ['ignore', fd, fd], env: { ...process.env, MK8S_LOG_FORMAT: 'json', ...env, MK8S_TEST_SESSION: sessionDir() },
    });
  } finally {
    fs.closeSync(fd);
  }
  let running = true;
  let how = '';
  const exited = new Promise<void>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      running = false; how = signal ? `killed by ${signal}` : `exited with code ${code}`; tracked.delete(p); resolve();
    };
    child.once('exit', done);
    child.once('error', (err) => { fs.appendFileSync(logFile, `\n[lab] cannot start ${cmd}: ${err.message}\n`); done(null, null); });
  });
  const logs = () => { try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; } };
  const p: LabProcess = {
    name, logFile, exited, logs, describeExit: () => how,
    get pid() { return child.pid ?? -1; },
    get alive() { return running; },
    kill(signal: NodeJS.Signals = 'SIGTERM') { if (running) try { child.kill(signal); } catch { /* gone */ } },
    async stop(graceMs = 10_000) {
      if (!running) return;
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
  tracked.add(p);
  return p;
}

const tail = (p: LabProcess, lines = 30) => p.logs().split('\n').slice(-lines).join('\n');

async function waitForLog(p: LabProcess, what: string, test: (logs: string) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test(p.logs())) {
    if (!p.alive) throw new Error(`${what}: ${p.name} ${p.describeExit()}; log ${p.logFile}:\n${tail(p)}`);
    if (Date.now() > deadline) { await p.stop(2000); throw new Error(`${what}: not seen in ${timeoutMs} ms (stopped it); log ${p.logFile}:\n${tail(p)}`); }
    await sleep(100);
  }
}

async function stopTracked(): Promise<void> {
  await Promise.all([...tracked].map((p) => p.stop(5000)));
}

// When the test file ends: whatever the test left running, then the lab itself.
if (typeof afterAll === 'function') {
  try {
    afterAll(async () => {
      await stopTracked();
      if (labIsUp) await labScript(['down']);
      labIsUp = false;
    }, 60_000);
  } catch {
    // imported from inside a test: the test must call lab.down() itself
  }
}

// --- the lab -----------------------------------------------------------------------------------------

/**
 * `netns-lab.sh up n` (with this process as the lab's owner); waits up to busyWaitMs while another live
 * process owns the lab (another test run; default 60 s), then fails with the script's message.
 */
export async function startLab(n: number, opts: { busyWaitMs?: number } = {}): Promise<Lab> {
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`startLab: n must be 1..20, got ${n}`);
  const deadline = Date.now() + (opts.busyWaitMs ?? 60_000);
  for (;;) {
    const r = await labScript(['up', String(n)]);
    if (r.code === 0) break;
    if (r.code !== BUSY_EXIT || Date.now() > deadline) {
      throw new Error(`${LAB_SCRIPT} up ${n} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
    }
    await sleep(1000);
  }
  labIsUp = true;
  const nodes: LabNode[] = Array.from({ length: n }, (_, k) => {
    const index = k + 1;
    return {
      name: `mk8s-node${index}`, index, ip: `10.200.0.${10 + index}`, netns: `mk8s-node${index}`,
      dockerHost: `unix:///run/mk8s-node${index}/docker.sock`, podCIDR: `10.244.${index}.0/24`,
    };
  });
  return {
    nodes,
    async down() {
      await stopTracked();
      if (!labIsUp) return; // already down (the test's own teardown and an afterAll may both call this)
      const r = await labScript(['down']);
      labIsUp = false;
      if (r.code !== 0) throw new Error(`${LAB_SCRIPT} down failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
    },
  };
}

/** `docker <args>` against a lab node's own dockerd. */
export function nodeDocker(node: LabNode, args: string[]) {
  return run('docker', ['-H', node.dockerHost, ...args], { timeoutMs: 60_000 });
}

/**
 * A kubelet in the node's netns: `nsenter --net=/run/netns/<netns> node kubelet/dist/main.js`, its API on the
 * node IP (port 10250: each netns has its own ports), root dir /run/<netns>/kubelet (removed by `down`).
 * Resolves once it logs "kubelet started" (the Node is registered; Ready follows with the first status).
 */
export async function startKubeletInNode(node: LabNode, kubeconfig: string, extraArgs: string[] = [],
                                         opts: { timeoutMs?: number } = {}): Promise<LabProcess> {
  const main = path.join(REPO_ROOT, 'kubelet', 'dist', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} does not exist: build it first (npm run build)`);
  const args = [`--net=/run/netns/${node.netns}`, process.execPath, ...KUBELET_NODE_FLAGS, main,
    `--kubeconfig=${kubeconfig}`, `--node-name=${node.name}`, `--node-ip=${node.ip}`, `--address=${node.ip}`,
    `--docker-host=${node.dockerHost}`, `--root-dir=/run/${node.netns}/kubelet`, `--pod-cidr=${node.podCIDR}`,
    '--cluster-dns=10.96.0.10', '--log-format=json', ...extraArgs];
  const p = spawnTracked(`kubelet-${node.name}`, 'nsenter', args);
  await waitForLog(p, `kubelet in ${node.netns}`, (l) => l.includes('"kubelet started"'), opts.timeoutMs ?? 30_000);
  return p;
}

// --- a control plane the lab can reach ------------------------------------------------------------------

/** n free TCP ports on host (held open together so they differ). */
async function freePortsOn(host: string, n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, host, () => resolve()); });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * etcd on loopback plus an apiserver bound to the lab's host address (10.200.0.1, HTTP and gRPC), with a
 * kubeconfig for both the host (kubectl) and the kubelets in the nodes. Needs startLab first (the address
 * exists only while the lab is up). The harness's startApiserver cannot do this: it checks /readyz on 127.0.0.1.
 */
export async function labCluster(opts: { apiserverArgs?: string[] } = {}): Promise<Cluster> {
  const etcd = await startEtcd();
  const main = path.join(REPO_ROOT, 'apiserver', 'dist', 'main.js');
  const [port, grpcPort] = await freePortsOn(LAB_HOST_IP, 2);
  const url = `http://${LAB_HOST_IP}:${port}`;
  const grpc = `${LAB_HOST_IP}:${grpcPort}`;
  const kubeconfig = path.join(fs.mkdtempSync(path.join(sessionDir(), 'lab-kubeconfig-')), 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(url, grpc));
  const args = [main, `--etcd-servers=${etcd.endpoint}`, `--bind-address=${LAB_HOST_IP}`, `--port=${port}`,
    `--grpc-port=${grpcPort}`, '--log-format=json', ...(opts.apiserverArgs ?? [])];
  let proc!: LabProcess;
  const start = async () => {
    proc = spawnTracked('apiserver', process.execPath, args);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => r.status === 200 && (await r.text()).trim() === 'ok').catch(() => false);
      if (ok) break;
      if (!proc.alive) throw new Error(`apiserver at ${url} ${proc.describeExit()} before it got ready:\n${tail(proc)}`);
      if (Date.now() > deadline) { await proc.stop(2000); throw new Error(`apiserver at ${url} not ready in 30 s:\n${tail(proc)}`); }
      await sleep(100);
    }
  };
  try {
    await start();
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  const apiserver: ApiserverHandle = {
    url, grpc, kubeconfig,
    get pid() { return proc.pid; },
    stop: () => proc.stop(),
    kill: (signal: NodeJS.Signals = 'SIGTERM') => proc.kill(signal),
    restart: async () => { await proc.stop(); await start(); },
    logs: () => proc.logs(),
  };
  return {
    etcd, apiserver, kubeconfig,
    kubectl: (a: string[], o: Omit<KubectlOptions, 'kubeconfig'> = {}) => kubectl(a, { ...o, kubeconfig }),
    teardown: async () => { await proc.stop(); await etcd.stop(); },
  };
}
