// Shared bits of the kubectl-*.test.ts files: run the real kubectl against one cluster per file and
// look at what it printed and what the apiserver stored.
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cluster, type Cluster, type KubectlResult, sessionDir } from '../src';

export interface Kube {
  c: Cluster;
  /** A scratch dir for manifests. */
  dir: string;
  /** kubectl; any exit code. */
  run(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<KubectlResult>;
  /** kubectl that must exit 0; resolves with stdout. */
  ok(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string>;
  /** kubectl that must fail; resolves with the whole result. */
  fails(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<KubectlResult>;
  /** `kubectl get <args> -o json`, parsed. */
  json(args: string[]): Promise<any>;
  /** Writes a manifest into dir and returns its path. */
  file(name: string, text: string): string;
  /** Starts a long-running kubectl (get -w, proxy) with its output collected. */
  background(args: string[]): Background;
}

export interface Background {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stdout matches re (or rejects after timeoutMs with what was printed). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM by pid, then wait for the exit. */
  stop(): Promise<void>;
}

const describeResult = (args: string[], r: KubectlResult) =>
  `kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

export async function startKube(): Promise<Kube> {
  const c = await cluster();
  const dir = fs.mkdtempSync(path.join(sessionDir(), 'manifests-'));
  const env = () => ({ ...process.env, KUBECONFIG: c.kubeconfig, KUBECACHEDIR: path.join(path.dirname(c.kubeconfig), 'kube-cache') });
  const k: Kube = {
    c, dir,
    run: (args, opts) => c.kubectl(args, opts),
    ok: async (args, opts) => {
      const r = await c.kubectl(args, opts);
      if (r.code !== 0) throw new Error(describeResult(args, r));
      return r.stdout;
    },
    fails: async (args, opts) => {
      const r = await c.kubectl(args, opts);
      if (r.code === 0) throw new Error(`expected a failure: ${describeResult(args, r)}`);
      return r;
    },
    json: async (args) => JSON.parse(await k.ok(['get', ...args, '-o', 'json'])),
    file: (name, text) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    },
    background: (args) => {
      const child = spawn(process.env.MK8S_KUBECTL ?? '/usr/bin/kubectl', args, { env: { ...env(), MK8S_TEST_SESSION: sessionDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return {
        child,
        get stdout() { return out; },
        get stderr() { return err; },
        waitFor: async (re, timeoutMs = 15_000) => {
          const deadline = Date.now() + timeoutMs;
          while (Date.now() < deadline) {
            const m = re.exec(out);
            if (m) return m[0];
            if (child.exitCode !== null) break;
            await sleep(50);
          }
          throw new Error(`kubectl ${args.join(' ')}: no ${re} in stdout: ${out}\nstderr: ${err}`);
        },
        stop: async () => {
          if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
          await exited;
        },
      };
    },
  };
  return k;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls fn until it returns a truthy value (returned) or the time is up (throws with the last value). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}

/** Splits a kubectl table into rows of cells (columns are separated by 2+ spaces). */
export function table(text: string): string[][] {
  return text.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));
}
