// apps/v1 Deployment: defaults (pkg/apis/apps/v1/defaults.go), validation (pkg/apis/apps/validation),
// strategy (pkg/registry/apps/deployment/strategy.go) and the printer columns of printDeployment.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  containerCells, deepEqual, ensureObject, immutable, intOrPercentValue, isObject, keepSpec, keepStatusBumpGeneration,
  nonNegative, notMoreThan100Percent, resetStatusForCreate, selectorConvertible, selectorString, since, specOf, statusOf,
  validatePositiveIntOrPercent,
} from './common';
import { validateObjectMeta, validateObjectMetaUpdate } from './deps';
import { defaultTemplate, replicasScale, selectorMatchesTemplate, validateAlwaysRestartingTemplate, validateSelector, templateColumns, selectorImmutableUpdate, validateReplicaCounts } from './workload';

export function defaultDeployment(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.replicas ??= 1;
  const strategy = ensureObject(spec, 'strategy');
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObject(strategy, 'rollingUpdate');
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

function validateStrategy(strategy: any, path: string): FieldError[] {
  if (!isObject(strategy)) return [field.notSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
  if (strategy.type === 'Recreate') {
    return strategy.rollingUpdate != null
      ? [field.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (strategy.type !== 'RollingUpdate') return [field.notSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
  const ru = strategy.rollingUpdate;
  if (!isObject(ru)) return [field.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
  const rp = `${path}.rollingUpdate`;
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, `${rp}.maxUnavailable`),
    ...validatePositiveIntOrPercent(ru.maxSurge, `${rp}.maxSurge`),
  ];
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    errs.push(field.invalid(`${rp}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${rp}.maxUnavailable`));
  return errs;
}

export function validateDeploymentSpec(spec: any, path = 'spec'): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs: FieldError[] = [...nonNegative(spec.replicas, `${path}.replicas`)];
  errs.push(...validateSelector(spec.selector, `${path}.selector`, 'deployment'));
  if (isObject(spec.selector) && !selectorConvertible(spec.selector)) {
    errs.push(field.invalid(`${path}.selector`, spec.selector, 'invalid label selector'));
  } else {
    errs.push(...selectorMatchesTemplate(spec.selector, spec.template, `${path}.template`));
    errs.push(...validateAlwaysRestartingTemplate(spec.template, `${path}.template`, 'ReplicaSet'));
  }
  errs.push(...validateStrategy(spec.strategy, `${path}.strategy`));
  errs.push(...nonNegative(spec.minReadySeconds, `${path}.minReadySeconds`));
  errs.push(...nonNegative(spec.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  if (spec.progressDeadlineSeconds != null) {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, `${path}.progressDeadlineSeconds`));
    if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(field.invalid(`${path}.progressDeadlineSeconds`, spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

function validateDeploymentStatus(status: any, path = 'status'): FieldError[] {
  return validateReplicaCounts(status, path,
    ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount'],
    ['updatedReplicas', 'readyReplicas', 'availableReplicas']);
}

/** status.collisionCount may only grow (IsDecremented). */
export function collisionCountDecremented(obj: KObject, old: KObject): FieldError[] {
  const now = statusOf(obj).collisionCount;
  const before = statusOf(old).collisionCount;
  if (typeof before === 'number' && (typeof now !== 'number' || now < before)) {
    return [field.invalid('status.collisionCount', typeof now === 'number' ? now : 0, 'cannot be decremented')];
  }
  return [];
}

export const deploymentStrategy: Strategy = {
  info: {
    group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment',
    namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'],
  },
  defaults: defaultDeployment,
  prepareForCreate(obj) { resetStatusForCreate(obj); },
  prepareForUpdate(obj, old) {
    // Annotation changes bump the generation too: they are copied onto the ReplicaSets.
    keepStatusBumpGeneration(obj, old, !deepEqual(obj.metadata.annotations ?? {}, old.metadata.annotations ?? {}));
  },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old, true); },
  validate(obj) {
    return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validateDeploymentSpec(obj.spec)];
  },
  validateUpdate: selectorImmutableUpdate,
  validateStatusUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateDeploymentStatus(obj.status), ...collisionCountDecremented(obj, old)];
  },
  tableColumns: [
    { name: 'Ready', type: 'string', description: 'Number of the pod with ready state' },
    { name: 'Up-to-date', type: 'string', description: 'Pods already running the current template.' },
    { name: 'Available', type: 'string', description: 'Pods ready for at least minReadySeconds.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    ...templateColumns,
  ],
  tableRow(obj, now) {
    const spec = specOf(obj); const st = statusOf(obj);
    const [names, images] = containerCells(spec.template?.spec);
    const sel = selectorConvertible(spec.selector) ? (spec.selector == null ? '' : selectorString(spec.selector)) : '<invalid>';
    return [`${st.readyReplicas ?? 0}/${spec.replicas ?? 0}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0,
      since(obj.metadata.creationTimestamp, now), names, images, sel];
  },
  scale: replicasScale,
  generationOnSpec: true,
};
