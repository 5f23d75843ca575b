// apps/v1 StatefulSet: defaults (SetDefaults_StatefulSet), ValidateStatefulSetSpec/Update/Status and
// pkg/registry/apps/statefulset/strategy.go; printer printStatefulSet (READY AGE, wide CONTAINERS IMAGES).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  clone, containerCells, deepEqual, ensureObject, intOrPercentValue, isObject, keepSpec, keepStatusBumpGeneration,
  nonNegative, notMoreThan100Percent, resetStatusForCreate, selectorConvertible, since, specOf, validatePositiveIntOrPercent,
} from './common';
import { nameIsDNSLabel, validateObjectMeta, validateObjectMetaUpdate } from './deps';
import { collisionCountDecremented } from './deployments';
import { defaultTemplate, replicasScale, selectorMatchesTemplate, validateSelector } from './workload';

export function defaultStatefulSet(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = ensureObject(spec, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    us.rollingUpdate ??= {};
  }
  if (us.type === 'RollingUpdate' && isObject(us.rollingUpdate)) us.rollingUpdate.partition ??= 0;
  const retention = ensureObject(spec, 'persistentVolumeClaimRetentionPolicy');
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
  // PVC templates get the PersistentVolumeClaim defaults.
  if (Array.isArray(spec.volumeClaimTemplates)) {
    for (const pvc of spec.volumeClaimTemplates) {
      if (!isObject(pvc)) continue;
      ensureObject(pvc, 'spec').volumeMode ??= 'Filesystem';
      const st = ensureObject(pvc, 'status');
      st.phase ??= 'Pending';
    }
  }
}

function validateRetentionType(v: unknown, path: string): FieldError[] {
  return v === 'Retain' || v === 'Delete' ? [] : [field.notSupported(path, v, ['Retain', 'Delete'])];
}

export function validateStatefulSetSpec(spec: any, path = 'spec'): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy) {
    case undefined: case null: case '': errs.push(field.required(`${path}.podManagementPolicy`, '')); break;
    case 'OrderedReady': case 'Parallel': break;
    default: errs.push(field.invalid(`${path}.podManagementPolicy`, spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = isObject(spec.updateStrategy) ? spec.updateStrategy : {};
  const usPath = `${path}.updateStrategy`;
  switch (us.type) {
    case undefined: case null: case '': errs.push(field.required(usPath, '')); break;
    case 'OnDelete':
      if (us.rollingUpdate != null) errs.push(field.invalid(`${usPath}.rollingUpdate`, us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isObject(us.rollingUpdate)) {
        const rp = `${usPath}.rollingUpdate`;
        errs.push(...nonNegative(us.rollingUpdate.partition, `${rp}.partition`));
        const mu = us.rollingUpdate.maxUnavailable;
        if (mu != null) {
          errs.push(...validatePositiveIntOrPercent(mu, `${rp}.maxUnavailable`));
          if (intOrPercentValue(mu) === 0) errs.push(field.invalid(`${rp}.maxUnavailable`, mu, 'cannot be 0'));
          errs.push(...notMoreThan100Percent(mu, `${rp}.maxUnavailable`));
        }
      }
      break;
    default: errs.push(field.invalid(usPath, us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  if (isObject(spec.persistentVolumeClaimRetentionPolicy)) {
    const rp = `${path}.persistentVolumeClaimRetentionPolicy`;
    errs.push(...validateRetentionType(spec.persistentVolumeClaimRetentionPolicy.whenDeleted, `${rp}.whenDeleted`));
    errs.push(...validateRetentionType(spec.persistentVolumeClaimRetentionPolicy.whenScaled, `${rp}.whenScaled`));
  }
  errs.push(...nonNegative(spec.replicas, `${path}.replicas`));
  errs.push(...nonNegative(spec.minReadySeconds, `${path}.minReadySeconds`));
  if (isObject(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, `${path}.ordinals.start`));
  errs.push(...validateSelector(spec.selector, `${path}.selector`, 'statefulset'));
  if (isObject(spec.selector) && !selectorConvertible(spec.selector)) {
    errs.push(field.invalid(`${path}.selector`, spec.selector, ''));
  } else if (!isObject(spec.template)) {
    errs.push(field.required(`${path}.template`, ''));
  } else {
    errs.push(...selectorMatchesTemplate(spec.selector, spec.template, `${path}.template`));
  }
  const podSpec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : {};
  if (podSpec.restartPolicy !== 'Always') {
    errs.push(field.notSupported(`${path}.template.spec.restartPolicy`, podSpec.restartPolicy ?? '', ['Always']));
  }
  if (podSpec.activeDeadlineSeconds != null) {
    errs.push(field.forbidden(`${path}.template.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

const mutableSpecFields = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

/** Only some spec fields may change after creation (ValidateStatefulSetUpdate). */
export function validateStatefulSetUpdate(obj: KObject, old: KObject): FieldError[] {
  const a = clone(specOf(obj)); const b = clone(specOf(old));
  for (const k of mutableSpecFields) { delete a[k]; delete b[k]; }
  return deepEqual(a, b) ? [] : [field.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
}

function validateStatefulSetStatus(status: any, path = 'status'): FieldError[] {
  if (!isObject(status)) return [];
  const errs: FieldError[] = [];
  for (const k of ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']) {
    errs.push(...nonNegative(status[k], `${path}.${k}`));
  }
  const n = (k: string) => (typeof status[k] === 'number' ? status[k] : 0);
  for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas']) {
    if (n(k) > n('replicas')) errs.push(field.invalid(`${path}.${k}`, n(k), 'cannot be greater than status.replicas'));
  }
  if (n('availableReplicas') > n('readyReplicas')) {
    errs.push(field.invalid(`${path}.availableReplicas`, n('availableReplicas'), 'cannot be greater than status.readyReplicas'));
  }
  return errs;
}

export const statefulSetStrategy: Strategy = {
  info: {
    group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', singular: 'statefulset',
    namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'],
  },
  defaults: defaultStatefulSet,
  // replicas and availableReplicas have no omitempty upstream: a new StatefulSet shows both as 0.
  prepareForCreate(obj) { resetStatusForCreate(obj, { replicas: 0, availableReplicas: 0 }); },
  prepareForUpdate(obj, old) { keepStatusBumpGeneration(obj, old); },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old); },
  validate(obj) {
    return [...validateObjectMeta(obj.metadata, { namespaced: true, nameValidator: nameIsDNSLabel }), ...validateStatefulSetSpec(obj.spec)];
  },
  validateUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateStatefulSetUpdate(obj, old)];
  },
  validateStatusUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateStatefulSetStatus(obj.status), ...collisionCountDecremented(obj, old)];
  },
  tableColumns: [
    { name: 'Ready', type: 'string', description: 'Number of the pod with ready state' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' },
  ],
  tableRow(obj, now) {
    const spec = specOf(obj);
    const [names, images] = containerCells(spec.template?.spec);
    return [`${obj.status?.readyReplicas ?? 0}/${spec.replicas ?? 0}`, since(obj.metadata.creationTimestamp, now), names, images];
  },
  scale: replicasScale,
  generationOnSpec: true,
};
