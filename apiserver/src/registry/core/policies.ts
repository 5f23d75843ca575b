// LimitRanges, ResourceQuotas and PodTemplates.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ageColumn, formatAge, formatLabels, layoutContainerCells } from '../printers';
import {
  defaultPodTemplateSpec, nameIsDNSSubdomain, quantityText, toQuantity, validateObjectMeta, validateObjectMetaUpdate,
  validatePodTemplateSpec, validateResourceList,
} from '../validation';
import { coreInfo, isObj, keepOldStatus, specOf, statusOf } from './util';

// ---- LimitRange ----

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

/** SetDefaults_LimitRangeItem: for containers, default <- max, defaultRequest <- default, then min. */
function limitRangeDefaults(lr: KObject): void {
  for (const item of Array.isArray(lr.spec?.limits) ? lr.spec.limits : []) {
    if (!isObj(item) || item.type !== 'Container') continue;
    const def: Record<string, unknown> = isObj(item.default) ? item.default : {};
    const req: Record<string, unknown> = isObj(item.defaultRequest) ? item.defaultRequest : {};
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in req)) req[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  }
}

function limitRangeValidate(lr: KObject): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const limits = lr.spec?.limits;
  if (limits !== undefined && limits !== null && !Array.isArray(limits)) return [...errs, field.invalid('spec.limits', limits, 'must be a list')];
  (limits ?? []).forEach((item: any, i: number) => {
    const p = `spec.limits[${i}]`;
    if (!LIMIT_TYPES.includes(item?.type)) errs.push(field.notSupported(`${p}.type`, item?.type, LIMIT_TYPES));
    for (const part of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) errs.push(...validateResourceList(item?.[part], `${p}.${part}`));
    if (item?.type === 'Pod' && (item.default || item.defaultRequest)) {
      if (item.default) errs.push(field.forbidden(`${p}.default`, 'may not be specified when `type` is \'Pod\''));
      if (item.defaultRequest) errs.push(field.forbidden(`${p}.defaultRequest`, 'may not be specified when `type` is \'Pod\''));
    }
    for (const [k, maxV] of Object.entries(isObj(item?.max) ? item.max : {})) {
      const max = toQuantity(maxV);
      const min = toQuantity(item.min?.[k]);
      if (max && min && min.cmp(max) > 0) {
        errs.push(field.invalid(`${p}.min[${k}]`, min.toString(), `min value ${min.toString()} is greater than max value ${max.toString()}`));
      }
      const def = toQuantity(item.default?.[k]);
      if (max && def && def.cmp(max) > 0) {
        errs.push(field.invalid(`${p}.default[${k}]`, def.toString(), `default value ${def.toString()} is greater than max value ${max.toString()}`));
      }
    }
  });
  return errs;
}

export const limitRangeStrategy: Strategy = {
  info: coreInfo({ resource: 'limitranges', kind: 'LimitRange', singular: 'limitrange', namespaced: true, shortNames: ['limits'] }),
  defaults: limitRangeDefaults,
  validate: limitRangeValidate,
  validateUpdate: (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata),
  allowCreateOnUpdate: true,
};

// ---- ResourceQuota ----

const QUOTA_SCOPES = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'];

function quotaValidate(q: KObject): FieldError[] {
  const errs = validateObjectMeta(q.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  errs.push(...validateResourceList(specOf(q).hard, 'spec.hard'));
  (Array.isArray(specOf(q).scopes) ? specOf(q).scopes : []).forEach((s: unknown, i: number) => {
    if (!QUOTA_SCOPES.includes(s as string)) errs.push(field.notSupported(`spec.scopes[${i}]`, s, QUOTA_SCOPES));
  });
  return errs;
}

/** printResourceQuota: `name: used/hard` pairs sorted by name, limits.* in the LIMIT column. */
export function quotaCells(q: KObject): [string, string] {
  const st = statusOf(q);
  const hard = isObj(st.hard) ? st.hard : {};
  const used = isObj(st.used) ? st.used : {};
  const req: string[] = [], lim: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const text = `${name}: ${used[name] !== undefined ? quantityText(used[name]) : '0'}/${quantityText(hard[name])}`;
    (name.split('.').length > 1 && name.split('.')[0] === 'limits' ? lim : req).push(text);
  }
  return [req.join(', '), lim.join(', ')];
}

export const resourceQuotaStrategy: Strategy = {
  info: coreInfo({ resource: 'resourcequotas', kind: 'ResourceQuota', singular: 'resourcequota', namespaced: true, shortNames: ['quota'], subresources: ['status'] }),
  prepareForCreate: q => { q.status = {}; },
  prepareForUpdate: keepOldStatus,
  validate: quotaValidate,
  validateUpdate: (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata),
  validateStatusUpdate: (o, old) => [
    ...validateObjectMetaUpdate(o.metadata, old.metadata),
    ...validateResourceList(statusOf(o).hard, 'status.hard'), ...validateResourceList(statusOf(o).used, 'status.used'),
  ],
  tableColumns: [
    { name: 'Request', type: 'string', description: 'Request represents a minimum amount of cpu/memory that a container may consume.' },
    { name: 'Limit', type: 'string', description: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.' },
    ageColumn,
  ],
  tableRow: (q, now) => [...quotaCells(q), formatAge(q.metadata.creationTimestamp, now)],
};

// ---- PodTemplate ----

export const podTemplateStrategy: Strategy = {
  info: coreInfo({ resource: 'podtemplates', kind: 'PodTemplate', singular: 'podtemplate', namespaced: true }),
  defaults: pt => { if (isObj(pt.template)) defaultPodTemplateSpec(pt.template); },
  validate: pt => [
    ...validateObjectMeta(pt.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }),
    ...validatePodTemplateSpec(pt.template, 'template'),
  ],
  validateUpdate: (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata),
  tableColumns: [
    { name: 'Containers', type: 'string', description: 'Names of each container in the template.' },
    { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.' },
    { name: 'Pod Labels', type: 'string', description: 'The labels for the pod template.' },
  ],
  tableRow: (pt: KObject) => [...layoutContainerCells(pt.template?.spec?.containers), formatLabels(pt.template?.metadata?.labels)],
};
