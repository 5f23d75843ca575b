// storage.k8s.io/v1 StorageClass (cluster-scoped): defaults (reclaimPolicy Delete, volumeBindingMode Immediate),
// ValidateStorageClass(+Update) and printStorageClass, whose NAME carries ` (default)` for the default class.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { deepEqual, immutable, isObject, since } from '../apps/common';
import { isQualifiedName, validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';

export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const betaDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';

/** storageutil.IsDefaultAnnotation. */
export const isDefaultClass = (o: KObject): boolean =>
  o.metadata.annotations?.[defaultClassAnnotation] === 'true' || o.metadata.annotations?.[betaDefaultClassAnnotation] === 'true';

export function defaultStorageClass(obj: KObject): void {
  obj.reclaimPolicy ??= 'Delete';
  obj.volumeBindingMode ??= 'Immediate';
}

const maxParametersSize = 256 * 1024;

function validateStorageClass(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  if (!obj.provisioner) errs.push(field.required('provisioner', ''));
  else if (typeof obj.provisioner !== 'string') errs.push(field.invalid('provisioner', obj.provisioner, 'must be a string'));
  else for (const m of isQualifiedName(obj.provisioner.toLowerCase())) errs.push(field.invalid('provisioner', obj.provisioner, m));
  if (obj.parameters != null) {
    if (!isObject(obj.parameters)) errs.push(field.invalid('parameters', obj.parameters, 'must be a map of strings'));
    else {
      let size = 0;
      for (const [k, v] of Object.entries(obj.parameters)) {
        if (k.length === 0) errs.push(field.invalid('parameters', k, 'field can not be empty.'));
        size += k.length + String(v).length;
      }
      if (size > maxParametersSize) errs.push(field.tooLong('parameters', '', maxParametersSize));
    }
  }
  if (obj.reclaimPolicy !== 'Delete' && obj.reclaimPolicy !== 'Retain') errs.push(field.notSupported('reclaimPolicy', obj.reclaimPolicy, ['Delete', 'Retain']));
  if (obj.volumeBindingMode == null) errs.push(field.required('volumeBindingMode', ''));
  else if (obj.volumeBindingMode !== 'Immediate' && obj.volumeBindingMode !== 'WaitForFirstConsumer') {
    errs.push(field.notSupported('volumeBindingMode', obj.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  }
  if (obj.allowVolumeExpansion != null && typeof obj.allowVolumeExpansion !== 'boolean') {
    errs.push(field.invalid('allowVolumeExpansion', obj.allowVolumeExpansion, 'must be a boolean'));
  }
  return errs;
}

export const storageClassStrategy: Strategy & { tableName(obj: KObject): string } = {
  info: { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', singular: 'storageclass', namespaced: false, shortNames: ['sc'] },
  defaults: defaultStorageClass,
  validate: validateStorageClass,
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
    if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(field.forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner) errs.push(field.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    errs.push(...immutable(obj.reclaimPolicy, old.reclaimPolicy, 'reclaimPolicy'));
    errs.push(...immutable(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
    return errs;
  },
  tableColumns: [
    { name: 'Provisioner', type: 'string', description: 'The volume plugin or CSI driver that provisions volumes.' },
    { name: 'ReclaimPolicy', type: 'string', description: 'What happens to provisioned volumes when released.' },
    { name: 'VolumeBindingMode', type: 'string', description: 'When volumes are bound and provisioned.' },
    { name: 'AllowVolumeExpansion', type: 'string', description: 'Whether volumes may be resized.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
  ],
  /** The NAME cell: upstream appends ` (default)` for the default class. */
  tableName(obj) { return `${obj.metadata.name ?? ''}${isDefaultClass(obj) ? ' (default)' : ''}`; },
  tableRow(obj, now) {
    return [obj.provisioner ?? '', obj.reclaimPolicy ?? 'Delete', obj.volumeBindingMode ?? 'Immediate',
      obj.allowVolumeExpansion === true, since(obj.metadata.creationTimestamp, now)];
  },
};
