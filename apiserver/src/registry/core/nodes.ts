// Nodes: upstream pkg/registry/core/node/strategy.go and ValidateNode(Update), printNode for `kubectl get nodes`.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import { isQualifiedName, isValidLabelValue, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation';
import { clone, coreInfo, isObj, keepOldStatus, specOf, statusOf } from './util';

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

function isCIDR(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s) ?? /^([0-9a-fA-F:]+)\/([0-9]{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  return m[1].includes(':') ? bits <= 128 : (bits <= 32 && m[1].split('.').length === 4 && m[1].split('.').every(p => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255));
}

export function validateTaints(taints: unknown, path: string): FieldError[] {
  if (taints === undefined || taints === null) return [];
  if (!Array.isArray(taints)) return [field.invalid(path, taints, 'must be a list')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((t: any, i: number) => {
    const p = `${path}[${i}]`;
    for (const m of isQualifiedName(String(t?.key ?? ''))) errs.push(field.invalid(`${p}.key`, t?.key ?? '', m));
    if (t?.value) for (const m of isValidLabelValue(String(t.value))) errs.push(field.invalid(`${p}.value`, t.value, m));
    if (!t?.effect) errs.push(field.required(`${p}.effect`, ''));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(field.notSupported(`${p}.effect`, t.effect, TAINT_EFFECTS));
    const k = `${t?.key}:${t?.effect}`;
    if (seen.has(k)) errs.push(field.duplicate(p, 'taints must be unique by key and effect pair'));
    seen.add(k);
  });
  return errs;
}

function defaults(node: KObject): void {
  const st = node.status;
  if (isObj(st) && isObj(st.capacity) && !isObj(st.allocatable)) st.allocatable = clone(st.capacity);
}

function validate(node: KObject): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain });
  const spec = specOf(node);
  errs.push(...validateTaints(spec.taints, 'spec.taints'));
  if (spec.podCIDR && !isCIDR(spec.podCIDR)) errs.push(field.invalid('spec.podCIDR', spec.podCIDR, 'must be a valid CIDR'));
  (Array.isArray(spec.podCIDRs) ? spec.podCIDRs : []).forEach((c: unknown, i: number) => {
    if (!isCIDR(c)) errs.push(field.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR'));
  });
  return errs;
}

function validateUpdate(node: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  const spec = specOf(node), oldSpec = specOf(old);
  const oldCIDRs: string[] = Array.isArray(oldSpec.podCIDRs) ? oldSpec.podCIDRs : [];
  if (oldCIDRs.length > 0 && JSON.stringify(spec.podCIDRs ?? []) !== JSON.stringify(oldCIDRs)) {
    errs.push(field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (oldSpec.providerID && spec.providerID !== oldSpec.providerID) {
    errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

/** findNodeRoles: node-role.kubernetes.io/<role> keys and the kubernetes.io/role value, sorted. */
export function nodeRoles(node: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) { const r = k.slice('node-role.kubernetes.io/'.length); if (r) roles.add(r); }
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

export function nodeStatusCell(node: KObject): string {
  const conds: any[] = Array.isArray(statusOf(node).conditions) ? statusOf(node).conditions : [];
  const ready = conds.find(c => c?.type === 'Ready');
  const out = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (specOf(node).unschedulable) out.push('SchedulingDisabled');
  return out.join(',');
}

const address = (node: KObject, type: string) =>
  (Array.isArray(statusOf(node).addresses) ? statusOf(node).addresses : []).find((a: any) => a?.type === type)?.address ?? '<none>';

export const nodeColumns: TableColumn[] = [
  { name: 'Status', type: 'string', description: 'The status of the node' },
  { name: 'Roles', type: 'string', description: 'The roles of the node' },
  ageColumn,
  { name: 'Version', type: 'string', description: 'Kubelet Version reported by the node.' },
  { name: 'Internal-IP', type: 'string', priority: 1, description: 'List of addresses reachable to the node.' },
  { name: 'External-IP', type: 'string', priority: 1, description: 'List of addresses reachable to the node.' },
  { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).' },
  { name: 'Kernel-Version', type: 'string', priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." },
  { name: 'Container-Runtime', type: 'string', priority: 1, description: 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).' },
];

export function nodeRow(node: KObject, now: Date): unknown[] {
  const info = isObj(statusOf(node).nodeInfo) ? statusOf(node).nodeInfo : {};
  return [nodeStatusCell(node), nodeRoles(node), formatAge(node.metadata.creationTimestamp, now), info.kubeletVersion ?? '',
    address(node, 'InternalIP'), address(node, 'ExternalIP'), info.osImage || '<unknown>', info.kernelVersion || '<unknown>',
    info.containerRuntimeVersion || '<unknown>'];
}

export const nodeStrategy: Strategy = {
  info: coreInfo({ resource: 'nodes', kind: 'Node', singular: 'node', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'], etcdPrefix: '/registry/minions' }),
  defaults,
  prepareForUpdate: keepOldStatus,
  validate,
  validateUpdate,
  validateStatusUpdate: (node, old) => [...validate(node), ...validateObjectMetaUpdate(node.metadata, old.metadata)],
  tableColumns: nodeColumns,
  tableRow: nodeRow,
  fieldSelectors: { 'spec.unschedulable': o => String(specOf(o).unschedulable === true) },
};
