// Job spec defaults and validation shared by Jobs and CronJob job templates (pkg/apis/batch/v1/defaults.go,
// pkg/apis/batch/validation validateJobSpec / ValidateJobSpecUpdate).
import { field, type FieldError } from '@mk8s/apimachinery';
import { clone, deepEqual, immutable, isObject, nonNegative } from '../apps/common';
import { validatePodTemplateSpec } from '../apps/deps';

const maxParallelismForIndexedJob = 100000;

/** SetDefaults_Job's spec part (labels copying is the Job's own). */
export function defaultJobSpec(spec: Record<string, any>): void {
  if (spec.completions == null && spec.parallelism == null) { spec.completions = 1; spec.parallelism = 1; }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed';
  spec.manualSelector ??= false;
}

/** validateJobSpec: counts, completion mode, replacement policy, pod template, restart policy. */
export function validateJobSpecFields(spec: any, path: string): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...nonNegative(spec[k], `${path}.${k}`));
  }
  if (spec.maxFailedIndexes != null && spec.backoffLimitPerIndex == null) {
    errs.push(field.required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  const mode = spec.completionMode;
  if (mode != null && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push(field.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed') {
    if (spec.completions == null) errs.push(field.required(`${path}.completions`, 'when completion mode is Indexed'));
    if (typeof spec.parallelism === 'number' && spec.parallelism > maxParallelismForIndexedJob) {
      errs.push(field.invalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
    }
  } else {
    if (spec.backoffLimitPerIndex != null) errs.push(field.invalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (spec.maxFailedIndexes != null) errs.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, 'requires indexed completion mode'));
  }
  const prp = spec.podReplacementPolicy;
  if (prp != null) {
    if (spec.podFailurePolicy != null) {
      if (prp !== 'Failed') errs.push(field.notSupported(`${path}.podReplacementPolicy`, prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(field.notSupported(`${path}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const rp = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec.restartPolicy : undefined;
  const rpPath = `${path}.template.spec.restartPolicy`;
  // The pod defaults turn an unset restartPolicy into Always, so both mean "not chosen".
  if (rp === 'Always' || rp === undefined || rp === null || rp === '') {
    errs.push(field.required(rpPath, 'valid values: "OnFailure", "Never"'));
  } else if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(field.notSupported(rpPath, rp, ['OnFailure', 'Never']));
  } else if (spec.podFailurePolicy != null && rp !== 'Never') {
    errs.push(field.invalid(rpPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

/** ValidateJobSpecUpdate's immutability rules (template mutable only in a few scheduling fields, while suspended). */
export function validateJobSpecUpdate(spec: any, old: any, oldStatus: any, path = 'spec'): FieldError[] {
  const s = isObject(spec) ? spec : {}; const o = isObject(old) ? old : {};
  const errs: FieldError[] = [];
  if (s.completionMode === 'Indexed') {
    if (!deepEqual(s.completions, o.completions) && s.completions != null && s.completions !== s.parallelism) {
      errs.push(field.invalid(`${path}.completions`, s.completions, `can only be modified in tandem with ${path}.parallelism`));
    }
  } else {
    errs.push(...immutable(s.completions, o.completions, `${path}.completions`));
  }
  errs.push(...immutable(s.selector, o.selector, `${path}.selector`));
  let oldTemplate = o.template;
  const suspendedNeverStarted = o.suspend === true && !(isObject(oldStatus) && oldStatus.startTime);
  if (suspendedNeverStarted && isObject(oldTemplate) && isObject(s.template)) {
    // Scheduling directives may change on a suspended Job that never started.
    oldTemplate = clone(oldTemplate);
    const nt = s.template; const ns = isObject(nt.spec) ? nt.spec : {};
    oldTemplate.spec = isObject(oldTemplate.spec) ? oldTemplate.spec : {};
    for (const k of ['nodeSelector', 'tolerations', 'schedulingGates']) oldTemplate.spec[k] = ns[k];
    const oa = oldTemplate.spec.affinity;
    if (!isObject(ns.affinity) && isObject(oa)) {
      const rest = { ...oa }; delete rest.nodeAffinity;
      oldTemplate.spec.affinity = Object.keys(rest).length === 0 ? ns.affinity : rest;
    } else if (isObject(ns.affinity)) {
      oldTemplate.spec.affinity = { ...(isObject(oa) ? oa : {}), nodeAffinity: ns.affinity.nodeAffinity };
      if (ns.affinity.nodeAffinity === undefined) delete oldTemplate.spec.affinity.nodeAffinity;
    }
    oldTemplate.metadata = { ...(oldTemplate.metadata ?? {}), labels: nt.metadata?.labels, annotations: nt.metadata?.annotations };
  }
  errs.push(...immutable(s.template, oldTemplate, `${path}.template`));
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...immutable(s[k], o[k], `${path}.${k}`));
  }
  return errs;
}
