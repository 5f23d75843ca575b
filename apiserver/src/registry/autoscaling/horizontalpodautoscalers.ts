// autoscaling HorizontalPodAutoscaler, served as v2 (storage version) and v1. Defaults (SetDefaults_*), the spec
// validation of pkg/apis/autoscaling/validation (on the v2 form, so v1 requests see the same field paths as
// upstream's internal validation) and printHorizontalPodAutoscaler (REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ensureObject, isObject, keepSpec, keepStatusBumpGeneration, resetStatusForCreate, since, specOf, statusOf } from '../apps/common';
import { validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';
import { nameIsPathSegment } from '../validation';
import { hpaV2ToV1, hpaV1ToV2 } from './convert';

const scaleUpDefaults = { stabilizationWindowSeconds: 0, selectPolicy: 'Max',
  policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
const scaleDownDefaults = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

/** GenerateHPAScale{Up,Down}Rules: unset rules get the defaults, unset fields of given rules too. */
function defaultRules(rules: any, defaults: typeof scaleUpDefaults): any {
  if (!isObject(rules)) return JSON.parse(JSON.stringify(defaults));
  rules.stabilizationWindowSeconds ??= defaults.stabilizationWindowSeconds;
  rules.selectPolicy ??= defaults.selectPolicy;
  rules.policies ??= JSON.parse(JSON.stringify(defaults.policies));
  return rules;
}

export function defaultHpaV2(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (isObject(spec.behavior)) {
    spec.behavior.scaleUp = defaultRules(spec.behavior.scaleUp, scaleUpDefaults);
    spec.behavior.scaleDown = defaultRules(spec.behavior.scaleDown, scaleDownDefaults);
  }
}

export function defaultHpaV1(obj: KObject): void {
  ensureObject(obj, 'spec').minReplicas ??= 1;
}

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const targetTypes = ['AverageValue', 'Utilization', 'Value'];

function validateTarget(t: any, path: string): FieldError[] {
  if (!isObject(t)) return [field.required(path, '')];
  const errs: FieldError[] = [];
  if (!t.type) errs.push(field.required(`${path}.type`, 'must specify a metric target type'));
  else if (!targetTypes.includes(t.type)) errs.push(field.notSupported(`${path}.type`, t.type, targetTypes));
  if (t.averageUtilization != null && !(Number.isInteger(t.averageUtilization) && t.averageUtilization > 0)) {
    errs.push(field.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  }
  if (t.type === 'Utilization' && t.averageUtilization == null) errs.push(field.required(`${path}.averageUtilization`, 'must set a target utilization'));
  if (t.type === 'AverageValue' && t.averageValue == null) errs.push(field.required(`${path}.averageValue`, 'must set a target average value'));
  if (t.type === 'Value' && t.value == null) errs.push(field.required(`${path}.value`, 'must set a target value'));
  return errs;
}

function validateMetric(m: any, path: string): FieldError[] {
  if (!isObject(m)) return [field.invalid(path, m, 'must be an object')];
  if (!m.type) return [field.required(`${path}.type`, 'must specify a metric source type')];
  if (!metricTypes.includes(m.type)) return [field.notSupported(`${path}.type`, m.type, metricTypes)];
  const key = m.type[0].toLowerCase() + m.type.slice(1);
  const src = m[key];
  const sp = `${path}.${key}`;
  if (!isObject(src)) return [field.required(sp, `must populate information for the given metric source (${m.type})`)];
  const errs: FieldError[] = [];
  if (m.type === 'Resource' || m.type === 'ContainerResource') {
    if (!src.name) errs.push(field.required(`${sp}.name`, 'must specify a resource name'));
    if (m.type === 'ContainerResource' && !src.container) errs.push(field.required(`${sp}.container`, 'must specify a container'));
  } else if (!isObject(src.metric) || !src.metric.name) {
    errs.push(field.required(`${sp}.metric.name`, 'must specify a metric name'));
  }
  if (m.type === 'Object' && (!isObject(src.describedObject) || !src.describedObject.kind || !src.describedObject.name)) {
    errs.push(field.required(`${sp}.describedObject`, ''));
  }
  errs.push(...validateTarget(src.target, `${sp}.target`));
  return errs;
}

function validateScalingRules(r: any, path: string): FieldError[] {
  if (r == null) return [];
  if (!isObject(r)) return [field.invalid(path, r, 'must be an object')];
  const errs: FieldError[] = [];
  const w = r.stabilizationWindowSeconds;
  if (w != null && (!Number.isInteger(w) || w < 0 || w > 3600)) errs.push(field.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be less than or equal to 3600 and greater than or equal to 0'));
  if (r.selectPolicy != null && !['Disabled', 'Max', 'Min'].includes(r.selectPolicy)) errs.push(field.notSupported(`${path}.selectPolicy`, r.selectPolicy, ['Disabled', 'Max', 'Min']));
  const policies = Array.isArray(r.policies) ? r.policies : [];
  if (r.selectPolicy !== 'Disabled' && policies.length === 0) errs.push(field.required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((p: any, i: number) => {
    const pp = `${path}.policies[${i}]`;
    if (!['Pods', 'Percent'].includes(p?.type)) errs.push(field.notSupported(`${pp}.type`, p?.type, ['Percent', 'Pods']));
    if (!(Number.isInteger(p?.value) && p.value > 0)) errs.push(field.invalid(`${pp}.value`, p?.value, 'must be greater than zero'));
    if (!(Number.isInteger(p?.periodSeconds) && p.periodSeconds > 0)) errs.push(field.invalid(`${pp}.periodSeconds`, p?.periodSeconds, 'must be greater than zero'));
    else if (p.periodSeconds > 1800) errs.push(field.invalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be less than or equal to 1800'));
  });
  return errs;
}

/** ValidateHorizontalPodAutoscaler on the v2 form. */
export function validateHpaV2(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = specOf(obj);
  if (spec.minReplicas != null && !(Number.isInteger(spec.minReplicas) && spec.minReplicas >= 1)) {
    errs.push(field.invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  }
  if (!(Number.isInteger(spec.maxReplicas) && spec.maxReplicas >= 1)) errs.push(field.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  else if (Number.isInteger(spec.minReplicas) && spec.minReplicas > spec.maxReplicas) {
    errs.push(field.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  const ref = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  if (!ref.kind) errs.push(field.required('spec.scaleTargetRef.kind', ''));
  else errs.push(...nameIsPathSegment(String(ref.kind), false).map(m => field.invalid('spec.scaleTargetRef.kind', ref.kind, m)));
  if (!ref.name) errs.push(field.required('spec.scaleTargetRef.name', ''));
  else errs.push(...nameIsPathSegment(String(ref.name), false).map(m => field.invalid('spec.scaleTargetRef.name', ref.name, m)));
  (Array.isArray(spec.metrics) ? spec.metrics : []).forEach((m: any, i: number) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
  if (isObject(spec.behavior)) {
    errs.push(...validateScalingRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...validateScalingRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errs;
}

/** formatHPAMetrics: at most two targets, then `+ N more...`. */
export function formatHpaTargets(obj: KObject): string {
  const specs: any[] = Array.isArray(specOf(obj).metrics) ? specOf(obj).metrics : [];
  const statuses: any[] = Array.isArray(statusOf(obj).currentMetrics) ? statusOf(obj).currentMetrics : [];
  if (specs.length === 0) return '<none>';
  const list = specs.map((spec, i) => {
    const st = statuses[i];
    const key = typeof spec?.type === 'string' && spec.type ? spec.type[0].toLowerCase() + spec.type.slice(1) : '';
    const src = spec?.[key]; const cur = st?.[key]?.current;
    const t = src?.target ?? {};
    switch (spec?.type) {
      case 'External': case 'Object':
        if (t.averageValue != null) return `${cur?.averageValue ?? '<unknown>'}/${t.averageValue} (avg)`;
        return `${st?.[key] ? cur?.value : '<unknown>'}/${t.value}`;
      case 'Pods': return `${st?.pods ? cur?.averageValue : '<unknown>'}/${t.averageValue}`;
      case 'Resource': case 'ContainerResource':
        if (t.averageValue != null) return `${src.name}: ${st?.[key] ? cur?.averageValue : '<unknown>'}/${t.averageValue}`;
        return `${src?.name}: ${cur?.averageUtilization != null ? `${cur.averageUtilization}%` : '<unknown>'}/${t.averageUtilization != null ? `${t.averageUtilization}%` : '<auto>'}`;
      default: return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

function hpaRow(v2: KObject, now: Date): unknown[] {
  const spec = specOf(v2);
  const ref = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  return [`${ref.kind ?? ''}/${ref.name ?? ''}`, formatHpaTargets(v2), spec.minReplicas != null ? String(spec.minReplicas) : '<unset>',
    spec.maxReplicas ?? 0, statusOf(v2).currentReplicas ?? 0, since(v2.metadata.creationTimestamp, now)];
}

const columns = [
  { name: 'Reference', type: 'string' as const, description: 'The scaled workload.' },
  { name: 'Targets', type: 'string' as const, description: 'Current and target metric values.' },
  { name: 'MinPods', type: 'string' as const, description: 'Lower replica bound.' },
  { name: 'MaxPods', type: 'string' as const, description: 'Upper replica bound.' },
  { name: 'Replicas', type: 'string' as const, description: 'Replicas currently running.' },
  { name: 'Age', type: 'string' as const, description: 'Time since the object was created.' },
];

const info = {
  group: 'autoscaling', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', singular: 'horizontalpodautoscaler',
  namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'],
};

const common = {
  prepareForUpdate(obj: KObject, old: KObject) { keepStatusBumpGeneration(obj, old); },
  prepareForStatusUpdate(obj: KObject, old: KObject) { keepSpec(obj, old); },
  validateUpdate(obj: KObject, old: KObject) { return validateObjectMetaUpdate(obj.metadata, old.metadata); },
  validateStatusUpdate(obj: KObject, old: KObject) { return validateObjectMetaUpdate(obj.metadata, old.metadata); },
  tableColumns: columns,
  generationOnSpec: true,
};

/** The storage version. */
export const hpaV2Strategy: Strategy = {
  ...common, info: { ...info, version: 'v2' }, defaults: defaultHpaV2, validate: validateHpaV2, tableRow: hpaRow,
  // v2 status: currentReplicas is omitempty, desiredReplicas and currentMetrics (null) are always written.
  prepareForCreate(obj: KObject) { resetStatusForCreate(obj, { desiredReplicas: 0, currentMetrics: null }); },
};

/** The v1 view: validated and printed through its v2 form. */
export const hpaV1Strategy: Strategy = {
  ...common, info: { ...info, version: 'v1' }, defaults: defaultHpaV1,
  // v1 status: both replica counts are always written.
  prepareForCreate(obj: KObject) { resetStatusForCreate(obj, { currentReplicas: 0, desiredReplicas: 0 }); },
  validate(obj) { const v2 = hpaV1ToV2(obj); defaultHpaV2(v2); return validateHpaV2(v2); },
  tableRow(obj, now) { return hpaRow(hpaV1ToV2(obj), now); },
  storageConversion: { toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 },
};
