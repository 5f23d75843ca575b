// Container environment (upstream kubelet_pods.go makeEnvironmentVariables, third_party expansion.go):
// envFrom first, then env in order; valueFrom sources; $(VAR) expansion against what was defined before.
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '@mk8s/apimachinery';

/** A spec the kubelet cannot turn into a container: reported as CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

export interface EnvSources {
  configMap(namespace: string, name: string): Promise<{ data?: Record<string, string>; binaryData?: Record<string, string> } | undefined>;
  secret(namespace: string, name: string): Promise<{ data?: Record<string, string> } | undefined>;
  podIP?: string;
  hostIP: string;
  /** Node allocatable, the default for resourceFieldRef when the container sets no limit. */
  nodeAllocatable: { cpu: string; memory: string; 'ephemeral-storage'?: string };
  /** Service link variables: usable in $(VAR), added last where the container defines no such name. */
  serviceEnv?: Map<string, string>;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `$(VAR)` from `vars`; `$$` is a literal `$`; unknown references stay as written. */
export function expand(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) { out += ch; continue; }
    const nx = input[i + 1];
    if (nx === '$') { out += '$'; i++; continue; }
    if (nx === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) { out += input.slice(i); break; }
      const name = input.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = end;
      continue;
    }
    out += ch;
  }
  return out;
}

function fieldRef(pod: Pod, path: string, src: EnvSources): string {
  const md = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (sub) return (md as any)[sub[1]]?.[sub[2]] ?? '';
  switch (path) {
    case 'metadata.name': return md.name ?? '';
    case 'metadata.namespace': return md.namespace ?? '';
    case 'metadata.uid': return md.uid ?? '';
    case 'metadata.labels': return Object.entries(md.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'metadata.annotations': return Object.entries(md.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': case 'status.hostIPs': return src.hostIP;
    case 'status.podIP': case 'status.podIPs': return src.podIP ?? '';
  }
  throw new ContainerConfigError(`unsupported fieldRef ${JSON.stringify(path)}`);
}

function resourceField(pod: Pod, c: Container, ref: { containerName?: string; resource: string; divisor?: string | number }, src: EnvSources): string {
  const target = ref.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(x => x.name === ref.containerName) : c;
  if (!target) throw new ContainerConfigError(`resourceFieldRef: no container named ${JSON.stringify(ref.containerName)}`);
  const [kind, res] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(res)) {
    throw new ContainerConfigError(`unsupported resourceFieldRef resource ${JSON.stringify(ref.resource)}`);
  }
  const given = (target.resources as any)?.[kind]?.[res] ?? (kind === 'requests' ? (target.resources as any)?.limits?.[res] : undefined);
  const raw = given ?? (kind === 'limits' ? (src.nodeAllocatable as any)[res] : '0');
  try {
    const q = parseQuantity(String(raw ?? '0'));
    const d = parseQuantity(String(ref.divisor ?? (res === 'cpu' ? '1' : '1')));
    if (d.isZero()) throw new ContainerConfigError('resourceFieldRef divisor must not be zero');
    const v = Number(q.nanoValueBigInt()) / Number(d.nanoValueBigInt());
    return String(Math.ceil(v - 1e-9));
  } catch (e) {
    if (e instanceof ContainerConfigError) throw e;
    throw new ContainerConfigError(`resourceFieldRef ${ref.resource}: ${(e as Error).message}`);
  }
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The container's environment as NAME=value lines, in order; throws ContainerConfigError on a missing source. */
export async function containerEnv(pod: Pod, c: Container, src: EnvSources): Promise<Map<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  const cms = new Map<string, any>();
  const secrets = new Map<string, any>();
  const cm = async (name: string) => { if (!cms.has(name)) cms.set(name, await src.configMap(ns, name)); return cms.get(name); };
  const sec = async (name: string) => { if (!secrets.has(name)) secrets.set(name, await src.secret(ns, name)); return secrets.get(name); };

  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const obj = await cm(from.configMapRef.name ?? '');
      if (!obj) { if (from.configMapRef.optional) continue; throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`); }
      for (const [k, v] of Object.entries<string>(obj.data ?? {})) if (ENV_NAME.test(prefix + k)) vars.set(prefix + k, v);
    } else if (from.secretRef) {
      const obj = await sec(from.secretRef.name ?? '');
      if (!obj) { if (from.secretRef.optional) continue; throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`); }
      for (const [k, v] of Object.entries<string>(obj.data ?? {})) if (ENV_NAME.test(prefix + k)) vars.set(prefix + k, b64(v));
    }
  }
  for (const e of (c.env ?? []) as EnvVar[]) {
    if (!e.valueFrom) { vars.set(e.name, expand(e.value ?? '', src.serviceEnv?.size ? new Map([...src.serviceEnv, ...vars]) : vars)); continue; }
    const vf = e.valueFrom;
    if (vf.fieldRef) vars.set(e.name, fieldRef(pod, vf.fieldRef.fieldPath, src));
    else if (vf.resourceFieldRef) vars.set(e.name, resourceField(pod, c, vf.resourceFieldRef as any, src));
    else if (vf.configMapKeyRef) {
      const r = vf.configMapKeyRef;
      const obj = await cm(r.name ?? '');
      if (!obj) { if (r.optional) continue; throw new ContainerConfigError(`configmap "${r.name}" not found`); }
      const v = obj.data?.[r.key] ?? (obj.binaryData?.[r.key] !== undefined ? b64(obj.binaryData[r.key]) : undefined);
      if (v === undefined) { if (r.optional) continue; throw new ContainerConfigError(`couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}`); }
      vars.set(e.name, v);
    } else if (vf.secretKeyRef) {
      const r = vf.secretKeyRef;
      const obj = await sec(r.name ?? '');
      if (!obj) { if (r.optional) continue; throw new ContainerConfigError(`secret "${r.name}" not found`); }
      const v = obj.data?.[r.key];
      if (v === undefined) { if (r.optional) continue; throw new ContainerConfigError(`couldn't find key ${r.key} in Secret ${ns}/${r.name}`); }
      vars.set(e.name, b64(v));
    }
  }
  for (const [k, v] of src.serviceEnv ?? []) if (!vars.has(k)) vars.set(k, v);
  return vars;
}
