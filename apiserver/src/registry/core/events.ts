// core/v1 Events: legacyValidateEvent (namespace agreement; reporting fields for new-style events), the event
// field selectors, and printEvent for `kubectl get events` (LAST SEEN TYPE REASON OBJECT MESSAGE).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy, TableColumn } from '../strategy';
import { formatAge } from '../printers';
import { isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation';
import { coreInfo, isObj } from './util';

const involved = (e: KObject): Record<string, any> => (isObj(e.involvedObject) ? e.involvedObject : {});
const mismatch = (e: KObject) => field.invalid('involvedObject.namespace', involved(e).namespace ?? '', 'does not match event.namespace');

function validate(e: KObject): FieldError[] {
  const errs = validateObjectMeta(e.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const ns = e.metadata.namespace ?? '';
  const objNs = involved(e).namespace ?? '';
  if (!e.eventTime) {
    if (!objNs) { if (ns !== '' && ns !== 'default') errs.push(mismatch(e)); }
    else if (ns !== objNs) errs.push(mismatch(e));
  } else {
    if (!objNs && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch(e));
    if (!e.reportingComponent) errs.push(field.required('reportingController', ''));
    else for (const m of isQualifiedName(String(e.reportingComponent))) errs.push(field.invalid('reportingController', e.reportingComponent, m));
    if (!e.reportingInstance) errs.push(field.required('reportingInstance', ''));
    else if (String(e.reportingInstance).length > 128) errs.push(field.invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!e.action) errs.push(field.required('action', ''));
    else if (String(e.action).length > 128) errs.push(field.invalid('action', '', 'can have at most 128 characters'));
    if (!e.reason) errs.push(field.required('reason', ''));
    else if (String(e.reason).length > 128) errs.push(field.invalid('reason', '', 'can have at most 128 characters'));
    if (typeof e.message === 'string' && e.message.length > 1024) errs.push(field.invalid('message', '', 'can have at most 1024 characters'));
  }
  if (ns) for (const m of isDNS1123Subdomain(ns)) errs.push(field.invalid('namespace', ns, m));
  return errs;
}

const source = (e: KObject) => (isObj(e.source) && e.source.component) || e.reportingComponent || '';

export const eventColumns: TableColumn[] = [
  { name: 'Last Seen', type: 'string', description: 'The time at which the most recent occurrence of this event was recorded.' },
  { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning), new types could be added in the future' },
  { name: 'Reason', type: 'string', description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status." },
  { name: 'Object', type: 'string', description: 'The object that this event is about.' },
  { name: 'Subobject', type: 'string', priority: 1, description: 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go-field access statement.' },
  { name: 'Source', type: 'string', priority: 1, description: 'The component reporting this event. Should be a short machine understandable string.' },
  { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.' },
  { name: 'First Seen', type: 'string', priority: 1, description: 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)' },
  { name: 'Count', type: 'string', priority: 1, description: 'The number of times this event has occurred.' },
  // Upstream puts the event's name last (wide only); the table writer should not add its own NAME column here.
  { name: 'Name', type: 'string', format: 'name', priority: 1, description: 'Name must be unique within a namespace.' },
];

export function eventRow(e: KObject, now: Date): unknown[] {
  const first = e.firstTimestamp ? formatAge(e.firstTimestamp, now) : formatAge(e.eventTime, now);
  let last = e.lastTimestamp ? formatAge(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (isObj(e.series)) { last = formatAge(e.series.lastObservedTime, now); count = e.series.count ?? 0; }
  else if (!count) count = 1;
  const obj = involved(e);
  const target = obj.name ? `${String(obj.kind ?? '').toLowerCase()}/${obj.name}` : String(obj.kind ?? '').toLowerCase();
  const host = (isObj(e.source) && e.source.host) || e.reportingInstance || '';
  const src = host ? `${source(e)}, ${host}` : source(e);
  return [last, e.type ?? '', e.reason ?? '', target, obj.fieldPath ?? '', src, String(e.message ?? '').trim(), first, count, e.metadata.name];
}

export const eventStrategy: Strategy = {
  info: coreInfo({ resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] }),
  validate,
  validateUpdate: (e, old) => validateObjectMetaUpdate(e.metadata, old.metadata),
  tableColumns: eventColumns,
  tableRow: eventRow,
  fieldSelectors: {
    'involvedObject.kind': o => involved(o).kind ?? '',
    'involvedObject.namespace': o => involved(o).namespace ?? '',
    'involvedObject.name': o => involved(o).name ?? '',
    'involvedObject.uid': o => involved(o).uid ?? '',
    'involvedObject.apiVersion': o => involved(o).apiVersion ?? '',
    'involvedObject.resourceVersion': o => involved(o).resourceVersion ?? '',
    'involvedObject.fieldPath': o => involved(o).fieldPath ?? '',
    reason: o => o.reason ?? '',
    reportingComponent: o => o.reportingComponent ?? '',
    source,
    type: o => o.type ?? '',
  },
  allowCreateOnUpdate: true,
  ttlSeconds: 3600, // upstream --event-ttl
};
