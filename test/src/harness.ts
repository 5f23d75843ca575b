// Cross-process test harness: real etcd, real apiserver (node apiserver/dist/main.js) and the real kubectl,
// each on free loopback ports with its files in a per-session dir /tmp/mk8s-test-*.
// Every process started here is registered and stopped when the test file ends (afterAll), even when a
// test throws. If the test process itself dies, the kernel kills them (setpriv --pdeathsig KILL); the
// 'exit' handler does the same outside jest. Anything left anyway is found by MK8S_TEST_SESSION in its
// environment and owner.pid in the session dir (test/run-all.sh cleans such leftovers up).
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Etcd3 } from 'etcd3';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * Node flags every kubelet runs with (deploy/up.sh passes the same): a 2 MB young generation. The kubelet is a
 * long-lived daemon on every node; node's default semi-space lets its heap sit at ~55 MB for ~20 MB of live data
 * (RSS 78 MB instead of 117 MB with 70 pods in bench/pod-startup, start-up latency unchanged).
 */
export const KUBELET_NODE_FLAGS = ['--max-semi-space-size=2'];
const KUBECTL = process.env.MK8S_KUBECTL ?? '/usr/bin/kubectl';
const ETCD_BIN = process.env.MK8S_ETCD_BIN ?? 'etcd';
const LOOPBACK = '127.0.0.1';
// util-linux (essential on Debian): makes the kernel SIGKILL the child when this process dies, even by SIGKILL.
const SETPRIV = '/usr/bin/setpriv';
const HAVE_SETPRIV = fs.existsSync(SETPRIV);

// --- session dir and process registry --------------------------------------------------------------

let session: string | undefined;
const live = new Set<ManagedProcess>();

/** The dir holding everything this test process starts; created on first use. */
export function sessionDir(): string {
  if (session === undefined) {
    const root = process.env.MK8S_TEST_ROOT ?? '/tmp';
    fs.mkdirSync(root, { recursive: true });
    session = fs.mkdtempSync(path.join(root, 'mk8s-test-'));
    fs.writeFileSync(path.join(session, 'owner.pid'), `${process.pid}\n`);
  }
  return session;
}

function newDir(kind: string): string {
  return fs.mkdtempSync(path.join(sessionDir(), `${kind}-`));
}

// Synchronous: 'exit' handlers cannot wait. SIGKILL because nothing gets a chance to run after this.
// (Inside jest, `process` is a copy whose 'exit' never fires; there afterAll and pdeathsig do the work.)
function killAllNow(): void {
  for (const p of live) p.kill('SIGKILL');
}

/** Stops every process this file started, then removes the session dir. Registered as afterAll. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
  process.removeListener('exit', killAllNow);
  if (session !== undefined) {
    fs.rmSync(session, { recursive: true, force: true });
    session = undefined;
  }
}

// Jest gives each test file its own copy of this module, so this runs once per file.
if (typeof afterAll === 'function') {
  try {
    afterAll(stopAll, 60_000);
  } catch {
    // imported from inside a test, where hooks cannot be added: the 'exit' handler still cleans up
  }
}

/** A child process whose output goes to a log file, with a promise for its exit. */
class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private running = true;

  constructor(readonly name: string, cmd: string, args: string[], readonly logFile: string, env: NodeJS.ProcessEnv) {
    const fd = fs.openSync(logFile, 'a');
    try {
      const [file, argv] = HAVE_SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
      this.child = spawn(file, argv, {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...env, MK8S_TEST_SESSION: sessionDir() },
      });
    } finally {
      fs.closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.running = false;
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        if (live.size === 0) process.removeListener('exit', killAllNow);
        resolve();
      };
      this.child.once('exit', done);
      this.child.once('error', (err) => {
        fs.appendFileSync(logFile, `\n[harness] cannot start ${cmd}: ${err.message}\n`);
        done(null, null);
      });
    });
    live.add(this);
    if (process.listeners('exit').indexOf(killAllNow) < 0) process.on('exit', killAllNow);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.running;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.running) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return this.exited;
    this.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, forced]);
    clearTimeout(timer);
    await this.exited;
  }

  describeExit(): string {
    return this.exitSignal ? `killed by ${this.exitSignal}` : `exited with code ${this.exitCode}`;
  }

  logs(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 40): string {
    return this.logs().split('\n').slice(-lines).join('\n');
  }
}

// --- small helpers ----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** n distinct free TCP ports on 127.0.0.1 (all held open together so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

async function httpBody(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

/** Polls check() every 100 ms until it is true; fails early (with the log) when proc exits. */
async function waitReady(proc: ManagedProcess, what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (!proc.alive) {
      throw new Error(`${what} ${proc.describeExit()} before it got ready; log ${proc.logFile}:\n${proc.logTail()}`);
    }
    await sleep(100);
  }
  await proc.stop();
  throw new Error(`${what} not ready after ${timeoutMs} ms (stopped it); log ${proc.logFile}:\n${proc.logTail()}`);
}

