// events.k8s.io/v1 Event: the strict create validation of the new API (ValidateEventCreate for events.k8s.io/v1),
// update rules (ValidateEventUpdate) and the same table as core events (printEvent). The strategy sees the
// events.k8s.io/v1 form; the store converts to/from core v1 for storage with ./convert.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { deepEqual, isObject, since } from '../apps/common';
import { validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';
import { eventsV1ToCore, coreToEventsV1 } from './convert';

const noteMaxBytes = 1024;

function validateEventCreate(ev: KObject): FieldError[] {
  const errs = validateObjectMeta(ev.metadata, { namespaced: true });
  const ns = ev.metadata.namespace;
  const regarding = isObject(ev.regarding) ? ev.regarding : {};
  if (regarding.namespace && ns && regarding.namespace !== ns) {
    errs.push(field.invalid('regarding.namespace', regarding.namespace, 'does not match event.namespace'));
  }
  if (!ev.eventTime) errs.push(field.required('eventTime', ''));
  if (!ev.reportingController) errs.push(field.required('reportingController', ''));
  if (!ev.reportingInstance) errs.push(field.required('reportingInstance', ''));
  if (!ev.action) errs.push(field.required('action', ''));
  if (!ev.reason) errs.push(field.required('reason', ''));
  if (typeof ev.note === 'string' && Buffer.byteLength(ev.note) > noteMaxBytes) {
    errs.push(field.tooLong('note', '', noteMaxBytes));
  }
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(field.invalid('type', '', `has invalid value: ${ev.type ?? ''}`));
  if (ev.series != null) {
    if (!isObject(ev.series) || typeof ev.series.count !== 'number' || ev.series.count < 2) {
      errs.push(field.invalid('series.count', isObject(ev.series) ? ev.series.count ?? 0 : 0, 'should be at least 2'));
    }
    if (!isObject(ev.series) || !ev.series.lastObservedTime) errs.push(field.required('series.lastObservedTime', ''));
  }
  for (const [k, label] of [['deprecatedFirstTimestamp', ''], ['deprecatedLastTimestamp', ''], ['deprecatedCount', '']] as const) {
    if (ev[k] != null && ev[k] !== 0) errs.push(field.invalid(k, label, 'needs to be unset'));
  }
  if (isObject(ev.deprecatedSource) && (ev.deprecatedSource.component || ev.deprecatedSource.host)) {
    errs.push(field.invalid('deprecatedSource', '', 'needs to be unset'));
  }
  return errs;
}

/** Everything but series, and the metadata a controller may touch, is fixed once written. */
function validateEventUpdate(ev: KObject, old: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ev.metadata, old.metadata);
  for (const k of ['action', 'reason', 'regarding', 'related', 'note', 'type', 'eventTime', 'reportingController', 'reportingInstance',
    'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount']) {
    if (!deepEqual(ev[k], old[k])) errs.push(field.invalid(k, ev[k] ?? null, 'field is immutable'));
  }
  return errs;
}

/** Columns of printEvent: kubectl shows them in this order, NAME last (wide). */
export const eventColumns: TableColumn[] = [
  { name: 'Last Seen', type: 'string', description: 'When the event was last observed.' },
  { name: 'Type', type: 'string', description: 'Normal or Warning.' },
  { name: 'Reason', type: 'string', description: 'Short machine-readable reason.' },
  { name: 'Object', type: 'string', description: 'The object the event is about.' },
  { name: 'Subobject', type: 'string', priority: 1, description: 'Field path inside the object.' },
  { name: 'Source', type: 'string', priority: 1, description: 'Component (and host) that reported it.' },
  { name: 'Message', type: 'string', description: 'Human-readable description.' },
  { name: 'First Seen', type: 'string', priority: 1, description: 'When the event was first observed.' },
  { name: 'Count', type: 'string', priority: 1, description: 'How often it occurred.' },
  { name: 'Name', type: 'string', priority: 1, format: 'name', description: 'Name of the event object.' },
];

const microSince = (ts: unknown, now: Date) => (ts ? since(ts, now) : '<unknown>');

/** printEvent's cells, from the events.k8s.io/v1 form. */
export function eventRow(ev: KObject, now: Date): unknown[] {
  const first = ev.deprecatedFirstTimestamp ? since(ev.deprecatedFirstTimestamp, now) : microSince(ev.eventTime, now);
  let last = ev.deprecatedLastTimestamp ? since(ev.deprecatedLastTimestamp, now) : first;
  let count = typeof ev.deprecatedCount === 'number' ? ev.deprecatedCount : 0;
  if (isObject(ev.series)) {
    last = microSince(ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (count === 0) {
    count = 1; // singleton events carry no count in the new API
  }
  const reg = isObject(ev.regarding) ? ev.regarding : {};
  const kind = String(reg.kind ?? '').toLowerCase();
  const target = reg.name ? `${kind}/${reg.name}` : kind;
  const src = isObject(ev.deprecatedSource) ? ev.deprecatedSource : {};
  const component = src.component || ev.reportingController || '';
  const host = src.host || ev.reportingInstance || '';
  return [last, ev.type ?? '', ev.reason ?? '', target, reg.fieldPath ?? '', host ? `${component}, ${host}` : component,
    String(ev.note ?? '').trim(), first, count, ev.metadata.name ?? ''];
}

export const eventsV1Strategy: Strategy & { tableIncludesName: true } = {
  info: {
    group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true,
    shortNames: ['ev'], etcdPrefix: '/registry/events',
  },
  validate: validateEventCreate,
  validateUpdate: validateEventUpdate,
  tableColumns: eventColumns,
  tableRow: eventRow,
  /** The table already has NAME (last, wide), as upstream: the store must not prepend one. */
  tableIncludesName: true,
  storageConversion: { toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 },
  allowCreateOnUpdate: true,
  ttlSeconds: 3600, // same storage as core events
};

