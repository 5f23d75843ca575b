import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { endpointSliceStrategy as eps } from './index';

const make = (extra: Record<string, unknown> = {}): KObject => ({ metadata: { name: 'web-abc', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }], ports: [{ port: 80 }], ...extra });

test('defaults and validation', () => {
  const e = make(); eps.defaults!(e);
  expect(e.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }]);
  expect(eps.validate(e)).toEqual([]);
  expect(eps.validate(make({ addressType: undefined })).map(fieldErrorString)).toContain('addressType: Required value');
  const ipx = make({ addressType: 'IPX' }); eps.defaults!(ipx);
  expect(eps.validate(ipx).map(fieldErrorString)).toEqual(['addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"']);
  const noAddr = make({ endpoints: [{ addresses: [] }, { addresses: ['300.1.1.1'] }] }); eps.defaults!(noAddr);
  expect(eps.validate(noAddr).map(fieldErrorString)).toEqual(['endpoints[0].addresses: Required value: must contain at least 1 address', 'endpoints[1].addresses[0]: Invalid value: "300.1.1.1": must be a valid IPv4 address']);
  expect(eps.validateUpdate!(make({ addressType: 'IPv6' }), make()).map(e => e.field)).toEqual(['addressType']);
});

test('table row', () => {
  const e = make({ endpoints: ['1', '2', '3', '4', '5'].map(i => ({ addresses: [`10.0.0.${i}`] })) }); eps.defaults!(e);
  expect(eps.tableRow!(e, new Date('2024-01-01T00:00:05Z'))).toEqual(['IPv4', '80', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...', '5s']);
  expect(eps.tableRow!(make({ ports: [], endpoints: [] }), new Date('2024-01-01T00:00:05Z')).slice(1, 3)).toEqual(['<unset>', '<unset>']);
});
