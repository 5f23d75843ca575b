// apps/v1 ReplicaSet: defaults, ValidateReplicaSetSpec/Status and pkg/registry/apps/replicaset/strategy.go; the
// printer is printReplicaSet (DESIRED CURRENT READY AGE, wide CONTAINERS IMAGES SELECTOR).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  containerCells, ensureObject, formatLabelSelector, immutable, isObject, keepSpec, keepStatusBumpGeneration, nonNegative,
  resetStatusForCreate, selectorConvertible, since, specOf, statusOf,
} from './common';
import { validateObjectMeta, validateObjectMetaUpdate } from './deps';
import { defaultTemplate, replicasScale, selectorMatchesTemplate, validateAlwaysRestartingTemplate, validateSelector, templateColumns, selectorImmutableUpdate, validateReplicaCounts } from './workload';

export function defaultReplicaSet(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

export function validateReplicaSetSpec(spec: any, path = 'spec'): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs = [...nonNegative(spec.replicas, `${path}.replicas`), ...nonNegative(spec.minReadySeconds, `${path}.minReadySeconds`)];
  // Upstream words the empty-selector error with "deployment" here too.
  errs.push(...validateSelector(spec.selector, `${path}.selector`, 'deployment'));
  if (isObject(spec.selector) && !selectorConvertible(spec.selector)) {
    errs.push(field.invalid(`${path}.selector`, spec.selector, 'invalid label selector'));
  } else {
    errs.push(...selectorMatchesTemplate(spec.selector, spec.template, `${path}.template`));
    errs.push(...validateAlwaysRestartingTemplate(spec.template, `${path}.template`, 'ReplicaSet'));
  }
  return errs;
}

function validateReplicaSetStatus(status: any, path = 'status'): FieldError[] {
  return validateReplicaCounts(status, path,
    ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
    ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']);
}

export const replicaSetStrategy: Strategy = {
  info: {
    group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', singular: 'replicaset',
    namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'],
  },
  defaults: defaultReplicaSet,
  // status.replicas has no omitempty upstream: a new ReplicaSet shows `replicas: 0`.
  prepareForCreate(obj) { resetStatusForCreate(obj, { replicas: 0 }); },
  prepareForUpdate(obj, old) { keepStatusBumpGeneration(obj, old); },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old); },
  validate(obj) {
    return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validateReplicaSetSpec(obj.spec)];
  },
  validateUpdate: selectorImmutableUpdate,
  validateStatusUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateReplicaSetStatus(obj.status)];
  },
  tableColumns: [
    { name: 'Desired', type: 'integer', description: 'Wanted number of pods.' },
    { name: 'Current', type: 'integer', description: 'Pods observed now.' },
    { name: 'Ready', type: 'integer', description: 'Pods that are ready.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    ...templateColumns,
  ],
  tableRow(obj, now) {
    const spec = specOf(obj); const st = statusOf(obj);
    const [names, images] = containerCells(spec.template?.spec);
    return [spec.replicas ?? 0, st.replicas ?? 0, st.readyReplicas ?? 0, since(obj.metadata.creationTimestamp, now),
      names, images, formatLabelSelector(spec.selector)];
  },
  scale: replicasScale,
  generationOnSpec: true,
};
