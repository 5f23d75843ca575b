import { fieldErrorString } from '@mk8s/apimachinery';
import { leaseStrategy } from './index';

test('lease validation and table', () => {
  const l = { metadata: { name: 'node1', namespace: 'kube-node-lease', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { holderIdentity: 'node1', leaseDurationSeconds: 40, renewTime: '2024-01-01T00:00:10.000000Z' } };
  expect(leaseStrategy.validate(l)).toEqual([]);
  const bad = { ...l, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } };
  expect(leaseStrategy.validate(bad).map(fieldErrorString)).toEqual(['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0', 'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0']);
  expect(leaseStrategy.tableRow!(l, new Date('2024-01-01T00:01:00Z'))).toEqual(['node1', '60s']);
  expect(leaseStrategy.tableRow!({ metadata: { name: 'x' } }, new Date())).toEqual(['', '<unknown>']);
});
