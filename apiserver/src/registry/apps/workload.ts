// What Deployments, ReplicaSets, StatefulSets and DaemonSets share: pod-template defaulting, the selector checks of
// ValidateReplicaSetSpec/ValidateDeploymentSpec and ValidatePodTemplateSpecForReplicaSet, and the /scale mapping.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, ScaleSpec, TableColumn } from '../strategy';
import { immutable, isObject, nonNegative, selectorConvertible, selectorIsEmpty, selectorMatches, selectorString, specOf, statusOf } from './common';
import { defaultPodSpec, validateLabelSelector, validateObjectMetaUpdate, validatePodTemplateSpec } from './deps';

/** Pod defaults for spec.template.spec (and any nested template), as the decoder applies them. */
export function defaultTemplate(tpl: unknown): void {
  if (isObject(tpl) && isObject(tpl.spec)) defaultPodSpec(tpl.spec, false);
}

/** spec.selector: required, a valid selector, not empty ("empty selector is invalid for <kind>"). */
export function validateSelector(sel: unknown, path: string, kindWord: string): FieldError[] {
  if (sel === undefined || sel === null) return [field.required(path, '')];
  const errs = validateLabelSelector(sel, path);
  if (isObject(sel) && selectorIsEmpty(sel)) errs.push(field.invalid(path, sel, `empty selector is invalid for ${kindWord}`));
  return errs;
}

/** Selector must match template labels (a valid, non-empty selector only), as upstream. */
export function selectorMatchesTemplate(sel: unknown, tpl: unknown, tplPath: string): FieldError[] {
  if (!isObject(sel) || !selectorConvertible(sel) || selectorIsEmpty(sel)) return [];
  const labels = isObject(tpl) && isObject(tpl.metadata) ? tpl.metadata.labels : undefined;
  if (selectorMatches(sel, labels)) return [];
  return [field.invalid(`${tplPath}.metadata.labels`, labels ?? null, '`selector` does not match template `labels`')];
}

/** ValidatePodTemplateSpecForReplicaSet minus the selector part: pod template, restartPolicy Always, no deadline. */
export function validateAlwaysRestartingTemplate(tpl: unknown, tplPath: string, kind: string): FieldError[] {
  const errs = validatePodTemplateSpec(tpl, tplPath);
  if (!isObject(tpl)) return errs;
  const spec = isObject(tpl.spec) ? tpl.spec : {};
  if (spec.restartPolicy !== 'Always') {
    errs.push(field.notSupported(`${tplPath}.spec.restartPolicy`, spec.restartPolicy ?? '', ['Always']));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(field.forbidden(`${tplPath}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

/** /scale for kinds with spec.replicas, status.replicas and spec.selector. */
export const replicasScale: ScaleSpec = {
  specReplicas: (o: KObject) => (typeof specOf(o).replicas === 'number' ? specOf(o).replicas : 0),
  setSpecReplicas: (o: KObject, n: number) => { if (!isObject(o.spec)) o.spec = {}; o.spec.replicas = n; },
  statusReplicas: (o: KObject) => (typeof statusOf(o).replicas === 'number' ? statusOf(o).replicas : 0),
  selector: (o: KObject) => (selectorConvertible(specOf(o).selector) ? selectorString(specOf(o).selector) : ''),
};

/** The wide columns every workload table ends with (upstream's printers share them). */
export const templateColumns: TableColumn[] = [
  { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' },
  { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' },
  { name: 'Selector', type: 'string', priority: 1, description: 'Which pods the workload owns.' },
];

/** Update validation of workloads whose selector is fixed at create. */
export function selectorImmutableUpdate(obj: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...immutable(specOf(obj).selector, specOf(old).selector, 'spec.selector')];
}

/**
 * Status counters of replica workloads: `nonNegative` fields are >= 0, `bounded` ones <= status.replicas, and
 * availableReplicas <= readyReplicas (upstream's ValidateDeploymentStatus / ValidateReplicaSetStatus).
 */
export function validateReplicaCounts(status: any, path: string, nonNegativeKeys: string[], bounded: string[]): FieldError[] {
  if (!isObject(status)) return [];
  const errs: FieldError[] = [];
  for (const k of nonNegativeKeys) errs.push(...nonNegative(status[k], `${path}.${k}`));
  const n = (k: string) => (typeof status[k] === 'number' ? status[k] : 0);
  for (const k of bounded) {
    if (n(k) > n('replicas')) errs.push(field.invalid(`${path}.${k}`, n(k), 'cannot be greater than status.replicas'));
  }
  if (n('availableReplicas') > n('readyReplicas')) {
    errs.push(field.invalid(`${path}.availableReplicas`, n('availableReplicas'), 'cannot be greater than readyReplicas'));
  }
  return errs;
}
