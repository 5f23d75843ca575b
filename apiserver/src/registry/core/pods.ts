// Pods: upstream pkg/registry/core/pod/strategy.go (defaults, QoS on create, spec immutability on update),
// the admission-like defaults mk8s applies itself (serviceAccountName, priority), and printPod for `kubectl get pods`.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import {
  deepEqual, defaultPodSpec, isValidIP, nameIsDNSSubdomain, toQuantity, validateObjectMeta, validateObjectMetaUpdate,
  validatePodSpec,
} from '../validation';
import { clone, coreInfo, isObj, keepOldStatus, specOf, statusOf } from './util';

const BUILTIN_PRIORITY: Record<string, number> = { 'system-cluster-critical': 2000000000, 'system-node-critical': 2000001000 };

/** qos.GetPodQOS: BestEffort / Burstable / Guaranteed from cpu and memory requests and limits. */
export function podQOSClass(spec: any): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const containers = [...(Array.isArray(spec?.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec?.containers) ? spec.containers : [])];
  for (const c of containers) {
    const found = new Set<string>();
    for (const [part, acc] of [['requests', requests], ['limits', limits]] as const) {
      const list = isObj(c?.resources?.[part]) ? c.resources[part] : {};
      for (const name of ['cpu', 'memory']) {
        const q = toQuantity(list[name]);
        if (!q || q.sign() <= 0) continue;
        acc.set(name, (acc.get(name) ?? 0n) + q.nanoValueBigInt());
        if (part === 'limits') found.add(name);
      }
    }
    if (!(found.has('cpu') && found.has('memory'))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) if (limits.get(name) !== req) guaranteed = false;
    if (requests.size !== limits.size) guaranteed = false;
  }
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaults(pod: KObject): void {
  // PodSpec is a plain struct upstream: a pod sent without spec decodes to an empty one and is defaulted,
  // so it fails on `spec.containers: Required value` rather than on spec itself.
  if (pod.spec === undefined || pod.spec === null) pod.spec = {};
  if (!isObj(pod.spec)) return;
  const spec = pod.spec;
  defaultPodSpec(spec);
  // The v1 `serviceAccount` field mirrors serviceAccountName (conversion in both directions).
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
}

function prepareForCreate(pod: KObject): void {
  if (!isObj(pod.spec)) return;
  const spec = pod.spec;
  // What the ServiceAccount and Priority admission plugins would set.
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.priority === undefined) {
    if (!spec.priorityClassName) spec.priority = 0;
    else if (spec.priorityClassName in BUILTIN_PRIORITY) spec.priority = BUILTIN_PRIORITY[spec.priorityClassName];
  }
  if (spec.priority !== undefined) spec.preemptionPolicy ??= 'PreemptLowerPriority';
  pod.status = { phase: 'Pending', qosClass: podQOSClass(spec) };
}

function validate(pod: KObject): FieldError[] {
  return [
    ...validateObjectMeta(pod.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }),
    ...validatePodSpec(pod.spec, 'spec'),
  ];
}

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Paths at which two JSON values differ, for the Forbidden message (upstream prints a cmp.Diff here). */
function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (deepEqual(a, b)) return;
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], `${path}.${k}`, out);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffPaths(x, b[i], `${path}[${i}]`, out));
  } else {
    out.push(`  ${path}: ${JSON.stringify(a) ?? 'null'} -> ${JSON.stringify(b) ?? 'null'}`);
  }
}

function validateUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const spec = specOf(pod);
  const oldSpec = specOf(old);

  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null && ads > oldSpec.activeDeadlineSeconds) {
      errs.push(field.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    errs.push(field.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  // Existing tolerations stay (tolerationSeconds of NoExecute ones may change); new ones may be added.
  const newTols: any[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const strip = (t: any) => ({ ...t, tolerationSeconds: undefined });
  for (const t of Array.isArray(oldSpec.tolerations) ? oldSpec.tolerations : []) {
    if (!newTols.some(n => deepEqual(strip(n), strip(t)))) {
      errs.push(field.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }

  // Everything else must be unchanged: copy the mutable fields from the new spec onto the old and compare.
  const munged = clone(spec);
  const copyImages = (list: string) => {
    const o = oldSpec[list], n = munged[list];
    if (Array.isArray(o) && Array.isArray(n) && o.length === n.length) n.forEach((c: any, i: number) => { if (isObj(c) && isObj(o[i])) c.image = o[i].image; });
  };
  copyImages('containers');
  copyImages('initContainers');
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (!deepEqual(munged, oldSpec)) {
    const diff: string[] = [];
    diffPaths(oldSpec, munged, 'spec', diff);
    errs.push(field.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}\n${diff.join('\n')}`));
  }
  return errs;
}

function validateStatusUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const st = statusOf(pod);
  if (st.nominatedNodeName) {
    for (const m of nameIsDNSSubdomain(String(st.nominatedNodeName), false)) errs.push(field.invalid('status.nominatedNodeName', st.nominatedNodeName, m));
  }
  const ips = Array.isArray(st.podIPs) ? st.podIPs : [];
  const seen = new Set<string>();
  ips.forEach((p: any, i: number) => {
    const ip = p?.ip;
    if (typeof ip !== 'string' || !isValidIP(ip)) errs.push(field.invalid(`status.podIPs[${i}]`, ip ?? '', 'must be a valid IP address'));
    else if (seen.has(ip)) errs.push(field.duplicate(`status.podIPs[${i}]`, ip));
    if (typeof ip === 'string') seen.add(ip);
  });
  if (st.hostIP && !isValidIP(String(st.hostIP))) errs.push(field.invalid('status.hostIP', st.hostIP, 'must be a valid IP address'));
  return errs;
}

// ---- `kubectl get pods` (printPod) ----

const isRestartableInit = (c: any) => c?.restartPolicy === 'Always';
const hasCondition = (st: any, type: string) =>
  (Array.isArray(st?.conditions) ? st.conditions : []).some((c: any) => c?.type === type && c?.status === 'True');
const ts = (s: unknown) => (typeof s === 'string' ? Date.parse(s) : NaN);

/** The READY, STATUS and RESTARTS cells exactly as upstream's printPod derives them. */
export function podStatusCells(pod: KObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = specOf(pod);
  const st = statusOf(pod);
  const initSpecs: any[] = Array.isArray(spec.initContainers) ? spec.initContainers : [];
  const initByName = new Map(initSpecs.map(c => [c?.name, c]));
  let total = (Array.isArray(spec.containers) ? spec.containers.length : 0) + initSpecs.filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = NaN;
  let lastSidecarRestart = NaN;
  const later = (a: number, b: number) => (Number.isNaN(a) || b > a ? b : a);

  const phase = st.phase ?? '';
  let reason: string = st.reason ? st.reason : phase;
  for (const c of Array.isArray(st.conditions) ? st.conditions : []) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses: any[] = Array.isArray(st.initContainerStatuses) ? st.initContainerStatuses : [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    restarts += c.restartCount ?? 0;
    const fin = ts(c.lastState?.terminated?.finishedAt);
    if (!Number.isNaN(fin)) lastRestart = later(lastRestart, fin);
    const sidecar = isRestartableInit(initByName.get(c.name));
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      if (!Number.isNaN(fin)) lastSidecarRestart = later(lastSidecarRestart, fin);
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (sidecar && c.started === true) { if (c.ready) ready++; continue; }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
      else reason = `Init:${term.reason}`;
    } else if (wait && wait.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(st, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = Array.isArray(st.containerStatuses) ? st.containerStatuses : [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      restarts += c.restartCount ?? 0;
      const fin = ts(c.lastState?.terminated?.finishedAt);
      if (!Number.isNaN(fin)) lastRestart = later(lastRestart, fin);
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait && wait.reason) reason = wait.reason;
      else if (term && term.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      else if (c.ready && c.state?.running) { hasRunning = true; ready++; }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(st, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && !Number.isNaN(lastRestart)) {
    restartsCell = `${restarts} (${formatAge(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  if (total < 0) total = 0;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

export const podColumns: TableColumn[] = [
  { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.' },
  { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.' },
  { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.' },
  ageColumn,
  { name: 'IP', type: 'string', priority: 1, description: 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.' },
  { name: 'Node', type: 'string', priority: 1, description: 'NodeName indicates in which node this pod is scheduled.' },
  { name: 'Nominated Node', type: 'string', priority: 1, description: 'nominatedNodeName is set only when this pod preempts other pods on the node.' },
  { name: 'Readiness Gates', type: 'string', priority: 1, description: 'If specified, all readiness gates will be evaluated for pod readiness.' },
];

export function podRow(pod: KObject, now: Date): unknown[] {
  const spec = specOf(pod);
  const st = statusOf(pod);
  const { ready, status, restarts } = podStatusCells(pod, now);
  const ip = (Array.isArray(st.podIPs) && st.podIPs[0]?.ip) || '<none>';
  let gates = '<none>';
  const rg: any[] = Array.isArray(spec.readinessGates) ? spec.readinessGates : [];
  if (rg.length > 0) {
    const conds: any[] = Array.isArray(st.conditions) ? st.conditions : [];
    const trueCount = rg.filter(g => conds.find(c => c?.type === g?.conditionType)?.status === 'True').length;
    gates = `${trueCount}/${rg.length}`;
  }
  return [ready, status, restarts, formatAge(pod.metadata.creationTimestamp, now), ip, spec.nodeName || '<none>',
    st.nominatedNodeName || '<none>', gates];
}

export const podStrategy: Strategy = {
  info: coreInfo({
    resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy'],
  }),
  defaults,
  prepareForCreate,
  prepareForUpdate: keepOldStatus,
  validate,
  validateUpdate,
  validateStatusUpdate,
  tableColumns: podColumns,
  tableRow: podRow,
  fieldSelectors: {
    'spec.nodeName': o => specOf(o).nodeName ?? '',
    'spec.restartPolicy': o => specOf(o).restartPolicy ?? '',
    'spec.schedulerName': o => specOf(o).schedulerName ?? '',
    'spec.serviceAccountName': o => specOf(o).serviceAccountName ?? '',
    'spec.hostNetwork': o => String(specOf(o).hostNetwork === true),
    'status.phase': o => statusOf(o).phase ?? '',
    'status.podIP': o => (Array.isArray(statusOf(o).podIPs) && statusOf(o).podIPs[0]?.ip) || '',
    'status.nominatedNodeName': o => statusOf(o).nominatedNodeName ?? '',
  },
  generationOnSpec: false,
};
