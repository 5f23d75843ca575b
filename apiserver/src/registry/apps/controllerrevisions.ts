// apps/v1 ControllerRevision (history of DaemonSets/StatefulSets): ValidateControllerRevision(+Update) and
// printControllerRevision (CONTROLLER REVISION AGE).
import { field } from '@mk8s/apimachinery';
import type { Strategy } from '../strategy';
import { immutable, isObject, nonNegative, since } from './common';
import { validateObjectMeta, validateObjectMetaUpdate } from './deps';

/** formatResourceName of the controller ref: `daemonset.apps/name`, `<none>` without a controller. */
export function controllerName(ownerReferences: unknown): string {
  const refs = Array.isArray(ownerReferences) ? ownerReferences : [];
  const ref = refs.find((r: any) => isObject(r) && r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = String(ref.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = String(ref.kind ?? '');
  if (!kind && !group) return String(ref.name ?? '');
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${ref.name ?? ''}`;
}

export const controllerRevisionStrategy: Strategy = {
  info: {
    group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', singular: 'controllerrevision',
    namespaced: true,
  },
  validate(obj) {
    const errs = validateObjectMeta(obj.metadata, { namespaced: true });
    if (obj.data === undefined || obj.data === null) errs.push(field.required('data', 'data is mandatory'));
    errs.push(...nonNegative(obj.revision, 'revision'));
    return errs;
  },
  validateUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...immutable(obj.data, old.data, 'data')];
  },
  tableColumns: [
    { name: 'Controller', type: 'string', description: 'Controller of the object' },
    { name: 'Revision', type: 'string', description: 'Revision number of the stored state.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
  ],
  tableRow(obj, now) {
    return [controllerName(obj.metadata.ownerReferences), obj.revision ?? 0, since(obj.metadata.creationTimestamp, now)];
  },
};
