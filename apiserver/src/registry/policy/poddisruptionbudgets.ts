// policy/v1 PodDisruptionBudget: ValidatePodDisruptionBudget(+Status), the strategy's status handling and
// printPodDisruptionBudget (MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  intOrStringText, isObject, keepSpec, keepStatusBumpGeneration, nonNegative, notMoreThan100Percent, resetStatusForCreate,
  since, specOf, statusOf, validatePositiveIntOrPercent,
} from '../apps/common';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';

function validatePdbSpec(spec: any): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isObject(spec)) return [field.invalid('spec', spec, 'must be an object')];
  const errs: FieldError[] = [];
  if (spec.minAvailable != null && spec.maxUnavailable != null) {
    errs.push(field.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const k of ['minAvailable', 'maxUnavailable']) {
    if (spec[k] == null) continue;
    errs.push(...validatePositiveIntOrPercent(spec[k], `spec.${k}`), ...notMoreThan100Percent(spec[k], `spec.${k}`));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy != null && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
    errs.push(field.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

function validatePdbStatus(status: any): FieldError[] {
  if (!isObject(status)) return [];
  const errs: FieldError[] = [];
  for (const k of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...nonNegative(status[k], `status.${k}`));
  return errs;
}

export const podDisruptionBudgetStrategy: Strategy = {
  info: {
    group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', singular: 'poddisruptionbudget',
    namespaced: true, shortNames: ['pdb'], subresources: ['status'],
  },
  // The four counts have no omitempty upstream: a new PodDisruptionBudget shows them as 0.
  prepareForCreate(obj: KObject) { resetStatusForCreate(obj, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }); },
  prepareForUpdate(obj, old) { keepStatusBumpGeneration(obj, old); },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old); },
  validate(obj) { return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validatePdbSpec(obj.spec)]; },
  validateUpdate(obj, old) { return validateObjectMetaUpdate(obj.metadata, old.metadata); },
  validateStatusUpdate(obj, old) { return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validatePdbStatus(obj.status)]; },
  tableColumns: [
    { name: 'Min Available', type: 'string', description: 'Pods that must stay available.' },
    { name: 'Max Unavailable', type: 'string', description: 'Pods that may be unavailable.' },
    { name: 'Allowed Disruptions', type: 'integer', description: 'Pods that may be disrupted right now.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
  ],
  tableRow(obj, now) {
    const spec = specOf(obj);
    return [spec.minAvailable != null ? intOrStringText(spec.minAvailable) : 'N/A', spec.maxUnavailable != null ? intOrStringText(spec.maxUnavailable) : 'N/A',
      statusOf(obj).disruptionsAllowed ?? 0, since(obj.metadata.creationTimestamp, now)];
  },
  generationOnSpec: true,
};
