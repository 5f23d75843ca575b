// Secrets: SetDefaults_Secret (type Opaque), stringData folded into data as the v1 conversion does,
// ValidateSecret (keys, size, base64, per-type required keys) and immutability.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import { isConfigMapKey, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate, validateImmutable } from '../validation';
import { MAX_DATA_SIZE, validateImmutableData } from './configmaps';
import { base64Error, coreInfo, decodedLength, isObj } from './util';

function defaults(s: KObject): void {
  s.type ||= 'Opaque';
  if (isObj(s.stringData)) {
    const data = isObj(s.data) ? s.data : {};
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    s.data = data;
    delete s.stringData;
  }
}

const has = (data: Record<string, unknown>, k: string) => typeof data[k] === 'string';

function validate(s: KObject): FieldError[] {
  const errs = validateObjectMeta(s.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  if (s.data !== undefined && s.data !== null && !isObj(s.data)) return [...errs, field.invalid('data', '<secret contents redacted>', 'must be a map of string keys and base64 values')];
  const data: Record<string, unknown> = isObj(s.data) ? s.data : {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(field.invalid(`data[${k}]`, k, m));
    const n = decodedLength(v);
    if (n === undefined) errs.push(field.invalid(`data[${k}]`, '<secret contents redacted>', typeof v === 'string' ? base64Error(v) : 'must be a base64 string'));
    else total += n;
  }
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong('data', '', MAX_DATA_SIZE));
  const decoded = (k: string) => Buffer.from(String(data[k] ?? ''), 'base64').toString();
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(field.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has(data, '.dockercfg')) errs.push(field.required('data[.dockercfg]', ''));
      else try { JSON.parse(decoded('.dockercfg')); } catch (e) { errs.push(field.invalid('data[.dockercfg]', '<secret contents redacted>', (e as Error).message)); }
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has(data, '.dockerconfigjson')) errs.push(field.required('data[.dockerconfigjson]', ''));
      else try { JSON.parse(decoded('.dockerconfigjson')); } catch (e) { errs.push(field.invalid('data[.dockerconfigjson]', '<secret contents redacted>', (e as Error).message)); }
      break;
    case 'kubernetes.io/basic-auth':
      if (!has(data, 'username') && !has(data, 'password')) {
        errs.push(field.required('data[username]', ''), field.required('data[password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!has(data, 'ssh-privatekey')) errs.push(field.required('data[ssh-privatekey]', ''));
      break;
    case 'kubernetes.io/tls':
      if (!has(data, 'tls.crt')) errs.push(field.required('data[tls.crt]', ''));
      if (!has(data, 'tls.key')) errs.push(field.required('data[tls.key]', ''));
      break;
  }
  return errs;
}

export const secretStrategy: Strategy = {
  info: coreInfo({ resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true }),
  defaults,
  validate,
  validateUpdate: (s, old) => [
    ...validateObjectMetaUpdate(s.metadata, old.metadata), ...validateImmutable(s.type, old.type, 'type'),
    ...validateImmutableData(s, old, ['data']),
  ],
  tableColumns: [
    { name: 'Type', type: 'string', description: 'Used to facilitate programmatic handling of secret data.' },
    { name: 'Data', type: 'string', description: 'Data contains the secret data.' },
    ageColumn,
  ],
  tableRow: (s, now) => [s.type ?? '', Object.keys(isObj(s.data) ? s.data : {}).length, formatAge(s.metadata.creationTimestamp, now)],
  fieldSelectors: { type: o => o.type ?? '' },
};
