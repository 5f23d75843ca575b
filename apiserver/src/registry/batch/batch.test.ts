import { fieldErrorString, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { batchStrategies, cronJobStrategy, cronScheduleError, jobStrategy } from './index';

const msgs = (errs: FieldError[]) => errs.map(fieldErrorString);
const now = new Date('2024-01-01T01:00:00Z');
const podTemplate = (restartPolicy?: string) => ({ spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'pi', image: 'perl:5.34' }] } });
function job(spec: Record<string, unknown> = {}, name = 'pi'): KObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' }, spec: { template: podTemplate('Never'), ...spec } };
}
/** The store's create order: defaults, uid/timestamps, prepareForCreate, validate. */
function create(s: Strategy, obj: KObject): FieldError[] {
  s.defaults?.(obj);
  obj.metadata.uid = 'uid-1';
  obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  s.prepareForCreate?.(obj);
  return s.validate(obj);
}

describe('jobs', () => {
  test('defaults as upstream', () => {
    const j = job();
    jobStrategy.defaults!(j);
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed' });
    const wq = job({ parallelism: 3 });
    jobStrategy.defaults!(wq);
    expect(wq.spec.completions).toBeUndefined();
    expect(wq.spec.parallelism).toBe(3);
  });

  test('create generates the selector and labels (also on the Job when it shares the template labels)', () => {
    const j = job({ template: { metadata: { labels: { app: 'pi' } }, spec: podTemplate('OnFailure').spec } });
    expect(create(jobStrategy, j)).toEqual([]);
    expect(j.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
    expect(j.spec.template.metadata.labels).toEqual({ app: 'pi', 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'uid-1', 'batch.kubernetes.io/controller-uid': 'uid-1' });
    expect(j.metadata.labels).toEqual(j.spec.template.metadata.labels);
    expect(j.metadata.generation).toBe(1);
    expect(j.status).toEqual({});
  });

  test('manual selector is kept and must match the template', () => {
    const j = job({ manualSelector: true, selector: { matchLabels: { a: 'b' } } });
    expect(msgs(create(jobStrategy, j))).toEqual([expect.stringMatching(/^spec\.template\.metadata\.labels: Invalid value: .*: `selector` does not match template `labels`$/)]);
    const missing = job({ manualSelector: true });
    expect(msgs(create(jobStrategy, missing))).toEqual(['spec.selector: Required value']);
  });

  test('a wrong generated label is rejected', () => {
    const j = job({ template: { metadata: { labels: { 'controller-uid': 'other' } }, spec: podTemplate('Never').spec } });
    expect(msgs(create(jobStrategy, j))).toEqual([expect.stringMatching(/^spec\.template\.metadata\.labels\[controller-uid\]: Invalid value: .*: must be 'uid-1'$/)]);
  });

  test('restartPolicy must be OnFailure or Never', () => {
    expect(msgs(create(jobStrategy, job({ template: podTemplate() })))).toEqual(['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
    expect(msgs(create(jobStrategy, job({ template: podTemplate('Sometimes') })))).toContain('spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"');
  });

  test('negative counts and a bad podReplacementPolicy', () => {
    expect(msgs(create(jobStrategy, job({ backoffLimit: -1, parallelism: -2 })))).toEqual([
      'spec.parallelism: Invalid value: -2: must be greater than or equal to 0', 'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0']);
    expect(msgs(create(jobStrategy, job({ podReplacementPolicy: 'Sometimes' })))).toEqual(['spec.podReplacementPolicy: Unsupported value: "Sometimes": supported values: "Failed", "TerminatingOrFailed"']);
  });

  test('update: template and completions immutable; status kept; generation bumps on spec change', () => {
    const old = job(); create(jobStrategy, old); old.status = { active: 1 };
    const upd = JSON.parse(JSON.stringify(old));
    upd.spec.template.spec.containers[0].image = 'perl:6'; upd.spec.completions = 3; upd.status = {};
    jobStrategy.prepareForUpdate!(upd, old);
    expect(upd.status).toEqual({ active: 1 });
    expect(upd.metadata.generation).toBe(2);
    expect(jobStrategy.validateUpdate!(upd, old).map(e => e.field)).toEqual(['spec.completions', 'spec.template']);
    const suspendedScheduling = job({ suspend: true }); create(jobStrategy, suspendedScheduling);
    const moved = JSON.parse(JSON.stringify(suspendedScheduling)); moved.spec.template.spec.nodeSelector = { zone: 'a' };
    expect(jobStrategy.validateUpdate!(moved, suspendedScheduling)).toEqual([]);
    const parallel = JSON.parse(JSON.stringify(old)); parallel.spec.parallelism = 5;
    expect(jobStrategy.validateUpdate!(parallel, old)).toEqual([]);
  });

  test('table row, status column and field selector', () => {
    const j = job(); create(jobStrategy, j);
    j.status = { succeeded: 1, startTime: '2024-01-01T00:00:00Z', completionTime: '2024-01-01T00:00:07Z',
      conditions: [{ type: 'Complete', status: 'True' }] };
    expect(jobStrategy.tableColumns!.map(c => c.name)).toEqual(['Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
    expect(jobStrategy.tableRow!(j, now)).toEqual(['Complete', '1/1', '7s', '60m', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=uid-1']);
    const running = job({ parallelism: 2 }); create(jobStrategy, running);
    running.status = { startTime: '2024-01-01T00:50:00Z' };
    expect(jobStrategy.tableRow!(running, now).slice(0, 3)).toEqual(['Running', '0/1 of 2', '10m']);
    expect(jobStrategy.fieldSelectors!['status.successful'](j)).toBe('1');
  });
});

describe('cron schedule parser', () => {
  test.each(['*/5 * * * *', '0 0 1 jan,jul *', '15 2 * * MON-FRI', '@hourly', '@every 1h30m', '0 0 ? * 0'])('accepts %s', s => {
    expect(cronScheduleError(s)).toBeUndefined();
  });
  test.each([
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['5-2 * * * *', 'beginning of range (5) beyond end of range (2): 5-2'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every 5', 'failed to parse duration @every 5: time: missing unit in duration "5"'],
  ])('rejects %s', (s, msg) => {
    expect(cronScheduleError(s)).toBe(msg);
  });
});

describe('cronjobs', () => {
  const cj = (spec: Record<string, unknown> = {}, name = 'hello'): KObject => ({
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: podTemplate('OnFailure') } }, ...spec },
  });
  test('defaults and a valid cronjob', () => {
    const c = cj();
    expect(create(cronJobStrategy, c)).toEqual([]);
    expect(c.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(c.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
    expect(c.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
  });
  test('bad schedule, TZ in schedule, unknown timeZone, long name, template selector', () => {
    expect(msgs(create(cronJobStrategy, cj({ schedule: '* * *' })))).toEqual(['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]']);
    expect(msgs(create(cronJobStrategy, cj({ schedule: 'TZ=UTC * * * * *' })))).toEqual(['spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
    expect(msgs(create(cronJobStrategy, cj({ timeZone: 'Mars/Olympus' })))).toEqual(['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
    expect(create(cronJobStrategy, cj({ timeZone: 'Europe/Berlin' }))).toEqual([]);
    expect(msgs(create(cronJobStrategy, cj({}, 'x'.repeat(53))))).toContain(`metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`);
    const sel = cj({ jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: podTemplate('Never') } } });
    expect(create(cronJobStrategy, sel).map(e => e.field)).toEqual(['spec.jobTemplate.spec.selector']);
    expect(msgs(create(cronJobStrategy, cj({ jobTemplate: { spec: { template: podTemplate() } } })))).toEqual(['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  });
  test('update keeps a legacy TZ schedule valid and revalidates a changed one', () => {
    const old = cj({ schedule: 'TZ=UTC */5 * * * *' }); cronJobStrategy.defaults!(old);
    const same = JSON.parse(JSON.stringify(old)); same.spec.suspend = true;
    expect([...cronJobStrategy.validate(same), ...cronJobStrategy.validateUpdate!(same, old)]).toEqual([]);
    const plain = cj(); create(cronJobStrategy, plain);
    const bad = JSON.parse(JSON.stringify(plain)); bad.spec.schedule = '99 * * * *';
    expect(msgs([...cronJobStrategy.validate(bad), ...cronJobStrategy.validateUpdate!(bad, plain)])).toEqual(['spec.schedule: Invalid value: "99 * * * *": end of range (99) above maximum (59): 99']);
  });
  test('table row', () => {
    const c = cj({ timeZone: 'Etc/UTC' }); create(cronJobStrategy, c);
    c.status = { active: [{ name: 'hello-1' }], lastScheduleTime: '2024-01-01T00:59:00Z' };
    expect(cronJobStrategy.tableRow!(c, now)).toEqual(['*/1 * * * *', 'Etc/UTC', 'False', 1, '60s', '60m', 'pi', 'perl:5.34', '<none>']);
  });
});

test('group info', () => {
  expect(batchStrategies.map(s => [s.info.resource, s.info.shortNames, s.info.categories, s.info.subresources])).toEqual([
    ['jobs', undefined, ['all'], ['status']], ['cronjobs', ['cj'], ['all'], ['status']]]);
});
