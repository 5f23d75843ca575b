// scheduling.k8s.io/v1 PriorityClass (cluster-scoped): defaults (preemptionPolicy PreemptLowerPriority),
// ValidatePriorityClass(+Update) with the reserved `system-` prefix, the two built-in classes the apiserver
// creates at start, and printPriorityClass (VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { immutable, since } from '../apps/common';
import { validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';

export const systemPriorityClassPrefix = 'system-';
export const highestUserDefinablePriority = 1000000000;

/** The built-in classes (scheduling.SystemPriorityClasses), for the apiserver to create at start. */
export const systemPriorityClasses: KObject[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-node-critical' }, value: 2000001000,
    description: 'For pods that must stay on their node: node-critical system components.', preemptionPolicy: 'PreemptLowerPriority' },
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-cluster-critical' }, value: 2000000000,
    description: 'For cluster-critical system pods that may be moved to another node.', preemptionPolicy: 'PreemptLowerPriority' },
];

/** IsKnownSystemPriorityClass: the reason a `system-` class is not one of the built-ins, or undefined. */
function systemClassProblem(name: string, value: unknown, globalDefault: unknown): string | undefined {
  const known = systemPriorityClasses.find(c => c.metadata.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if (value !== known.value) return `value of ${name} PriorityClass must be ${known.value}`;
  if ((globalDefault ?? false) !== false) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function defaultPriorityClass(obj: KObject): void {
  obj.preemptionPolicy ??= 'PreemptLowerPriority';
}

function validatePriorityClass(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  const name = obj.metadata.name ?? '';
  if (obj.value === undefined || obj.value === null) errs.push(field.required('value', ''));
  else if (typeof obj.value !== 'number' || !Number.isInteger(obj.value) || Math.abs(obj.value) > 2 ** 31) {
    errs.push(field.invalid('value', obj.value, 'must be a 32-bit integer'));
  }
  if (name.startsWith(systemPriorityClassPrefix)) {
    const problem = systemClassProblem(name, obj.value, obj.globalDefault);
    if (problem) errs.push(field.forbidden('metadata.name', `priority class names with '${systemPriorityClassPrefix}' prefix are reserved for system use only. error: ${problem}`));
  } else if (typeof obj.value === 'number' && obj.value > highestUserDefinablePriority) {
    errs.push(field.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
  }
  if (obj.globalDefault != null && typeof obj.globalDefault !== 'boolean') errs.push(field.invalid('globalDefault', obj.globalDefault, 'must be a boolean'));
  if (obj.preemptionPolicy != null && obj.preemptionPolicy !== 'PreemptLowerPriority' && obj.preemptionPolicy !== 'Never') {
    errs.push(field.notSupported('preemptionPolicy', obj.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  }
  return errs;
}

export const priorityClassStrategy: Strategy = {
  info: { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', singular: 'priorityclass', namespaced: false, shortNames: ['pc'] },
  defaults: defaultPriorityClass,
  validate: validatePriorityClass,
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
    if (obj.value !== old.value) errs.push(field.forbidden('value', 'may not be changed in an update.'));
    errs.push(...immutable(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
    return errs;
  },
  tableColumns: [
    { name: 'Value', type: 'integer', description: 'The priority pods of this class get.' },
    { name: 'Global-Default', type: 'boolean', description: 'Whether pods without a class get this one.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    { name: 'PreemptionPolicy', type: 'string', description: 'Whether pods of this class preempt lower-priority pods.' },
  ],
  tableRow(obj, now) { return [obj.value ?? 0, obj.globalDefault === true, since(obj.metadata.creationTimestamp, now), obj.preemptionPolicy ?? '']; },
};
