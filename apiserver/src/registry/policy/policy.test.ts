import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { podDisruptionBudgetStrategy as pdb } from './index';

const now = new Date('2024-01-01T01:00:00Z');
const make = (spec: Record<string, unknown>): KObject => ({ metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });

test('minAvailable xor maxUnavailable, percent checks', () => {
  expect(pdb.validate(make({ minAvailable: 1 }))).toEqual([]);
  expect(pdb.validate(make({ minAvailable: 1, maxUnavailable: '10%' })).map(e => e.field)).toEqual(['spec']);
  expect(pdb.validate(make({ maxUnavailable: '150%' })).map(fieldErrorString)).toEqual(['spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%']);
  expect(pdb.validate(make({ minAvailable: -1 })).map(fieldErrorString)).toEqual(['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
});

test('create resets status; status update keeps spec; table row', () => {
  const p = make({ minAvailable: '50%' }); p.status = { disruptionsAllowed: 9 };
  pdb.prepareForCreate!(p);
  expect(p.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  const upd = JSON.parse(JSON.stringify(p)); upd.spec.minAvailable = 3; upd.status = { disruptionsAllowed: 1 };
  pdb.prepareForStatusUpdate!(upd, p);
  expect(upd.spec.minAvailable).toBe('50%');
  expect(pdb.tableRow!(upd, now)).toEqual(['50%', 'N/A', 1, '60m']);
  expect(pdb.info.shortNames).toEqual(['pdb']);
});
