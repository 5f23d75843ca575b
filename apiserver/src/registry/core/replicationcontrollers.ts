// ReplicationControllers: SetDefaults_ReplicationController (selector and labels from the template, replicas 1),
// ValidateReplicationController, generation on spec change, /scale, and printReplicationController.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { ageColumn, formatAge, formatLabels, layoutContainerCells } from '../printers';
import {
  defaultPodTemplateSpec, nameIsDNSSubdomain, validateLabels, validateNonnegative, validateObjectMeta,
  validateObjectMetaUpdate, validatePodTemplateSpec,
} from '../validation';
import { coreInfo, isObj, keepOldStatus, specOf, statusOf } from './util';

function defaults(rc: KObject): void {
  if (!isObj(rc.spec)) return;
  const spec = rc.spec;
  const labels = isObj(spec.template?.metadata?.labels) ? spec.template.metadata.labels : undefined;
  if (labels) {
    if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    if (!rc.metadata.labels || Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...labels };
  }
  spec.replicas ??= 1;
  if (isObj(spec.template)) defaultPodTemplateSpec(spec.template);
}

const selectorMatches = (sel: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(sel).every(([k, v]) => labels?.[k] === v);

function validate(rc: KObject): FieldError[] {
  const errs = validateObjectMeta(rc.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  if (!isObj(rc.spec)) return [...errs, field.required('spec', '')];
  const spec = rc.spec;
  const sel = isObj(spec.selector) ? spec.selector : {};
  if (Object.keys(sel).length === 0) errs.push(field.required('spec.selector', ''));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const tpl = spec.template;
  if (!isObj(tpl)) {
    errs.push(field.required('spec.template', ''));
  } else {
    const tplLabels = isObj(tpl.metadata?.labels) ? tpl.metadata.labels : {};
    if (Object.keys(sel).length > 0 && !selectorMatches(sel, tplLabels)) {
      errs.push(field.invalid('spec.template.metadata.labels', tplLabels, '`selector` does not match template `labels`'));
    }
    errs.push(...validatePodTemplateSpec(tpl, 'spec.template'));
    const rp = tpl.spec?.restartPolicy;
    if (rp && rp !== 'Always') errs.push(field.notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
    if (tpl.spec?.activeDeadlineSeconds !== undefined && tpl.spec?.activeDeadlineSeconds !== null) {
      errs.push(field.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
    }
  }
  return errs;
}

function validateStatus(rc: KObject): FieldError[] {
  const st = statusOf(rc);
  const errs: FieldError[] = [];
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...validateNonnegative(st[f], `status.${f}`));
  }
  if ((st.fullyLabeledReplicas ?? 0) > (st.replicas ?? 0)) errs.push(field.invalid('status.fullyLabeledReplicas', st.fullyLabeledReplicas, 'cannot be greater than status.replicas'));
  if ((st.readyReplicas ?? 0) > (st.replicas ?? 0)) errs.push(field.invalid('status.readyReplicas', st.readyReplicas, 'cannot be greater than status.replicas'));
  if ((st.availableReplicas ?? 0) > (st.replicas ?? 0)) errs.push(field.invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than status.replicas'));
  if ((st.availableReplicas ?? 0) > (st.readyReplicas ?? 0)) errs.push(field.invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}

export const rcColumns: TableColumn[] = [
  { name: 'Desired', type: 'integer', description: 'Replicas is the number of desired replicas.' },
  { name: 'Current', type: 'integer', description: 'Replicas is the most recently observed number of replicas.' },
  { name: 'Ready', type: 'integer', description: 'The number of ready replicas for this replication controller.' },
  ageColumn,
  { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' },
  { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' },
  { name: 'Selector', type: 'string', priority: 1, description: 'Selector is a label query over pods that should match the Replicas count.' },
];

export const replicationControllerStrategy: Strategy = {
  info: coreInfo({ resource: 'replicationcontrollers', kind: 'ReplicationController', singular: 'replicationcontroller', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'], etcdPrefix: '/registry/controllers' }),
  defaults,
  prepareForCreate: rc => { rc.status = { replicas: 0 }; },
  prepareForUpdate: keepOldStatus,
  validate,
  validateUpdate: (rc, old) => validateObjectMetaUpdate(rc.metadata, old.metadata),
  validateStatusUpdate: (rc, old) => [...validateObjectMetaUpdate(rc.metadata, old.metadata), ...validateStatus(rc)],
  tableColumns: rcColumns,
  tableRow: (rc, now) => {
    const spec = specOf(rc), st = statusOf(rc);
    const [names, images] = layoutContainerCells(spec.template?.spec?.containers);
    return [spec.replicas ?? 0, st.replicas ?? 0, st.readyReplicas ?? 0, formatAge(rc.metadata.creationTimestamp, now), names, images, formatLabels(spec.selector)];
  },
  scale: {
    specReplicas: o => specOf(o).replicas ?? 0,
    setSpecReplicas: (o, n) => { if (!isObj(o.spec)) o.spec = {}; o.spec.replicas = n; },
    statusReplicas: o => statusOf(o).replicas ?? 0,
    selector: o => Object.entries(isObj(specOf(o).selector) ? specOf(o).selector : {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(','),
  },
  generationOnSpec: true,
};
