// ServiceAccounts: name and secret references; printServiceAccount (SECRETS = number of referenced secrets).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation';
import { coreInfo } from './util';

function validate(sa: KObject): FieldError[] {
  const errs = validateObjectMeta(sa.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  for (const f of ['secrets', 'imagePullSecrets']) {
    const v = sa[f];
    if (v !== undefined && v !== null && !Array.isArray(v)) errs.push(field.invalid(f, v, 'must be a list'));
  }
  if (sa.automountServiceAccountToken !== undefined && typeof sa.automountServiceAccountToken !== 'boolean') {
    errs.push(field.invalid('automountServiceAccountToken', sa.automountServiceAccountToken, 'must be a boolean'));
  }
  return errs;
}

export const serviceAccountStrategy: Strategy = {
  info: coreInfo({ resource: 'serviceaccounts', kind: 'ServiceAccount', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], subresources: ['token'] }),
  validate,
  validateUpdate: (sa, old) => validateObjectMetaUpdate(sa.metadata, old.metadata),
  tableColumns: [{ name: 'Secrets', type: 'string', description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.' }, ageColumn],
  tableRow: (sa, now) => [Array.isArray(sa.secrets) ? sa.secrets.length : 0, formatAge(sa.metadata.creationTimestamp, now)],
};
