// batch/v1 CronJob: defaults (SetDefaults_CronJob), ValidateCronJobCreate/Update with the cron parser's messages,
// and printCronJob (SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE, wide CONTAINERS IMAGES SELECTOR).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  containerCells, ensureObject, formatLabelSelector, isObject, keepSpec, keepStatusBumpGeneration, nonNegative,
  resetStatusForCreate, since, specOf, statusOf,
} from '../apps/common';
import { validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';
import { defaultTemplate } from '../apps/workload';
import { cronScheduleError, isKnownTimeZone } from './cron';
import { validateJobSpecFields } from './jobspec';

export function defaultCronJob(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  // Only the pod template inside the job template is defaulted (it is not a Job, so no Job defaults).
  const jt = isObject(spec.jobTemplate) ? spec.jobTemplate : undefined;
  if (jt && isObject(jt.spec)) defaultTemplate(jt.spec.template);
}

const tzCharsRe = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  if (typeof tz !== 'string' || tz.length === 0) return [field.invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !tzCharsRe.test(part)) return [field.invalid(path, tz, `unknown time zone ${tz}`)];
  }
  if (tz.toLowerCase() === 'local') return [field.invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isKnownTimeZone(tz) ? [] : [field.invalid(path, tz, `unknown time zone ${tz}`)];
}

function validateCronJobSpec(spec: any, oldSpec: any, path = 'spec'): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs: FieldError[] = [];
  const sp = `${path}.schedule`;
  if (typeof spec.schedule !== 'string' || spec.schedule.length === 0) {
    errs.push(field.required(sp, ''));
  } else {
    const allowTZ = isObject(oldSpec) && typeof oldSpec.schedule === 'string' && oldSpec.schedule.includes('TZ');
    const parseErr = cronScheduleError(spec.schedule);
    if (parseErr) errs.push(field.invalid(sp, spec.schedule, parseErr));
    if (allowTZ && spec.schedule.includes('TZ') && spec.timeZone != null) {
      errs.push(field.invalid(sp, spec.schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && spec.schedule.includes('TZ')) {
      errs.push(field.invalid(sp, spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, `${path}.startingDeadlineSeconds`));
  if (!isObject(oldSpec) || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, `${path}.timeZone`));
  const cp = spec.concurrencyPolicy;
  if (cp === undefined || cp === null || cp === '') errs.push(field.required(`${path}.concurrencyPolicy`, ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(field.notSupported(`${path}.concurrencyPolicy`, cp, ['Allow', 'Forbid', 'Replace']));
  // ValidateJobTemplateSpec: the job's selector is always generated, so the template may not carry one.
  const jt = isObject(spec.jobTemplate) ? spec.jobTemplate : {};
  const jp = `${path}.jobTemplate.spec`;
  errs.push(...validateJobSpecFields(jt.spec, jp));
  if (isObject(jt.spec)) {
    if (jt.spec.selector != null) errs.push(field.invalid(`${jp}.selector`, jt.spec.selector, '`selector` will be auto-generated'));
    if (jt.spec.manualSelector === true) errs.push(field.notSupported(`${jp}.manualSelector`, true, ['nil', 'false']));
  }
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, `${path}.successfulJobsHistoryLimit`));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, `${path}.failedJobsHistoryLimit`));
  return errs;
}

/** Objects between prepareForCreate and validate: the create-only checks apply to them. */
const creating = new WeakSet<KObject>();

/** printBoolPtr. */
const boolPtr = (v: unknown) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : '<unset>');

export const cronJobStrategy: Strategy = {
  info: {
    group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', singular: 'cronjob',
    namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: ['status'],
  },
  defaults: defaultCronJob,
  prepareForCreate(obj) { resetStatusForCreate(obj); creating.add(obj); },
  prepareForUpdate(obj, old) { keepStatusBumpGeneration(obj, old); },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old); },
  validate(obj) {
    const errs = validateObjectMeta(obj.metadata, { namespaced: true });
    // The store also calls validate() on updates; the spec is then checked by validateUpdate against the old
    // spec (a TZ= schedule stored before is tolerated, an unchanged timeZone is not re-checked).
    if (!creating.has(obj)) return errs;
    creating.delete(obj);
    errs.push(...validateCronJobSpec(obj.spec, undefined));
    // The controller appends an 11-character suffix to job names, which are DNS labels of at most 63.
    if ((obj.metadata.name ?? '').length > 52) {
      errs.push(field.invalid('metadata.name', obj.metadata.name, 'must be no more than 52 characters'));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateCronJobSpec(obj.spec, old.spec)];
  },
  validateStatusUpdate(obj, old) { return validateObjectMetaUpdate(obj.metadata, old.metadata); },
  tableColumns: [
    { name: 'Schedule', type: 'string', description: 'Cron schedule.' },
    { name: 'Timezone', type: 'string', description: 'Time zone of the schedule.' },
    { name: 'Suspend', type: 'boolean', description: 'Whether new runs are paused.' },
    { name: 'Active', type: 'integer', description: 'Jobs running now.' },
    { name: 'Last Schedule', type: 'string', description: 'Time since the last run was started.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' },
    { name: 'Selector', type: 'string', priority: 1, description: 'Which pods the job owns.' },
  ],
  tableRow(obj, now) {
    const spec = specOf(obj); const st = statusOf(obj);
    const jobSpec = spec.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec);
    return [spec.schedule ?? '', spec.timeZone ?? '<none>', boolPtr(spec.suspend), Array.isArray(st.active) ? st.active.length : 0,
      st.lastScheduleTime ? since(st.lastScheduleTime, now) : '<none>', since(obj.metadata.creationTimestamp, now),
      names, images, formatLabelSelector(jobSpec?.selector)];
  },
  generationOnSpec: true,
};
