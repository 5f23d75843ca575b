// The container runtime the kubelet drives: Docker through dockerode. Only containers carrying this kubelet's
// node label are ever listed, stopped or removed, so other software (and other kubelets) on the host are safe.
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import {
  DockerType, LABEL_CONTAINER_HASH, LABEL_CONTAINER_NAME, LABEL_DOCKER_TYPE, LABEL_INIT, LABEL_NODE, LABEL_POD_NAME,
  LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT, LABEL_SANDBOX_ID,
} from './naming';

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** One container as the runtime reports it (dockershim's ContainerStatus + our labels). */
export interface ObservedContainer {
  id: string;
  dockerName: string;
  /** Container name from the pod spec (`POD` for the sandbox). */
  name: string;
  type: DockerType;
  podUid: string; podName: string; podNamespace: string;
  attempt: number;
  hash?: string;
  init: boolean;
  /** The sandbox this container joined (containers only). */
  sandboxId?: string;
  state: ContainerState;
  exitCode: number;
  oomKilled: boolean;
  /** Docker's own error (e.g. exec format error from start). */
  error: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  image: string;
  imageId: string;
  /** Sandbox only: its bridge address. */
  ip?: string;
  networkMode: string;
}

/** Docker timestamps have nanoseconds and use year 1 for "never"; the API wants RFC 3339 seconds. */
export function dockerTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-')) return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(t);
  return m ? `${m[1]}Z` : undefined;
}

function toState(s: string): ContainerState {
  if (s === 'running' || s === 'paused' || s === 'restarting') return 'running';
  if (s === 'created') return 'created';
  if (s === 'exited' || s === 'dead' || s === 'removing') return 'exited';
  return 'unknown';
}

export interface ExecResult { exitCode: number; output: string; timedOut: boolean }

/** How long (polls × ms) a just-exited 137 waits for Docker's OOM event. */
const OOM_EVENT_POLLS = 5;
const OOM_EVENT_POLL_MS = 50;

export class DockerRuntime {
  readonly docker: Docker;
  private readonly inspectCache = new Map<string, { key: string; obs: ObservedContainer }>();
  /** Containers whose fresh 137 exit has had its wait for the OOM event. */
  private readonly oomWaited = new Set<string>();

  constructor(readonly nodeName: string, dockerHost = 'unix:///var/run/docker.sock') {
    this.docker = new Docker(dockerOptions(dockerHost));
  }

  /** Every container of ours (optionally one pod's), inspected; inspections are cached until the state changes. */
  async list(podUid?: string): Promise<ObservedContainer[]> {
    const label = [`${LABEL_NODE}=${this.nodeName}`];
    if (podUid) label.push(`${LABEL_POD_UID}=${podUid}`);
    const items = await this.docker.listContainers({ all: true, filters: { label } });
    const out = await Promise.all(items.map(async it => {
      const key = `${it.State}`;
      const cached = this.inspectCache.get(it.Id);
      if (cached && cached.key === key) return cached.obs;
      try {
        let obs = fromInspect(await this.docker.getContainer(it.Id).inspect());
        // Docker records OOMKilled from a containerd event that may land just after the exit: an exit seen in its
        // first seconds is inspected again rather than remembered, and a fresh SIGKILL exit (137) is given a
        // moment for that event before it is reported as a plain Error.
        const justExited = obs.state === 'exited' && Date.now() - Date.parse(obs.finishedAt ?? '') < 3000;
        if (justExited && obs.exitCode === 137 && !obs.oomKilled && !this.oomWaited.has(it.Id)) {
          this.oomWaited.add(it.Id); // once per container: later lists do not wait again
          for (let i = 0; i < OOM_EVENT_POLLS && !obs.oomKilled; i++) {
            await new Promise(r => setTimeout(r, OOM_EVENT_POLL_MS));
            obs = fromInspect(await this.docker.getContainer(it.Id).inspect());
          }
        }
        if (!justExited) this.inspectCache.set(it.Id, { key, obs });
        return obs;
      } catch {
        return undefined; // removed between list and inspect
      }
    }));
    if (!podUid) {
      const live = new Set(items.map(i => i.Id));
      for (const id of this.inspectCache.keys()) if (!live.has(id)) this.inspectCache.delete(id);
      for (const id of this.oomWaited) if (!live.has(id)) this.oomWaited.delete(id);
    }
    return out.filter((o): o is ObservedContainer => o !== undefined);
  }

