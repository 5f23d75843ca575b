// The pod's /etc/hosts and DNS settings (upstream kubelet_pods.go managedHostsFileContent, network/dns/dns.go).
import fs from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';

export interface DnsSettings { nameservers: string[]; searches: string[]; options: string[] }

export function podHostname(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata?.name || 'pod').slice(0, 63);
}

export function hostsFileContent(pod: Pod, podIP: string | undefined, clusterDomain: string, hostNetworkHosts?: string): string {
  const aliases = (pod.spec?.hostAliases ?? []).map(a => `${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  const tail = aliases.length ? ['', '# Entries added by HostAliases.', ...aliases] : [];
  if (pod.spec?.hostNetwork) {
    return [`# Kubernetes-managed hosts file (host network).`, (hostNetworkHosts ?? '').trimEnd(), ...tail, ''].join('\n');
  }
  const host = podHostname(pod);
  const sub = pod.spec?.subdomain;
  const names = sub ? `${host}.${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}\t${host}` : host;
  return [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...(podIP ? [`${podIP}\t${names}`] : []),
    ...tail,
    '',
  ].join('\n');
}

export function parseResolvConf(text: string): DnsSettings {
  const out: DnsSettings = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'nameserver' && f[1]) out.nameservers.push(f[1]);
    else if (f[0] === 'search') out.searches = f.slice(1);
    else if (f[0] === 'options') out.options.push(...f.slice(1));
  }
  return out;
}

export function hostResolvConf(path = '/etc/resolv.conf'): DnsSettings {
  try { return parseResolvConf(fs.readFileSync(path, 'utf8')); } catch { return { nameservers: [], searches: [], options: [] }; }
}

/** Upstream GetPodDNS: ClusterFirst / ClusterFirstWithHostNet / Default / None, merged with spec.dnsConfig, capped. */
export function podDns(pod: Pod, clusterDns: string[], clusterDomain: string, host: DnsSettings): { dns: DnsSettings; warnings: string[] } {
  let policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && pod.spec?.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirst' && clusterDns.length === 0) policy = 'Default';
  const ns = pod.metadata?.namespace ?? 'default';
  let dns: DnsSettings;
  if (policy === 'None') dns = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') dns = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  else {
    dns = {
      nameservers: [...clusterDns],
      searches: [`${ns}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...host.searches],
      options: ['ndots:5'],
    };
  }
  const cfg = pod.spec?.dnsConfig;
  if (cfg) {
    for (const n of cfg.nameservers ?? []) if (!dns.nameservers.includes(n)) dns.nameservers.push(n);
    for (const s of cfg.searches ?? []) if (!dns.searches.includes(s)) dns.searches.push(s);
    for (const o of cfg.options ?? []) {
      const opt = o.value !== undefined ? `${o.name}:${o.value}` : `${o.name}`;
      dns.options = dns.options.filter(x => x.split(':')[0] !== o.name);
      dns.options.push(opt);
    }
  }
  const warnings: string[] = [];
  if (dns.nameservers.length > 3) { warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${dns.nameservers.slice(0, 3).join(' ')}`); dns.nameservers = dns.nameservers.slice(0, 3); }
  if (dns.searches.length > 32) { warnings.push('Search Line limits were exceeded, some search paths have been omitted'); dns.searches = dns.searches.slice(0, 32); }
  return { dns, warnings };
}
