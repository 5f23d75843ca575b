// Server-side Table output for `kubectl get`: the NAME column, then the kind's columns from its strategy.
import type { GenericStore } from '../registry/store';
import type { KObject, TableColumn } from '../registry/strategy';

const nameColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };

/** Kinds whose printer places Name itself (events: last, wide only) get no leading NAME column. */
const ownsName = (store: GenericStore) => (store.strategy.tableColumns ?? []).some(c => c.format === 'name');

export function tableColumns(store: GenericStore) {
  const cols: TableColumn[] = store.strategy.tableColumns ?? [{ name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' }];
  const mapped = cols.map(c => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }));
  return ownsName(store) ? mapped : [nameColumn, ...mapped];
}

export function tableRow(store: GenericStore, obj: KObject, includeObject: string, now: Date) {
  const cells = store.strategy.tableRow ? store.strategy.tableRow(obj, now) : [obj.metadata.creationTimestamp];
  let object: unknown;
  if (includeObject === 'Object') object = obj;
  else if (includeObject !== 'None') {
    object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
  const name = store.strategy.tableName ? store.strategy.tableName(obj) : obj.metadata.name;
  const row: Record<string, unknown> = { cells: ownsName(store) ? cells : [name, ...cells] };
  if (object) row.object = object;
  return row;
}

export function toTable(store: GenericStore, objs: KObject[], meta: Record<string, unknown>, includeObject: string, version = 'v1', withColumns = true) {
  const now = new Date();
  return {
    kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata: meta,
    columnDefinitions: withColumns ? tableColumns(store) : null,
    rows: objs.map(o => tableRow(store, o, includeObject, now)),
  };
}