  /** Creates and starts a container; on a name conflict (a stale container from a crash) removes it and retries. */
  async run(opts: Docker.ContainerCreateOptions): Promise<string> {
    const id = await this.create(opts);
    try { await this.start(id); } catch (e) { await this.remove(id).catch(() => undefined); throw e; }
    return id;
  }

  async create(opts: Docker.ContainerCreateOptions): Promise<string> {
    try {
      return (await this.docker.createContainer(opts)).id;
    } catch (e: any) {
      if (e?.statusCode === 409 && opts.name) {
        const stale = this.docker.getContainer(opts.name);
        const info = await stale.inspect().catch(() => undefined);
        if (info?.Config?.Labels?.[LABEL_NODE] !== this.nodeName) throw e;
        await stale.remove({ force: true }).catch(() => undefined);
        return (await this.docker.createContainer(opts)).id;
      }
      throw e;
    }
  }

  async start(id: string): Promise<void> { await this.docker.getContainer(id).start(); }

  async inspect(id: string): Promise<ObservedContainer | undefined> {
    try { return fromInspect(await this.docker.getContainer(id).inspect()); } catch { return undefined; }
  }

  /** docker stop -t: the STOPSIGNAL, then SIGKILL after `seconds`. */
  async stop(id: string, seconds: number): Promise<void> {
    try { await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(seconds)) }); } catch (e: any) {
      if (e?.statusCode !== 304 && e?.statusCode !== 404) throw e;
    }
    this.inspectCache.delete(id);
  }

  async remove(id: string): Promise<void> {
    try { await this.docker.getContainer(id).remove({ force: true, v: true }); } catch (e: any) {
      if (e?.statusCode !== 404 && e?.statusCode !== 409) throw e;
    }
    this.inspectCache.delete(id);
  }

  /** Runs a command in a container, collecting stdout+stderr, giving up after timeoutMs. */
  async exec(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    let output = '';
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => { if (output.length < 10_240) output += d.toString('utf8'); });
    this.docker.modem.demuxStream(stream, sink, sink);
    const finished = new Promise<boolean>(resolve => { stream.on('end', () => resolve(false)); stream.on('close', () => resolve(false)); stream.on('error', () => resolve(false)); });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(true), timeoutMs); });
    const timedOut = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    if (timedOut) { stream.destroy(); return { exitCode: -1, output, timedOut: true }; }
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output, timedOut: false };
  }

  async imagePresent(image: string): Promise<{ id: string } | undefined> {
    try { const i = await this.docker.getImage(image).inspect(); return { id: i.Id }; } catch { return undefined; }
  }

  /** Tries a pull; resolves with the daemon's error text, or undefined when the pull worked. */
  async pull(image: string, timeoutMs = 10_000): Promise<string | undefined> {
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          this.docker.pull(image, (err: any, stream: NodeJS.ReadableStream) => {
            if (err) { reject(err); return; }
            this.docker.modem.followProgress(stream, (e: any) => (e ? reject(e) : resolve()));
          });
        }),
        new Promise<void>((_r, reject) => setTimeout(() => reject(new Error(`pull did not finish in ${timeoutMs} ms`)), timeoutMs)),
      ]);
      return undefined;
    } catch (e: any) {
      return String(e?.json?.message ?? e?.message ?? e);
    }
  }

  /** The last lines of a container's output (stdout+stderr), at most maxBytes from the end. */
  async logTail(id: string, lines: number, maxBytes: number): Promise<string> {
    const raw = await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false }) as unknown as Buffer;
    const framed = raw.length >= 8 && raw[0] <= 2 && raw[1] === 0 && raw[2] === 0 && raw[3] === 0;
    if (!framed) return raw.subarray(Math.max(0, raw.length - maxBytes)).toString('utf8'); // tty: raw bytes
    const out: Buffer[] = [];
    // multiplexed frames: 8-byte header (stream, 0, 0, 0, size32be) then the payload
    for (let i = 0; i + 8 <= raw.length;) {
      const size = raw.readUInt32BE(i + 4);
      out.push(raw.subarray(i + 8, i + 8 + size));
      i += 8 + size;
    }
    const all = Buffer.concat(out);
    return all.subarray(Math.max(0, all.length - maxBytes)).toString('utf8');
  }

  async version(): Promise<string> { return (await this.docker.version()).Version; }

  /** Images for Node.status.images: largest first, at most 50. */
  async images(): Promise<{ names: string[]; sizeBytes: number }[]> {
    const list = await this.docker.listImages();
    return list.map(i => ({ names: [...(i.RepoTags ?? []).filter(t => t !== '<none>:<none>'), ...(i.RepoDigests ?? [])], sizeBytes: i.Size }))
      .filter(i => i.names.length > 0).sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 50);
  }

  /** Container start/die/oom events of ours: the fast path next to the 1 s relist. */
  async events(onEvent: (podUid: string) => void, onClose: () => void): Promise<() => void> {
    const stream: any = await this.docker.getEvents({ filters: { type: ['container'], label: [`${LABEL_NODE}=${this.nodeName}`] } });
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line);
          if (['start', 'die', 'oom', 'destroy'].includes(ev.status ?? ev.Action)) {
            const uid = ev.Actor?.Attributes?.[LABEL_POD_UID];
            if (uid) onEvent(uid);
          }
        } catch { /* partial garbage: ignore */ }
      }
    });
    stream.on('end', onClose); stream.on('error', onClose);
    return () => { try { stream.destroy(); } catch { /* gone */ } };
  }
}

