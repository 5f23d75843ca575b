// batch/v1 Job: defaults (SetDefaults_Job), the generated selector and labels (pkg/registry/batch/job/strategy.go
// generateSelector, done at create unless spec.manualSelector), ValidateJob(+Update/Status), printJob
// (STATUS COMPLETIONS DURATION AGE, wide CONTAINERS IMAGES SELECTOR) and the `status.successful` field selector.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  containerCells, ensureObject, formatLabelSelector, humanDuration, isObject, keepSpec, keepStatusBumpGeneration,
  nonNegative, resetStatusForCreate, selectorConvertible, selectorMatches, since, specOf, statusOf,
} from '../apps/common';
import { isDNS1123Label, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';
import { defaultTemplate } from '../apps/workload';
import { defaultJobSpec, validateJobSpecFields, validateJobSpecUpdate } from './jobspec';

export const legacyJobNameLabel = 'job-name';
export const jobNameLabel = 'batch.kubernetes.io/job-name';
export const legacyControllerUidLabel = 'controller-uid';
export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';

export function defaultJob(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultJobSpec(spec);
  // Upstream shares the template's label map with the Job when the Job has none, so the labels generated at
  // create show on the Job too; the same object reference reproduces that.
  const tplLabels = isObject(spec.template) && isObject(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  if (isObject(tplLabels) && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = tplLabels;
  defaultTemplate(spec.template);
}

/** generateSelector: job-name/controller-uid labels on the template, a controller-uid selector. */
export function generateSelector(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  const tpl = ensureObject(spec, 'template');
  const meta = ensureObject(tpl, 'metadata');
  const labels = ensureObject(meta, 'labels');
  for (const k of [legacyJobNameLabel, jobNameLabel]) if (!(k in labels)) labels[k] = obj.metadata.name ?? '';
  for (const k of [legacyControllerUidLabel, controllerUidLabel]) if (!(k in labels)) labels[k] = obj.metadata.uid ?? '';
  const sel = ensureObject(spec, 'selector');
  const ml = ensureObject(sel, 'matchLabels');
  if (!(controllerUidLabel in ml)) ml[controllerUidLabel] = obj.metadata.uid ?? '';
}

/** ValidateHasLabel. */
function hasLabel(labels: any, path: string, key: string, want: string): FieldError[] {
  const l = isObject(labels) ? labels : {};
  if (!(key in l)) return [field.required(`${path}.labels[${key}]`, want)];
  return l[key] === want ? [] : [field.invalid(`${path}.labels[${key}]`, l, `must be '${want}'`)];
}

/** validateGeneratedSelector: with a generated selector the template must carry exactly our labels. */
function validateGeneratedSelector(obj: KObject, requirePrefixed: boolean): FieldError[] {
  const spec = specOf(obj);
  if (spec.manualSelector === true || spec.selector == null) return [];
  const errs: FieldError[] = [];
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  if (!uid) errs.push(field.required('metadata.uid', ''));
  const labels = spec.template?.metadata?.labels;
  const tp = 'spec.template.metadata';
  errs.push(...hasLabel(labels, tp, legacyControllerUidLabel, uid), ...hasLabel(labels, tp, legacyJobNameLabel, name));
  const expected: Record<string, string> = { [legacyControllerUidLabel]: uid, [legacyJobNameLabel]: name };
  if (requirePrefixed) {
    errs.push(...hasLabel(labels, tp, controllerUidLabel, uid), ...hasLabel(labels, tp, jobNameLabel, name));
    expected[controllerUidLabel] = uid; expected[jobNameLabel] = name;
  }
  if (selectorConvertible(spec.selector) && !selectorMatches(spec.selector, expected)) {
    errs.push(field.invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  }
  return errs;
}

export function validateJob(obj: KObject, requirePrefixedLabels = true): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  errs.push(...validateGeneratedSelector(obj, requirePrefixedLabels));
  const spec = specOf(obj);
  errs.push(...validateJobSpecFields(obj.spec, 'spec'));
  if (spec.selector == null) errs.push(field.required('spec.selector', ''));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (isObject(spec.selector) && selectorConvertible(spec.selector) && !selectorMatches(spec.selector, spec.template?.metadata?.labels)) {
    errs.push(field.invalid('spec.template.metadata.labels', spec.template?.metadata?.labels ?? null, '`selector` does not match template `labels`'));
  }
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const host = `${obj.metadata.name}-${spec.completions - 1}`;
    if (isDNS1123Label(host).length > 0) {
      errs.push(field.invalid('metadata.name', obj.metadata.name, `will not able to create pod with invalid DNS label: ${host}`));
    }
  }
  return errs;
}

function validateJobStatus(status: any): FieldError[] {
  if (!isObject(status)) return [];
  const errs: FieldError[] = [];
  for (const k of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...nonNegative(status[k], `status.${k}`));
  if (typeof status.ready === 'number' && status.ready > (status.active ?? 0)) {
    errs.push(field.invalid('status.ready', status.ready, 'cannot set more ready pods than active'));
  }
  return errs;
}

const conditionTrue = (o: KObject, type: string): boolean =>
  Array.isArray(statusOf(o).conditions) && statusOf(o).conditions.some((c: any) => c?.type === type && c?.status === 'True');

/** printJob's STATUS: the first of Complete, Failed, Terminating, Suspended, FailureTarget, else Running. */
function hasJobCondition(o: KObject, type: string): boolean {
  const c = (Array.isArray(statusOf(o).conditions) ? statusOf(o).conditions : []).find((x: any) => x?.type === type);
  return c?.status === 'True';
}
export function jobStatusText(o: KObject): string {
  if (hasJobCondition(o, 'Complete')) return 'Complete';
  if (hasJobCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(o, 'Suspended')) return 'Suspended';
  if (hasJobCondition(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletionsText(o: KObject): string {
  const spec = specOf(o); const succeeded = statusOf(o).succeeded ?? 0;
  if (spec.completions != null) return `${succeeded}/${spec.completions}`;
  const parallelism = spec.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KObject, now: Date): string {
  const st = statusOf(o);
  const start = typeof st.startTime === 'string' ? Date.parse(st.startTime) : NaN;
  if (Number.isNaN(start)) return '';
  const end = typeof st.completionTime === 'string' ? Date.parse(st.completionTime) : now.getTime();
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

export const jobStrategy: Strategy = {
  info: {
    group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', singular: 'job',
    namespaced: true, categories: ['all'], subresources: ['status'],
  },
  defaults: defaultJob,
  prepareForCreate(obj) {
    if (specOf(obj).manualSelector !== true) generateSelector(obj);
    resetStatusForCreate(obj);
  },
  prepareForUpdate(obj, old) { keepStatusBumpGeneration(obj, old); },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old); },
  validate(obj) { return validateJob(obj); },
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
    errs.push(...validateJobSpecUpdate(obj.spec, old.spec, old.status));
    return errs;
  },
  validateStatusUpdate(obj, old) {
    const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateJobStatus(obj.status)];
    for (const type of ['Complete', 'Failed', 'FailureTarget']) {
      if (conditionTrue(old, type) && !conditionTrue(obj, type)) {
        errs.push({ type: 'FieldValueInvalid', field: 'status.conditions', detail: `cannot disable the terminal ${type}=True condition`, value: '' });
      }
    }
    return errs;
  },
  tableColumns: [
    { name: 'Status', type: 'string', description: 'Status of the job.' },
    { name: 'Completions', type: 'string', description: 'Succeeded pods out of the wanted completions.' },
    { name: 'Duration', type: 'string', description: 'Time required to complete the job.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' },
    { name: 'Selector', type: 'string', priority: 1, description: 'Which pods the job owns.' },
  ],
  tableRow(obj, now) {
    const spec = specOf(obj);
    const [names, images] = containerCells(spec.template?.spec);
    return [jobStatusText(obj), jobCompletionsText(obj), jobDuration(obj, now), since(obj.metadata.creationTimestamp, now),
      names, images, formatLabelSelector(spec.selector)];
  },
  fieldSelectors: { 'status.successful': o => String(statusOf(o).succeeded ?? 0) },
  generationOnSpec: true,
};
