// Docker create options for a pod's sandbox and containers (dockershim docker_sandbox.go / docker_container.go,
// kuberuntime_container_linux.go for resources, cm/helpers_linux.go for CPU shares and quota).
import type Docker from 'dockerode';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '@mk8s/apimachinery';
import { containerLabels, containerName, LABEL_CONTAINER_HASH, LABEL_INIT, LABEL_SANDBOX_ID, PodRef, sandboxName, SANDBOX_CONTAINER_NAME } from '../runtime/naming';
import { ContainerConfigError, expand } from './env';
import { DnsSettings, podHostname } from './dns';
import { specHash } from './actions';

export const podRef = (pod: Pod): PodRef => ({ name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid: pod.metadata?.uid ?? '' });

function quantity(v: unknown, what: string) {
  try { return parseQuantity(String(v)); } catch (e) { throw new ContainerConfigError(`${what}: ${(e as Error).message}`); }
}

/** Upstream MilliCPUToShares (min 2) and MilliCPUToQuota (period 100 ms, min 1 ms). */
export function cpuShares(milli: number): number { return milli === 0 ? 2 : Math.max(2, Math.floor(milli * 1024 / 1000)); }
export function cpuQuota(milli: number): number { return Math.max(1000, Math.floor(milli * 100_000 / 1000)); }

export function resourcesConfig(c: Container): Partial<Docker.HostConfig> {
  const req = (c.resources?.requests ?? {}) as Record<string, unknown>;
  const lim = (c.resources?.limits ?? {}) as Record<string, unknown>;
  const hc: Partial<Docker.HostConfig> = {};
  const reqCpu = req.cpu ?? lim.cpu;
  hc.CpuShares = cpuShares(reqCpu !== undefined ? quantity(reqCpu, 'resources.requests.cpu').milliValue() : 0);
  if (lim.cpu !== undefined) { hc.CpuPeriod = 100_000; hc.CpuQuota = cpuQuota(quantity(lim.cpu, 'resources.limits.cpu').milliValue()); }
  if (lim.memory !== undefined) { const b = quantity(lim.memory, 'resources.limits.memory').value(); hc.Memory = b; hc.MemorySwap = b; }
  return hc;
}

// hostPorts bind on the node's own address (never every host address), unless the pod names a hostIP.
function portsConfig(pod: Pod, nodeIP: string) {
  const exposed: Record<string, {}> = {};
  const bindings: Record<string, { HostPort: string; HostIp?: string }[]> = {};
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const key = `${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostPort: String(p.hostPort), HostIp: p.hostIP || nodeIP });
    }
  }
  return { exposed, bindings };
}

export function sandboxOptions(pod: Pod, nodeName: string, attempt: number, pauseImage: string, dns: DnsSettings, nodeIP: string): Docker.ContainerCreateOptions {
  const ref = podRef(pod);
  const hostNet = !!pod.spec?.hostNetwork;
  const { exposed, bindings } = portsConfig(pod, nodeIP);
  return {
    name: sandboxName(ref, attempt), Image: pauseImage,
    ...(hostNet ? {} : { Hostname: podHostname(pod) }),
    Labels: containerLabels(nodeName, ref, SANDBOX_CONTAINER_NAME, 'podsandbox', attempt),
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: hostNet ? 'host' : 'bridge', IpcMode: pod.spec?.hostIPC ? 'host' : 'shareable',
      ...(pod.spec?.hostPID ? { PidMode: 'host' } : {}),
      ...(hostNet ? {} : { Dns: dns.nameservers, DnsSearch: dns.searches, DnsOptions: dns.options, PortBindings: bindings }),
      // no OomScoreAdj -998 as upstream: lowering it needs CAP_SYS_RESOURCE, which these hosts lack (start fails)
    },
  };
}

export interface ContainerOptionsInput {
  pod: Pod; container: Container; nodeName: string; attempt: number; sandboxId: string; isInit: boolean;
  env: Map<string, string>;
  mounts: { binds: string[]; tmpfs: Record<string, string> };
  hostsFile?: string;
  /** Host file bind-mounted at the container's terminationMessagePath. */
  terminationLog?: { hostPath: string; containerPath: string };
}

export function containerOptions(inp: ContainerOptionsInput): Docker.ContainerCreateOptions {
  const { pod, container: c } = inp;
  const ref = podRef(pod);
  const sc = { ...(pod.spec?.securityContext ?? {}), ...(c.securityContext ?? {}) } as any;
  const user = sc.runAsUser !== undefined ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}` : undefined;
  const sandbox = `container:${inp.sandboxId}`;
  const binds = [...inp.mounts.binds];
  const mountsHosts = binds.some(b => b.split(':')[1] === '/etc/hosts');
  if (inp.hostsFile && !mountsHosts) binds.push(`${inp.hostsFile}:/etc/hosts`);
  if (inp.terminationLog && !binds.some(b => b.split(':')[1] === inp.terminationLog!.containerPath)) {
    binds.push(`${inp.terminationLog.hostPath}:${inp.terminationLog.containerPath}`);
  }
  const hc: Docker.HostConfig = {
    NetworkMode: sandbox, IpcMode: pod.spec?.hostIPC ? 'host' : sandbox,
    ...(pod.spec?.shareProcessNamespace ? { PidMode: sandbox } : pod.spec?.hostPID ? { PidMode: 'host' } : {}),
    Binds: binds, ...(Object.keys(inp.mounts.tmpfs).length ? { Tmpfs: inp.mounts.tmpfs } : {}),
    ...resourcesConfig(c),
    ...(sc.privileged ? { Privileged: true } : {}),
    ...(sc.readOnlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
    ...(sc.capabilities?.add?.length ? { CapAdd: sc.capabilities.add } : {}),
    ...(sc.capabilities?.drop?.length ? { CapDrop: sc.capabilities.drop } : {}),
    ...(sc.allowPrivilegeEscalation === false ? { SecurityOpt: ['no-new-privileges'] } : {}),
  };
  const vars = inp.env;
  return {
    name: containerName(c.name, ref, inp.attempt), Image: c.image,
    ...(c.command ? { Entrypoint: c.command.map(s => expand(s, vars)) } : {}),
    ...(c.args ? { Cmd: c.args.map(s => expand(s, vars)) } : c.command ? { Cmd: [] } : {}),
    Env: [...vars].map(([k, v]) => `${k}=${v}`),
    ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
    ...(user ? { User: user } : {}),
    Tty: !!c.tty, OpenStdin: !!c.stdin, StdinOnce: !!c.stdinOnce, AttachStdin: false,
    Labels: containerLabels(inp.nodeName, ref, c.name, 'container', inp.attempt, {
      [LABEL_CONTAINER_HASH]: specHash(c), [LABEL_SANDBOX_ID]: inp.sandboxId, ...(inp.isInit ? { [LABEL_INIT]: 'true' } : {}),
    }),
    HostConfig: hc,
  };
}
