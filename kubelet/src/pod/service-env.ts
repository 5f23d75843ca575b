// Docker-links-style service variables (upstream pkg/kubelet/envvars/envvars.go, kubelet_pods.go
// getServiceEnvVarMap): every service of the pod's namespace when enableServiceLinks (default true), plus the
// `kubernetes` service of `default` always; services without a cluster IP give none.
import type { Service } from 'kubernetes-types/core/v1';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

function hostPort(ip: string, port: number): string { return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`; }

export function serviceEnvVars(services: Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, Service>();
  for (const s of services) {
    const ns = s.metadata?.namespace ?? 'default';
    const name = s.metadata?.name ?? '';
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None' || !name) continue;
    if (ns === 'default' && name === 'kubernetes') { if (!chosen.has(name) || namespace === 'default') chosen.set(name, s); continue; }
    if (enableServiceLinks && ns === namespace) chosen.set(name, s);
  }
  const out = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) {
    const s = chosen.get(name)!;
    const ip = s.spec!.clusterIP!;
    const ports = s.spec?.ports ?? [];
    if (ports.length === 0) continue;
    const N = envName(name);
    out.set(`${N}_SERVICE_HOST`, ip);
    out.set(`${N}_SERVICE_PORT`, String(ports[0].port));
    for (const p of ports) if (p.name) out.set(`${N}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${proto}://${hostPort(ip, p.port)}`;
      if (i === 0) out.set(`${N}_PORT`, url);
      const prefix = `${N}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.set(prefix, url);
      out.set(`${prefix}_PROTO`, proto);
      out.set(`${prefix}_PORT`, String(p.port));
      out.set(`${prefix}_ADDR`, ip);
    });
  }
  return out;
}
