// metadata.managedFields entries <-> per-manager field sets, as upstream's fieldmanager decodes and encodes them.
import { Json, JsonObject, isObject } from './errors';
import { FieldSet } from './fieldpath';

export type ManagedFieldsOperation = 'Apply' | 'Update';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: ManagedFieldsOperation;
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: JsonObject;
  subresource?: string;
}

/** One manager's record while it is being worked on. */
export interface ManagerRecord {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/**
 * The identity of an entry: manager, operation, subresource and, for Update only, apiVersion (an applier keeps one
 * entry across versions). Serialized like upstream's BuildManagerIdentifier, which conflict messages sort by.
 */
export function managerIdentifier(r: Pick<ManagerRecord, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const o: JsonObject = {};
  if (r.manager) o.manager = r.manager;
  if (r.operation) o.operation = r.operation;
  if (r.operation !== 'Apply' && r.apiVersion) o.apiVersion = r.apiVersion;
  if (r.subresource) o.subresource = r.subresource;
  return JSON.stringify(o);
}

export class ManagedFieldsDecodeError extends Error {}

/** Decodes `metadata.managedFields`; a later entry with the same identity replaces an earlier one. */
export function decodeManagedFields(entries: unknown): Map<string, ManagerRecord> {
  const out = new Map<string, ManagerRecord>();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new ManagedFieldsDecodeError('managedFields must be a list');
  for (const e of entries as Json[]) {
    if (!isObject(e)) throw new ManagedFieldsDecodeError('managedFields entries must be objects');
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsDecodeError(`invalid fieldsType ${JSON.stringify(e.fieldsType ?? '')}`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw new ManagedFieldsDecodeError(`invalid operation ${JSON.stringify(e.operation ?? '')}`);
    }
    let set: FieldSet;
    try { set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {}); }
    catch (err) { throw new ManagedFieldsDecodeError(`error decoding fieldsV1: ${(err as Error).message}`); }
    const rec: ManagerRecord = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      subresource: typeof e.subresource === 'string' && e.subresource ? e.subresource : undefined,
      time: typeof e.time === 'string' ? e.time : undefined,
      set,
    };
    out.set(managerIdentifier(rec), rec);
  }
  return out;
}

const seconds = (t?: string) => { const ms = t ? Date.parse(t) : NaN; return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000); };
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Encodes records as managedFields entries in upstream's order: Apply first, then by time, manager, version. */
export function encodeManagedFields(records: Iterable<ManagerRecord>): ManagedFieldsEntry[] {
  const list = [...records].filter(r => !r.set.empty());
  list.sort((p, q) => cmp(p.operation, q.operation) || seconds(p.time) - seconds(q.time) || cmp(p.manager, q.manager) ||
    cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource ?? '', q.subresource ?? ''));
  return list.map(r => {
    const e: ManagedFieldsEntry = { manager: r.manager, operation: r.operation, apiVersion: r.apiVersion };
    if (r.time) e.time = r.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = r.set.toFieldsV1();
    if (r.subresource) e.subresource = r.subresource;
    return e;
  });
}