function fromInspect(i: Docker.ContainerInspectInfo): ObservedContainer {
  const l = i.Config?.Labels ?? {};
  const net = i.NetworkSettings as any;
  let ip: string | undefined = net?.IPAddress || undefined;
  if (!ip && net?.Networks) for (const n of Object.values<any>(net.Networks)) if (n?.IPAddress) { ip = n.IPAddress; break; }
  return {
    id: i.Id, dockerName: i.Name.replace(/^\//, ''), name: l[LABEL_CONTAINER_NAME] ?? '',
    type: (l[LABEL_DOCKER_TYPE] as DockerType) ?? 'container',
    podUid: l[LABEL_POD_UID] ?? '', podName: l[LABEL_POD_NAME] ?? '', podNamespace: l[LABEL_POD_NAMESPACE] ?? '',
    attempt: Number(l[LABEL_RESTART_COUNT] ?? 0) || 0, hash: l[LABEL_CONTAINER_HASH], init: l[LABEL_INIT] === 'true', sandboxId: l[LABEL_SANDBOX_ID],
    state: toState(i.State?.Status ?? ''), exitCode: i.State?.ExitCode ?? 0, oomKilled: !!i.State?.OOMKilled,
    error: i.State?.Error ?? '', createdAt: dockerTime(i.Created) ?? new Date().toISOString(),
    startedAt: dockerTime(i.State?.StartedAt), finishedAt: dockerTime(i.State?.FinishedAt),
    image: i.Config?.Image ?? '', imageId: i.Image ?? '', ip, networkMode: i.HostConfig?.NetworkMode ?? '',
  };
}

/** unix:///path, tcp://host:port or http://host:port to dockerode options. */
export function dockerOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (m) return { host: m[1], port: Number(m[2]), protocol: 'http' };
  throw new Error(`--docker-host ${JSON.stringify(host)}: expected unix:///path or tcp://host:port`);
}