// --- etcd ---------------------------------------------------------------------------------------------

export interface EtcdHandle {
  /** Client URL, e.g. http://127.0.0.1:41234 (what --etcd-servers takes). */
  readonly endpoint: string;
  readonly dataDir: string;
  /** Pid of the current etcd process (changes on restart). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Sends a signal without waiting (SIGKILL simulates a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Stops (if running) and starts again on the same ports and data. */
  restart(): Promise<void>;
  /** Compacts history up to rev (default: the current revision); resolves with the revision compacted. */
  compact(rev?: number): Promise<number>;
  logs(): string;
}

export interface EtcdOptions {
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

/** A fresh single-member etcd on free loopback ports, data in a new dir; resolves once /health is true. */
export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdHandle> {
  const dir = newDir('etcd');
  const dataDir = path.join(dir, 'data');
  const [clientPort, peerPort] = await freePorts(2);
  const endpoint = `http://${LOOPBACK}:${clientPort}`;
  const peer = `http://${LOOPBACK}:${peerPort}`;
  const args = [
    '--name=test',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
    '--logger=zap',
    '--log-outputs=stderr',
    ...(opts.extraArgs ?? []),
  ];
  const healthy = async () => (await httpBody(`${endpoint}/health`))?.body.includes('"health":"true"') ?? false;
  let proc!: ManagedProcess;
  const start = async () => {
    proc = new ManagedProcess('etcd', ETCD_BIN, args, path.join(dir, 'etcd.log'), {});
    await waitReady(proc, `etcd at ${endpoint}`, opts.readyTimeoutMs ?? 30_000, healthy);
  };
  await start();

  return {
    endpoint,
    dataDir,
    get pid() {
      return proc.pid;
    },
    stop: () => proc.stop(),
    kill: (signal = 'SIGTERM') => proc.kill(signal),
    restart: async () => {
      await proc.stop();
      await start();
    },
    compact: async (rev?: number) => {
      const client = new Etcd3({ hosts: endpoint });
      try {
        const revision = rev ?? Number((await client.kv.range({ key: Buffer.from([0]) })).header.revision);
        await client.kv.compact({ revision, physical: true });
        return revision;
      } finally {
        client.close();
      }
    },
    logs: () => proc.logs(),
  };
}

// --- apiserver ----------------------------------------------------------------------------------------

export interface ApiserverHandle {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** 127.0.0.1:<grpc port> */
  readonly grpc: string;
  readonly pid: number;
  /** A kubeconfig file (cluster/context mk8s, user admin) pointing at url. */
  readonly kubeconfig: string;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Stops (if running) and starts again on the same ports. */
  restart(): Promise<void>;
  /** Everything the process wrote to stdout and stderr so far (all runs). */
  logs(): string;
}

export interface ApiserverOptions {
  /** --etcd-servers value. */
  etcd: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  etcdPrefix?: string;
  logFormat?: 'json' | 'text';
  /** Command run instead of `node apiserver/dist/main.js` (the flags are appended); for stand-ins. */
  command?: string[];
  readyTimeoutMs?: number;
}

/** The kubeconfig YAML for an unauthenticated mk8s apiserver at server (same shape deploy/up.sh writes). */
/** A kubeconfig for `server`; components find the gRPC address in the cluster's `mk8s.io/grpc` extension. */
export function kubeconfigYaml(server: string, grpcServer?: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: mk8s',
    '  cluster:',
    `    server: ${server}`,
    ...(grpcServer ? ['    extensions:', '    - name: mk8s.io/grpc', '      extension:', `        server: ${grpcServer}`] : []),
    'users:',
    '- name: admin',
    '  user: {}',
    'contexts:',
    '- name: mk8s',
    '  context:',
    '    cluster: mk8s',
    '    user: admin',
    'current-context: mk8s',
    '',
  ].join('\n');
}

