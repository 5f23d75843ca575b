import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { storageClassStrategy as sc } from './index';

const make = (extra: Record<string, unknown> = {}): KObject => ({ metadata: { name: 'standard', creationTimestamp: '2024-01-01T00:00:00Z' }, provisioner: 'rancher.io/local-path', ...extra });

test('defaults, provisioner required, enums', () => {
  const s = make(); sc.defaults!(s);
  expect([s.reclaimPolicy, s.volumeBindingMode]).toEqual(['Delete', 'Immediate']);
  expect(sc.validate(s)).toEqual([]);
  const none = make({ provisioner: undefined }); sc.defaults!(none);
  expect(sc.validate(none).map(fieldErrorString)).toEqual(['provisioner: Required value']);
  const bad = make({ reclaimPolicy: 'Recycle' }); sc.defaults!(bad);
  expect(sc.validate(bad).map(fieldErrorString)).toEqual(['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"']);
});

test('parameters and provisioner immutable; default class NAME suffix; row', () => {
  const old = make({ parameters: { type: 'ssd' } }); sc.defaults!(old);
  const upd = make({ parameters: { type: 'hdd' }, provisioner: 'other.io/x' }); sc.defaults!(upd);
  expect(sc.validateUpdate!(upd, old).map(fieldErrorString)).toEqual(['parameters: Forbidden: updates to parameters are forbidden.', 'provisioner: Forbidden: updates to provisioner are forbidden.']);
  old.metadata.annotations = { 'storageclass.kubernetes.io/is-default-class': 'true' };
  expect(sc.tableName(old)).toBe('standard (default)');
  expect(sc.tableRow!(old, new Date('2024-01-01T00:10:00Z'))).toEqual(['rancher.io/local-path', 'Delete', 'Immediate', false, '10m']);
  expect(sc.info.shortNames).toEqual(['sc']);
});
