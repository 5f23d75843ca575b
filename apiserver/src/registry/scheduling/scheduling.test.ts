import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { priorityClassStrategy as pc, systemPriorityClasses } from './index';

const make = (name: string, value?: number, extra: Record<string, unknown> = {}): KObject =>
  ({ metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z' }, ...(value === undefined ? {} : { value }), ...extra });

test('defaults, value required, reserved prefix, user maximum', () => {
  const p = make('high', 1000); pc.defaults!(p);
  expect(p.preemptionPolicy).toBe('PreemptLowerPriority');
  expect(pc.validate(p)).toEqual([]);
  expect(pc.validate(make('novalue')).map(fieldErrorString)).toEqual(['value: Required value']);
  expect(pc.validate(make('system-mine', 5)).map(fieldErrorString)).toEqual(["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"]);
  expect(pc.validate(make('huge', 2000000000)).map(fieldErrorString)).toEqual(['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
  for (const s of systemPriorityClasses) expect(pc.validate(JSON.parse(JSON.stringify(s)))).toEqual([]);
  expect(systemPriorityClasses.map(s => [s.metadata.name, s.value])).toEqual([['system-node-critical', 2000001000], ['system-cluster-critical', 2000000000]]);
});

test('value and preemptionPolicy immutable; table', () => {
  const old = make('high', 1000); pc.defaults!(old);
  const upd = make('high', 1001, { preemptionPolicy: 'Never' });
  expect(pc.validateUpdate!(upd, old).map(fieldErrorString)).toEqual(['value: Forbidden: may not be changed in an update.', 'preemptionPolicy: Invalid value: "Never": field is immutable']);
  expect(pc.tableRow!(old, new Date('2024-01-01T00:00:30Z'))).toEqual([1000, false, '30s', 'PreemptLowerPriority']);
  expect(pc.info.namespaced).toBe(false);
});