/** Spawns the apiserver on free ports; resolves once /readyz answers 200 "ok". */
export async function startApiserver(opts: ApiserverOptions): Promise<ApiserverHandle> {
  const main = path.join(REPO_ROOT, 'apiserver', 'dist', 'main.js');
  if (!opts.command && !fs.existsSync(main)) {
    throw new Error(`${main} does not exist: build it first (npm run build)`);
  }
  // Same node flags as deploy/up.sh gives the apiserver (a larger young generation for request garbage).
  const [cmd, ...cmdArgs] = opts.command ?? [process.execPath, '--max-semi-space-size=32', main];
  const dir = newDir('apiserver');
  const [port, grpcPort] = await freePorts(2);
  const url = `http://${LOOPBACK}:${port}`;
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(url, `${LOOPBACK}:${grpcPort}`));
  const args = [
    ...cmdArgs,
    `--etcd-servers=${opts.etcd}`,
    `--bind-address=${LOOPBACK}`,
    `--port=${port}`,
    `--grpc-port=${grpcPort}`,
    `--etcd-prefix=${opts.etcdPrefix ?? '/registry'}`,
    `--log-format=${opts.logFormat ?? 'json'}`,
    ...(opts.extraArgs ?? []),
  ];
  const logFile = path.join(dir, 'apiserver.log');
  const ready = async () => {
    const res = await httpBody(`${url}/readyz`);
    return res?.status === 200 && res.body.trim() === 'ok';
  };
  let proc!: ManagedProcess;
  const start = async () => {
    proc = new ManagedProcess('apiserver', cmd, args, logFile, opts.env ?? {});
    await waitReady(proc, `apiserver at ${url}`, opts.readyTimeoutMs ?? 30_000, ready);
  };
  await start();

  return {
    url,
    grpc: `${LOOPBACK}:${grpcPort}`,
    kubeconfig,
    get pid() {
      return proc.pid;
    },
    stop: () => proc.stop(),
    kill: (signal = 'SIGTERM') => proc.kill(signal),
    restart: async () => {
      await proc.stop();
      await start();
    },
    logs: () => proc.logs(),
  };
}

// --- kubectl ------------------------------------------------------------------------------------------

export interface KubectlOptions {
  kubeconfig?: string;
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real kubectl. Resolves with its exit code and output (a non-zero code is a result, not an
 * error); rejects only when kubectl cannot start or outlives timeoutMs (default 60 s).
 * The discovery cache goes next to the kubeconfig: ports are reused between tests, and a cache keyed
 * by host:port in ~/.kube would leak one apiserver's resources into another test.
 */
export function kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (opts.kubeconfig) {
    env.KUBECONFIG = opts.kubeconfig;
    env.KUBECACHEDIR = path.join(path.dirname(opts.kubeconfig), 'kube-cache');
  }
  if (session !== undefined) env.MK8S_TEST_SESSION = session;
  Object.assign(env, opts.env);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${KUBECTL}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {
      // kubectl may exit before reading its input; its exit code tells the story
    });
    child.stdin.end(opts.input ?? '');
  });
}

// --- a whole control plane ----------------------------------------------------------------------------

export interface Cluster {
  etcd: EtcdHandle;
  apiserver: ApiserverHandle;
  kubeconfig: string;
  /** kubectl against this cluster's apiserver. */
  kubectl(args: string[], opts?: Omit<KubectlOptions, 'kubeconfig'>): Promise<KubectlResult>;
  /** Stops the apiserver, then etcd. */
  teardown(): Promise<void>;
}

/** etcd + apiserver on fresh ports, ready to use. */
export async function cluster(opts: { etcd?: EtcdOptions; apiserver?: Omit<ApiserverOptions, 'etcd'> } = {}): Promise<Cluster> {
  const etcd = await startEtcd(opts.etcd);
  let apiserver: ApiserverHandle;
  try {
    apiserver = await startApiserver({ ...opts.apiserver, etcd: etcd.endpoint });
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  return {
    etcd,
    apiserver,
    kubeconfig: apiserver.kubeconfig,
    kubectl: (args, o = {}) => kubectl(args, { ...o, kubeconfig: apiserver.kubeconfig }),
    teardown: async () => {
      await apiserver.stop();
      await etcd.stop();
    },
  };
}

// --- components (scheduler, controller-manager, kubelet, proxy) -------------------------------------------

export interface ComponentHandle {
  readonly pid: number; readonly alive: boolean;
  stop(): Promise<void>; kill(signal?: NodeJS.Signals): void; logs(): string;
}

/**
 * Starts `node <component>/dist/main.js ...args` with its output in the session dir; it is stopped with the
 * rest when the test file ends. `waitFor`, when given, is polled until it resolves true (e.g. a log line).
 */
export async function startComponent(component: string, args: string[],
                                     opts: { env?: NodeJS.ProcessEnv; waitFor?: (logs: string) => boolean; timeoutMs?: number } = {}): Promise<ComponentHandle> {
  const main = path.join(REPO_ROOT, component, 'dist', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} does not exist: build it first (npm run build)`);
  const dir = newDir(component);
  const proc = new ManagedProcess(component, process.execPath, [main, ...args], path.join(dir, `${component}.log`), { MK8S_LOG_FORMAT: 'text', ...opts.env });
  if (opts.waitFor) {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    while (!opts.waitFor(proc.logs())) {
      if (!proc.alive) throw new Error(`${component} ${proc.describeExit()}:\n${proc.logTail()}`);
      if (Date.now() > deadline) throw new Error(`${component} not ready in time:\n${proc.logTail()}`);
      await sleep(100);
    }
  }
  return {
    get pid() { return proc.pid; }, get alive() { return proc.alive; },
    stop: () => proc.stop(), kill: (s?: NodeJS.Signals) => proc.kill(s), logs: () => proc.logs(),
  };
}
