import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { coreToEventsV1, eventsV1Strategy, eventsV1ToCore } from './index';

const now = new Date('2024-01-01T01:00:00Z');
const ev = (): KObject => ({ apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'default' },
  eventTime: '2024-01-01T00:59:00.000000Z', reportingController: 'kubelet', reportingInstance: 'node1', action: 'Pulling',
  reason: 'Pulling', type: 'Normal', note: 'Pulling image "nginx" ', regarding: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{web}' } });

test('valid event passes; strict create rules of the new API', () => {
  expect(eventsV1Strategy.validate(ev())).toEqual([]);
  const bad = ev(); delete bad.eventTime; bad.type = 'Info'; bad.deprecatedCount = 3;
  expect(eventsV1Strategy.validate(bad).map(fieldErrorString)).toEqual([
    'eventTime: Required value', 'type: Invalid value: "": has invalid value: Info', 'deprecatedCount: Invalid value: "": needs to be unset']);
  const other = ev(); other.regarding.namespace = 'kube-system';
  expect(eventsV1Strategy.validate(other).map(e => e.field)).toEqual(['regarding.namespace']);
});

test('update: only series may change', () => {
  const old = ev();
  const upd = ev(); upd.series = { count: 2, lastObservedTime: '2024-01-01T00:59:30.000000Z' };
  expect(eventsV1Strategy.validateUpdate!(upd, old)).toEqual([]);
  const changed = ev(); changed.note = 'other';
  expect(eventsV1Strategy.validateUpdate!(changed, old).map(e => e.field)).toEqual(['note']);
});

test('conversion to the core form and back', () => {
  const core = eventsV1ToCore(ev());
  expect(core).toMatchObject({ apiVersion: 'v1', message: 'Pulling image "nginx" ', reportingComponent: 'kubelet', involvedObject: { kind: 'Pod', name: 'web' } });
  expect(core.note).toBeUndefined();
  expect(coreToEventsV1(core)).toEqual(ev());
  const legacy: KObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'x', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' },
    reason: 'Starting', message: 'Starting kubelet.', source: { component: 'kubelet', host: 'n1' }, firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:30:00Z', count: 4, type: 'Normal' };
  const asNew = coreToEventsV1(legacy);
  expect(asNew).toMatchObject({ regarding: { kind: 'Node', name: 'n1' }, note: 'Starting kubelet.', deprecatedSource: { component: 'kubelet', host: 'n1' },
    deprecatedCount: 4, deprecatedFirstTimestamp: '2024-01-01T00:00:00Z' });
  expect(eventsV1ToCore(asNew)).toEqual(legacy);
});

test('table like core events, NAME last', () => {
  expect(eventsV1Strategy.tableColumns!.map(c => c.name)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
  expect(eventsV1Strategy.tableRow!(ev(), now)).toEqual(['60s', 'Normal', 'Pulling', 'pod/web', 'spec.containers{web}', 'kubelet, node1', 'Pulling image "nginx"', '60s', 1, 'web.1']);
  expect(eventsV1Strategy.info.etcdPrefix).toBe('/registry/events');
});
