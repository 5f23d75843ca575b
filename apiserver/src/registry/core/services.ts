// Services: upstream pkg/registry/core/service (strategy + the allocation done in the REST storage),
// SetDefaults_Service and ValidateService, and printService for `kubectl get svc`.
import { errors, field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { ageColumn, formatAge, formatLabels } from '../printers';
import {
  isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum, nameIsDNS1035Label, validateLabels,
  validateObjectMeta, validateObjectMetaUpdate,
} from '../validation';
import { AllocationError, type ServiceIPAllocator } from './allocator';
import { coreInfo, isObj, keepOldStatus, specOf, statusOf } from './util';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];

const needsClusterIP = (spec: any) => spec.type !== 'ExternalName';
const needsNodePorts = (spec: any) => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
const isHeadless = (spec: any) => spec.clusterIP === 'None';

function defaults(svc: KObject): void {
  if (!isObj(svc.spec)) return;
  const spec = svc.spec;
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'ClientIP' && !isObj(spec.sessionAffinityConfig?.clientIP)) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (Array.isArray(spec.ports)) for (const p of spec.ports) {
    if (!isObj(p)) continue;
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (needsNodePorts(spec)) spec.externalTrafficPolicy ||= 'Cluster';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ||= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  // A singular clusterIP from old clients fills the plural field (normalizeClusterIPs).
  if (spec.clusterIP && !Array.isArray(spec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0) spec.clusterIP = spec.clusterIPs[0];
}

function setIPFamilies(spec: any): void {
  if (!needsClusterIP(spec)) {
    delete spec.ipFamilies; delete spec.ipFamilyPolicy;
    return;
  }
  // Headless services without a selector default to RequireDualStack upstream; this cluster is single-stack IPv4.
  spec.ipFamilyPolicy ||= isHeadless(spec) && !spec.selector ? 'RequireDualStack' : 'SingleStack';
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
}

function validateSpec(svc: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(svc.spec)) return [field.required('spec', '')];
  const spec = svc.spec;
  if (!TYPES.includes(spec.type)) errs.push(field.notSupported('spec.type', spec.type, TYPES));
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (spec.ports !== undefined && spec.ports !== null && !Array.isArray(spec.ports)) errs.push(field.invalid('spec.ports', spec.ports, 'must be a list'));
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push(field.required('spec.externalName', ''));
    else for (const m of isDNS1123Subdomain(String(spec.externalName).replace(/\.$/, ''))) errs.push(field.invalid('spec.externalName', spec.externalName, m));
    if (spec.clusterIP && spec.clusterIP !== '') errs.push(field.forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  } else if (ports.length === 0 && !isHeadless(spec)) {
    errs.push(field.required('spec.ports', ''));
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    if (!isObj(p)) { errs.push(field.invalid(pp, p, 'must be an object')); return; }
    if (ports.length > 1 && !p.name) errs.push(field.required(`${pp}.name`, ''));
    if (p.name) {
      for (const m of isDNS1123Label(String(p.name))) errs.push(field.invalid(`${pp}.name`, p.name, m));
      if (names.has(p.name)) errs.push(field.duplicate(`${pp}.name`, p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(field.invalid(`${pp}.port`, p.port, m));
    if (!p.protocol) errs.push(field.required(`${pp}.protocol`, ''));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
    if (typeof p.targetPort === 'number') for (const m of isValidPortNum(p.targetPort)) errs.push(field.invalid(`${pp}.targetPort`, p.targetPort, m));
    else if (typeof p.targetPort === 'string') for (const m of isValidPortName(p.targetPort)) errs.push(field.invalid(`${pp}.targetPort`, p.targetPort, m));
    if (p.nodePort !== undefined && p.nodePort !== 0 && p.nodePort !== null) {
      if (!needsNodePorts(spec)) errs.push(field.forbidden(`${pp}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
      else for (const m of isValidPortNum(p.nodePort)) errs.push(field.invalid(`${pp}.nodePort`, p.nodePort, m));
    }
    const key = `${p.port}/${p.protocol}`;
    if (keys.has(key)) errs.push(field.duplicate(pp, { port: p.port, protocol: p.protocol }));
    keys.add(key);
  });
  if (!AFFINITIES.includes(spec.sessionAffinity)) errs.push(field.notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === 'ClientIP' && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 86400)) {
    errs.push(field.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const ips: unknown[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  ips.forEach((ip, i) => {
    if (ip === 'None' && i === 0) return;
    if (typeof ip !== 'string' || !isValidIP(ip)) errs.push(field.invalid(`spec.clusterIPs[${i}]`, ip, "must be empty, 'None', or a valid IP address"));
  });
  if (spec.clusterIP && ips.length > 0 && spec.clusterIP !== ips[0]) {
    errs.push(field.invalid('spec.clusterIPs', ips, 'element [0] must match `spec.clusterIP`'));
  }
  if (spec.externalTrafficPolicy) {
    if (!needsNodePorts(spec)) {
      errs.push(field.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
      errs.push(field.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
    }
  }
  if (spec.internalTrafficPolicy && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errs.push(field.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).forEach((ip: unknown, i: number) => {
    if (typeof ip !== 'string' || !isValidIP(ip)) errs.push(field.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address'));
  });
  return errs;
}

function validate(svc: KObject): FieldError[] {
  return [...validateObjectMeta(svc.metadata, { namespaced: true, nameValidator: nameIsDNS1035Label }), ...validateSpec(svc)];
}

function validateUpdate(svc: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const spec = specOf(svc), oldSpec = specOf(old);
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return errs;
  if (isHeadless(spec) && isHeadless(oldSpec)) return errs;
  const n: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  const o: string[] = Array.isArray(oldSpec.clusterIPs) ? oldSpec.clusterIPs : [];
  if (n.length === 0 && o.length > 0) errs.push(field.invalid('spec.clusterIPs[0]', n, 'primary clusterIP can not be unset'));
  else o.forEach((ip, i) => { if (i < n.length && n[i] !== ip) errs.push(field.invalid(`spec.clusterIPs[${i}]`, n, 'may not change once set')); });
  return errs;
}

/** upstream's 422 for a failed specific allocation, 500 for an exhausted range. */
function allocationStatus(svc: KObject, e: unknown, path: string, value: unknown, what: 'IP' | 'nodePort'): Error {
  if (!(e instanceof AllocationError)) return e as Error;
  if (e.kind === 'full') return errors.internal(what === 'IP' ? `failed to allocate a serviceIP: ${e.message}` : `failed to allocate a nodePort: ${e.message}`);
  const detail = what === 'IP' ? `failed to allocate IP ${String((value as string[])[0])}: ${e.message}` : e.message;
  return errors.invalid('Service', '', svc.metadata.name ?? '', [field.invalid(path, value, detail)]);
}

/** dropTypeDependentFields: a type change clears the fields only the old type used, if the user left them as they were. */
function dropTypeDependentFields(spec: any, oldSpec: any): void {
  const same = (k: string) => JSON.stringify(spec[k]) === JSON.stringify(oldSpec[k]);
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec) && same('clusterIP') && same('clusterIPs')) {
    delete spec.clusterIP; delete spec.clusterIPs;
  }
  const nodePorts = (sp: any) => JSON.stringify((Array.isArray(sp.ports) ? sp.ports : []).map((p: any) => p?.nodePort ?? 0));
  if (needsNodePorts(oldSpec) && !needsNodePorts(spec) && nodePorts(spec) === nodePorts(oldSpec)) {
    for (const p of Array.isArray(spec.ports) ? spec.ports : []) if (isObj(p)) delete p.nodePort;
  }
  if (oldSpec.healthCheckNodePort && spec.type !== 'LoadBalancer' && same('healthCheckNodePort')) delete spec.healthCheckNodePort;
  if (spec.type !== 'LoadBalancer') {
    if (same('allocateLoadBalancerNodePorts')) delete spec.allocateLoadBalancerNodePorts;
    if (same('loadBalancerClass')) delete spec.loadBalancerClass;
  }
  if (!needsNodePorts(spec) && same('externalTrafficPolicy')) delete spec.externalTrafficPolicy;
  if (spec.type === 'ExternalName' && same('internalTrafficPolicy')) delete spec.internalTrafficPolicy;
}

export interface ServiceStrategyDeps { allocator: ServiceIPAllocator }

export function makeServiceStrategy(deps: ServiceStrategyDeps): Strategy {
  const alloc = deps.allocator;
  // Seed early so updates (which are synchronous) can allocate node ports; a failed seed is retried on use.
  alloc.init().catch(() => undefined);

  /** Allocates the node ports (and LB health-check port) the service needs, except those in `held` (the stored
   *  object already owns them); every port it takes is pushed to `taken` so a later failure can release it. */
  function allocateNodePorts(svc: KObject, held: Set<number>, taken: number[]): void {
    const spec = svc.spec;
    if (!needsNodePorts(spec)) return;
    const skip = spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === false;
    const take = (wanted: number | undefined, path: string): number => {
      if (wanted && held.has(wanted)) return wanted;
      try {
        const got = alloc.allocateNodePortSync(wanted || undefined);
        taken.push(got);
        return got;
      } catch (e) { throw allocationStatus(svc, e, path, wanted, 'nodePort'); }
    };
    (Array.isArray(spec.ports) ? spec.ports : []).forEach((p: any, i: number) => {
      if (isObj(p) && (p.nodePort || !skip)) p.nodePort = take(p.nodePort, `spec.ports[${i}].nodePort`);
    });
    if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
      spec.healthCheckNodePort = take(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
    } else {
      delete spec.healthCheckNodePort;
    }
  }

  async function prepareForCreate(svc: KObject): Promise<void> {
    svc.status = { loadBalancer: {} };
    if (!isObj(svc.spec)) return;
    // Nothing is allocated for an invalid object: validation would reject it and leak the allocation.
    if (validate(svc).length) return;
    await alloc.init();
    const spec = svc.spec;
    setIPFamilies(spec);
    let ip: string | undefined;
    const takenPorts: number[] = [];
    try {
      if (needsClusterIP(spec) && !isHeadless(spec)) {
        let wanted: string | undefined = spec.clusterIP || undefined;
        if (!wanted && svc.metadata.namespace === 'default' && svc.metadata.name === 'kubernetes') wanted = alloc.firstIP();
        try { ip = alloc.allocateClusterIPSync(wanted); } catch (e) { throw allocationStatus(svc, e, 'spec.clusterIPs', [wanted ?? ''], 'IP'); }
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      } else if (isHeadless(spec)) {
        spec.clusterIPs = ['None'];
      }
      allocateNodePorts(svc, new Set(), takenPorts);
    } catch (e) {
      if (ip) alloc.releaseClusterIP(ip);
      takenPorts.forEach(p => alloc.releaseNodePort(p));
      throw e;
    }
  }

  function prepareForUpdate(svc: KObject, old: KObject): void {
    keepOldStatus(svc, old);
    if (!isObj(svc.spec)) return;
    const spec = svc.spec, oldSpec = specOf(old);
    dropTypeDependentFields(spec, oldSpec);
    // Unset allocated values are carried over from the stored object (patchAllocatedValues).
    if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
      if (!spec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
      if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = oldSpec.clusterIPs;
      else if (spec.clusterIP !== oldSpec.clusterIP && JSON.stringify(spec.clusterIPs) === JSON.stringify(oldSpec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
      if (spec.clusterIP === undefined) delete spec.clusterIP;
      if (spec.clusterIPs === undefined) delete spec.clusterIPs;
    }
    if (validate(svc).length || validateUpdate(svc, old).length) return;
    if (!alloc.ready) throw errors.unavailable('the service IP allocator is still loading existing services; retry shortly');
    setIPFamilies(spec);
    const oldPorts: any[] = Array.isArray(oldSpec.ports) ? oldSpec.ports : [];
    if (needsNodePorts(spec) && needsNodePorts(oldSpec)) {
      for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
        if (!isObj(p) || p.nodePort) continue;
        const same = oldPorts.find(o => o?.port === p.port && (o?.protocol ?? 'TCP') === p.protocol) ?? oldPorts.find(o => o?.name && o.name === p.name);
        if (same?.nodePort) p.nodePort = same.nodePort;
      }
      if (!spec.healthCheckNodePort && oldSpec.healthCheckNodePort && spec.externalTrafficPolicy === 'Local') spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
    }
    // Ports the old object already holds stay allocated; new ones are taken now; dropped ones are released.
    const held = (sp: any) => new Set<number>([...(Array.isArray(sp.ports) ? sp.ports : []).map((p: any) => p?.nodePort), sp.healthCheckNodePort].filter(Number.isInteger));
    const oldHeld = held(oldSpec);
    const taken: number[] = [];
    let ip: string | undefined;
    try {
      if (needsNodePorts(spec)) allocateNodePorts(svc, oldHeld, taken);
      else delete spec.healthCheckNodePort;
      // Type changes from ExternalName need a cluster IP now.
      if (needsClusterIP(spec) && !needsClusterIP(oldSpec) && !isHeadless(spec)) {
        try { ip = alloc.allocateClusterIPSync(spec.clusterIP || undefined); } catch (e) { throw allocationStatus(svc, e, 'spec.clusterIPs', [spec.clusterIP ?? ''], 'IP'); }
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    } catch (e) {
      taken.forEach(p => alloc.releaseNodePort(p));
      if (ip) alloc.releaseClusterIP(ip);
      throw e;
    }
    const stillWanted = held(spec);
    for (const p of oldHeld) if (!stillWanted.has(p)) alloc.releaseNodePort(p);
    if (!needsClusterIP(spec) && needsClusterIP(oldSpec)) {
      for (const old of Array.isArray(oldSpec.clusterIPs) ? oldSpec.clusterIPs : []) alloc.releaseClusterIP(old);
      delete spec.clusterIP; delete spec.clusterIPs;
    }
  }

  function afterDelete(svc: KObject): void {
    const spec = specOf(svc);
    for (const ip of Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP]) alloc.releaseClusterIP(ip);
    for (const p of Array.isArray(spec.ports) ? spec.ports : []) alloc.releaseNodePort(p?.nodePort);
    alloc.releaseNodePort(spec.healthCheckNodePort);
  }

  return {
    info: coreInfo({
      resource: 'services', kind: 'Service', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'],
      subresources: ['status', 'proxy'], etcdPrefix: '/registry/services/specs',
    }),
    defaults,
    prepareForCreate,
    prepareForUpdate,
    validate,
    validateUpdate,
    tableColumns: serviceColumns,
    tableRow: serviceRow,
    allowCreateOnUpdate: true,
    afterDelete,
  };
}

// ---- `kubectl get svc` (printService) ----

export const serviceColumns: TableColumn[] = [
  { name: 'Type', type: 'string', description: 'type determines how the Service is exposed.' },
  { name: 'Cluster-IP', type: 'string', description: 'clusterIP is the IP address of the service and is usually assigned randomly.' },
  { name: 'External-IP', type: 'string', description: 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.' },
  { name: 'Port(s)', type: 'string', description: 'The list of ports that are exposed by this service.' },
  ageColumn,
  { name: 'Selector', type: 'string', priority: 1, description: 'Route service traffic to pods with label keys and values matching this selector.' },
];

function loadBalancerIPs(svc: KObject): string {
  const ing: any[] = Array.isArray(statusOf(svc).loadBalancer?.ingress) ? statusOf(svc).loadBalancer.ingress : [];
  return [...new Set(ing.map(i => i?.ip || i?.hostname).filter(Boolean))].sort().join(',');
}

function externalIP(svc: KObject): string {
  const spec = specOf(svc);
  const ext: string[] = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  switch (spec.type) {
    case 'ClusterIP': case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIPs(svc);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

export function servicePorts(ports: unknown): string {
  const list: any[] = Array.isArray(ports) ? ports : [];
  return list.map(p => (p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p?.port}/${p?.protocol}`)).join(',');
}

export function serviceRow(svc: KObject, now: Date): unknown[] {
  const spec = specOf(svc);
  const ip = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs[0] : '<none>';
  return [spec.type ?? '', ip, externalIP(svc), servicePorts(spec.ports) || '<none>', formatAge(svc.metadata.creationTimestamp, now),
    formatLabels(spec.selector)];
}
