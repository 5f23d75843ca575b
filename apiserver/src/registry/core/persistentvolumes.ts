// PersistentVolumes and PersistentVolumeClaims: defaults (Retain, Filesystem, phase Pending), validation,
// update immutability, and their printers.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { accessModesString, ageColumn, formatAge } from '../printers';
import {
  deepEqual, isDNS1123Subdomain, nameIsDNSSubdomain, quantityText, toQuantity, validateLabelSelector, validateObjectMeta,
  validateObjectMetaUpdate,
} from '../validation';
import { clone, coreInfo, isObj, keepOldStatus, specOf, statusOf } from './util';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_SOURCES = ['gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'quobyte', 'iscsi',
  'cephfs', 'cinder', 'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'azureDisk', 'photonPersistentDisk',
  'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi'];
const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function validateAccessModes(modes: unknown, path: string, requiredMsg: string): FieldError[] {
  const list: unknown[] = Array.isArray(modes) ? modes : [];
  if (list.length === 0) return [field.required(path, requiredMsg)];
  const errs: FieldError[] = [];
  for (const m of list) if (!ACCESS_MODES.includes(m as string)) errs.push(field.notSupported(path, m, ACCESS_MODES));
  if (list.includes('ReadWriteOncePod') && list.length > 1) errs.push(field.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateStorageClass(name: unknown, path: string): FieldError[] {
  if (!name) return [];
  return isDNS1123Subdomain(String(name)).map(m => field.invalid(path, name, m));
}

function positiveQuantity(q: unknown, path: string): FieldError[] {
  const v = toQuantity(q);
  if (v === undefined) return [field.invalid(path, q, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")];
  return v.sign() > 0 ? [] : [field.invalid(path, v.toString(), 'must be greater than zero')];
}

// ---- PersistentVolume ----

function pvDefaults(pv: KObject): void {
  if (!isObj(pv.spec)) return;
  pv.spec.persistentVolumeReclaimPolicy ||= 'Retain';
  pv.spec.volumeMode ||= 'Filesystem';
  if (!isObj(pv.status)) pv.status = {};
  pv.status.phase ||= 'Pending';
}

function pvValidate(pv: KObject): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain });
  if (!isObj(pv.spec)) return [...errs, field.required('spec', '')];
  const spec = pv.spec;
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', 'must specify at least 1 access mode'));
  const cap = isObj(spec.capacity) ? spec.capacity : {};
  if (Object.keys(cap).length === 0) errs.push(field.required('spec.capacity', ''));
  else if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(field.notSupported('spec.capacity', cap, ['storage']));
  else errs.push(...positiveQuantity(cap.storage, 'spec.capacity[storage]'));
  if (spec.persistentVolumeReclaimPolicy && !RECLAIM.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.push(field.notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, RECLAIM));
  }
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(field.notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  errs.push(...validateStorageClass(spec.storageClassName, 'spec.storageClassName'));
  const sources = PV_SOURCES.filter(s => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push(field.required('spec', 'must specify a volume type'));
  for (const s of sources.slice(1)) errs.push(field.forbidden(`spec.${s}`, 'may not specify more than 1 volume type'));
  if (isObj(spec.hostPath) && !spec.hostPath.path) errs.push(field.required('spec.hostPath.path', ''));
  if (isObj(spec.local) && !spec.local.path) errs.push(field.required('spec.local.path', ''));
  if (isObj(spec.local) && !isObj(spec.nodeAffinity)) errs.push(field.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  return errs;
}

function pvValidateUpdate(pv: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata);
  const spec = specOf(pv), oldSpec = specOf(old);
  const src = (s: any) => Object.fromEntries(PV_SOURCES.filter(k => s[k] !== undefined).map(k => [k, s[k]]));
  if (!deepEqual(src(spec), src(oldSpec))) {
    errs.push(field.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  if (spec.volumeMode !== oldSpec.volumeMode) errs.push(field.invalid('spec.volumeMode', spec.volumeMode, 'field is immutable'));
  if (oldSpec.nodeAffinity && !deepEqual(spec.nodeAffinity, oldSpec.nodeAffinity)) {
    errs.push(field.invalid('spec.nodeAffinity', spec.nodeAffinity ?? null, 'field is immutable'));
  }
  return errs;
}

export const pvColumns: TableColumn[] = [
  { name: 'Capacity', type: 'string', description: 'capacity is the description of the persistent volume\'s resources and capacity.' },
  { name: 'Access Modes', type: 'string', description: 'accessModes contains all ways the volume can be mounted.' },
  { name: 'Reclaim Policy', type: 'string', description: 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.' },
  { name: 'Status', type: 'string', description: 'phase indicates if a volume is available, bound to a claim, or released by a claim.' },
  { name: 'Claim', type: 'string', description: 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.' },
  { name: 'StorageClass', type: 'string', description: 'StorageClass of the pv' },
  { name: 'VolumeAttributesClass', type: 'string', description: 'VolumeAttributesClass of the pv' },
  { name: 'Reason', type: 'string', description: 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.' },
  ageColumn,
  { name: 'VolumeMode', type: 'string', priority: 1, description: 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.' },
];

export function pvRow(pv: KObject, now: Date): unknown[] {
  const spec = specOf(pv), st = statusOf(pv);
  const claim = isObj(spec.claimRef) ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
  const size = spec.capacity?.storage !== undefined ? quantityText(spec.capacity.storage) : '0';
  const phase = pv.metadata.deletionTimestamp ? 'Terminating' : (st.phase ?? '');
  const cls = pv.metadata.annotations?.[STORAGE_CLASS_ANNOTATION] ?? spec.storageClassName ?? '';
  return [size, accessModesString(spec.accessModes), spec.persistentVolumeReclaimPolicy ?? '', phase, claim, cls,
    spec.volumeAttributesClassName ?? '<unset>', st.reason ?? '', formatAge(pv.metadata.creationTimestamp, now), spec.volumeMode ?? '<unset>'];
}

export const persistentVolumeStrategy: Strategy = {
  info: coreInfo({ resource: 'persistentvolumes', kind: 'PersistentVolume', singular: 'persistentvolume', namespaced: false, shortNames: ['pv'], subresources: ['status'] }),
  defaults: pvDefaults,
  prepareForCreate: pv => { pv.status = { phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }; },
  prepareForUpdate: keepOldStatus,
  validate: pvValidate,
  validateUpdate: pvValidateUpdate,
  tableColumns: pvColumns,
  tableRow: pvRow,
};

// ---- PersistentVolumeClaim ----

function pvcDefaults(pvc: KObject): void {
  if (!isObj(pvc.spec)) return;
  pvc.spec.volumeMode ||= 'Filesystem';
  if (!isObj(pvc.status)) pvc.status = {};
  pvc.status.phase ||= 'Pending';
}

function pvcValidate(pvc: KObject): FieldError[] {
  const errs = validateObjectMeta(pvc.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  if (!isObj(pvc.spec)) return [...errs, field.required('spec', '')];
  const spec = pvc.spec;
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const req = isObj(spec.resources?.requests) ? spec.resources.requests : {};
  if (!('storage' in req)) errs.push(field.required('spec.resources[storage]', ''));
  else errs.push(...positiveQuantity(req.storage, 'spec.resources[storage]'));
  if (spec.volumeMode && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(field.notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  errs.push(...validateStorageClass(spec.storageClassName, 'spec.storageClassName'));
  return errs;
}

function pvcValidateUpdate(pvc: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata);
  const spec = clone(specOf(pvc)), oldSpec = specOf(old);
  const bound = statusOf(old).phase === 'Bound';
  // Binding sets volumeName once; a bound claim may grow its storage request.
  if (!oldSpec.volumeName && spec.volumeName) {
    if (oldSpec.volumeName === undefined) delete spec.volumeName; else spec.volumeName = oldSpec.volumeName;
  }
  const newStorage = toQuantity(spec.resources?.requests?.storage);
  const oldStorage = toQuantity(oldSpec.resources?.requests?.storage);
  if (bound && isObj(spec.resources?.requests)) spec.resources.requests.storage = oldSpec.resources?.requests?.storage;
  spec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  if (spec.volumeAttributesClassName === undefined) delete spec.volumeAttributesClassName;
  if (!deepEqual(spec, oldSpec)) {
    errs.push(field.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  } else if (bound && newStorage && oldStorage && newStorage.cmp(oldStorage) < 0) {
    errs.push(field.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return errs;
}

export const pvcColumns: TableColumn[] = [
  { name: 'Status', type: 'string', description: 'phase represents the current phase of PersistentVolumeClaim.' },
  { name: 'Volume', type: 'string', description: 'volumeName is the binding reference to the PersistentVolume backing this claim.' },
  { name: 'Capacity', type: 'string', description: 'capacity represents the actual resources of the underlying volume.' },
  { name: 'Access Modes', type: 'string', description: 'accessModes contains the actual access modes the volume backing the PVC has.' },
  { name: 'StorageClass', type: 'string', description: 'StorageClass of the pvc' },
  { name: 'VolumeAttributesClass', type: 'string', description: 'VolumeAttributesClass of the pvc' },
  ageColumn,
  { name: 'VolumeMode', type: 'string', priority: 1, description: 'volumeMode defines what type of volume is required by the claim.' },
];

export function pvcRow(pvc: KObject, now: Date): unknown[] {
  const spec = specOf(pvc), st = statusOf(pvc);
  const phase = pvc.metadata.deletionTimestamp ? 'Terminating' : (st.phase ?? '');
  let capacity = '', modes = '';
  if (spec.volumeName) {
    modes = accessModesString(st.accessModes);
    capacity = st.capacity?.storage !== undefined ? quantityText(st.capacity.storage) : '0';
  }
  const cls = pvc.metadata.annotations?.[STORAGE_CLASS_ANNOTATION] ?? spec.storageClassName ?? '';
  return [phase, spec.volumeName ?? '', capacity, modes, cls, spec.volumeAttributesClassName ?? '<unset>',
    formatAge(pvc.metadata.creationTimestamp, now), spec.volumeMode ?? '<unset>'];
}

export const persistentVolumeClaimStrategy: Strategy = {
  info: coreInfo({ resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', singular: 'persistentvolumeclaim', namespaced: true, shortNames: ['pvc'], subresources: ['status'] }),
  defaults: pvcDefaults,
  prepareForCreate: pvc => { pvc.status = { phase: 'Pending' }; },
  prepareForUpdate: keepOldStatus,
  validate: pvcValidate,
  validateUpdate: pvcValidateUpdate,
  tableColumns: pvcColumns,
  tableRow: pvcRow,
};
