// ConfigMaps: ValidateConfigMap (config keys, 1 MiB total, data/binaryData disjoint) and immutability.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import { deepEqual, isConfigMapKey, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation';
import { base64Error, coreInfo, decodedLength, isObj } from './util';

export const MAX_DATA_SIZE = 1024 * 1024;

function validate(cm: KObject): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const data = cm.data, bin = cm.binaryData;
  if (data !== undefined && data !== null && !isObj(data)) errs.push(field.invalid('data', data, 'must be a map of string keys and values'));
  if (bin !== undefined && bin !== null && !isObj(bin)) errs.push(field.invalid('binaryData', bin, 'must be a map of string keys and base64 values'));
  let total = 0;
  for (const [k, v] of Object.entries(isObj(data) ? data : {})) {
    for (const m of isConfigMapKey(k)) errs.push(field.invalid(`data[${k}]`, k, m));
    if (isObj(bin) && k in bin) errs.push(field.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    if (typeof v !== 'string') errs.push(field.invalid(`data[${k}]`, v, 'must be a string'));
    else total += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(isObj(bin) ? bin : {})) {
    for (const m of isConfigMapKey(k)) errs.push(field.invalid(`binaryData[${k}]`, k, m));
    if (isObj(data) && k in data) errs.push(field.invalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
    const n = decodedLength(v);
    if (n === undefined) errs.push(field.invalid(`binaryData[${k}]`, '<binary>', typeof v === 'string' ? base64Error(v) : 'must be a base64 string'));
    else total += n;
  }
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong('', '', MAX_DATA_SIZE));
  return errs;
}

/** Immutable ConfigMaps/Secrets: the flag cannot be unset and the data cannot change. */
export function validateImmutableData(obj: KObject, old: KObject, dataFields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (old.immutable === true) {
    if (obj.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const f of dataFields) if (!deepEqual(obj[f], old[f])) errs.push(field.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export const configMapStrategy: Strategy = {
  info: coreInfo({ resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'] }),
  validate,
  validateUpdate: (cm, old) => [...validateObjectMetaUpdate(cm.metadata, old.metadata), ...validateImmutableData(cm, old, ['data', 'binaryData'])],
  tableColumns: [{ name: 'Data', type: 'string', description: 'Data contains the configuration data.' }, ageColumn],
  tableRow: (cm, now) => [Object.keys(isObj(cm.data) ? cm.data : {}).length + Object.keys(isObj(cm.binaryData) ? cm.binaryData : {}).length,
    formatAge(cm.metadata.creationTimestamp, now)],
};
