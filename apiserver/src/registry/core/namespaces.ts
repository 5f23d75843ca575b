// Namespaces: upstream pkg/registry/core/namespace/strategy.go (the `kubernetes` finalizer and phase Active on
// create, spec and status kept on update) and SetDefaults_Namespace (the kubernetes.io/metadata.name label).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import { isQualifiedName, nameIsDNSLabel, validateObjectMeta, validateObjectMetaUpdate } from '../validation';
import { clone, coreInfo, isObj, specOf, statusOf } from './util';

const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function defaults(ns: KObject): void {
  if (ns.metadata.name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns.metadata.name };
  if (!isObj(ns.status)) ns.status = {};
  ns.status.phase ||= 'Active';
}

function prepareForCreate(ns: KObject): void {
  ns.status = { phase: 'Active' };
  if (!isObj(ns.spec)) ns.spec = {};
  const fins: unknown[] = Array.isArray(ns.spec.finalizers) ? ns.spec.finalizers : [];
  if (!fins.includes('kubernetes')) ns.spec.finalizers = [...fins, 'kubernetes'];
}

function prepareForUpdate(ns: KObject, old: KObject): void {
  // Finalizers change only through /finalize, phase only through /status.
  ns.spec = clone(old.spec ?? {});
  ns.status = clone(old.status ?? {});
}

/** ValidateFinalizerName of core: qualified, and either standard or prefixed with a domain. */
export function validateNamespaceFinalizers(fins: unknown, path: string): FieldError[] {
  if (fins === undefined || fins === null) return [];
  if (!Array.isArray(fins)) return [field.invalid(path, fins, 'must be a list of strings')];
  const errs: FieldError[] = [];
  fins.forEach((f, i) => {
    const p = `${path}[${i}]`;
    const s = String(f);
    const msgs = isQualifiedName(s);
    for (const m of msgs) errs.push(field.invalid(p, f, m));
    if (!msgs.length && !s.includes('/') && !STANDARD_FINALIZERS.includes(s)) {
      errs.push(field.invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

function validate(ns: KObject): FieldError[] {
  return [
    ...validateObjectMeta(ns.metadata, { namespaced: false, nameValidator: nameIsDNSLabel }),
    ...validateNamespaceFinalizers(specOf(ns).finalizers, 'spec.finalizers'),
  ];
}

function validateStatusUpdate(ns: KObject, old: KObject): FieldError[] {
  const errs = [...validate(ns), ...validateObjectMetaUpdate(ns.metadata, old.metadata)];
  const phase = statusOf(ns).phase;
  if (!ns.metadata.deletionTimestamp) {
    if (phase !== 'Active') errs.push(field.invalid('status.Phase', phase ?? '', "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') {
    errs.push(field.invalid('status.Phase', phase ?? '', "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

export const namespaceStrategy: Strategy = {
  info: coreInfo({ resource: 'namespaces', kind: 'Namespace', singular: 'namespace', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  defaults,
  prepareForCreate,
  prepareForUpdate,
  validate,
  validateUpdate: (ns, old) => validateObjectMetaUpdate(ns.metadata, old.metadata),
  validateStatusUpdate,
  tableColumns: [{ name: 'Status', type: 'string', description: 'The status of the namespace' }, ageColumn],
  tableRow: (ns, now) => [statusOf(ns).phase ?? '', formatAge(ns.metadata.creationTimestamp, now)],
  fieldSelectors: { 'status.phase': o => statusOf(o).phase ?? '' },
  // Deleting a namespace marks it Terminating; it goes once the namespace controller has emptied it and
  // removed `kubernetes` from spec.finalizers (through /finalize).
  holdDeletion(ns) {
    if (!(ns.spec?.finalizers ?? []).length) return false;
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
    return true;
  },
};
