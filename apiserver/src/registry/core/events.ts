// core/v1 Events: legacyValidateEvent (namespace agreement; reporting fields for new-style events), the event
// field selectors, and printEvent for `kubectl get events` (LAST SEEN TYPE REASON OBJECT MESSAGE).
import { field, type FieldError } from '@mk8s/apimachinery';
import { eventColumns } from '../events/events';
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

// The same columns as events.k8s.io/v1 (one storage, one printer): NAME last, wide only.
export { eventColumns };

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
