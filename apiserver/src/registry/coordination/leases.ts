// coordination.k8s.io/v1 Lease (leader election, node heartbeats): ValidateLease and printLease (HOLDER AGE).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { Strategy } from '../strategy';
import { isObject, nonNegative, since } from '../apps/common';
import { validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';

function validateLeaseSpec(spec: any): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isObject(spec)) return [field.invalid('spec', spec, 'must be an object')];
  const errs: FieldError[] = [];
  const d = spec.leaseDurationSeconds;
  if (d != null && (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
    errs.push(field.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  }
  errs.push(...nonNegative(spec.leaseTransitions, 'spec.leaseTransitions'));
  for (const k of ['acquireTime', 'renewTime']) {
    if (spec[k] != null && (typeof spec[k] !== 'string' || Number.isNaN(Date.parse(spec[k])))) {
      errs.push(field.invalid(`spec.${k}`, spec[k], 'must be an RFC 3339 timestamp with microseconds'));
    }
  }
  return errs;
}

export const leaseStrategy: Strategy = {
  info: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease', namespaced: true },
  validate(obj) { return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validateLeaseSpec(obj.spec)]; },
  validateUpdate(obj, old) { return validateObjectMetaUpdate(obj.metadata, old.metadata); },
  tableColumns: [
    { name: 'Holder', type: 'string', description: 'Identity of the current lease holder.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
  ],
  tableRow(obj, now) { return [obj.spec?.holderIdentity ?? '', since(obj.metadata.creationTimestamp, now)]; },
  fieldSelectors: {},
};
