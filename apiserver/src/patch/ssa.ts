// Server-side apply and ownership tracking of ordinary writes (upstream's fieldmanager over
// sigs.k8s.io/structured-merge-diff merge.Updater): every manager owns a set of fields recorded in
// metadata.managedFields; an apply makes the configuration's fields the applier's, refuses to change fields
// others own unless forced, and removes fields it stopped applying that nobody else owns.
import { StatusError, errors } from '@mk8s/apimachinery';
import type { SchemaNode } from '@mk8s/apimachinery';
import { JsonObject, PatchServerError, deepEqual, isObject } from './errors';
import { FieldSet, Path, fieldPE, pathToString } from './fieldpath';
import {
  ManagedFieldsDecodeError, ManagedFieldsEntry, ManagerRecord, decodeManagedFields, encodeManagedFields, managerIdentifier,
} from './managedfields';
import {
  SchemaMismatchError, compareValues, ensureNamedFieldsAreMembers, mergeValues, removeItems, toFieldSet, validateUnique, withValueStructs, zeroObject,
} from './typed';

/** Fields nobody owns: identity and system metadata (upstream's stripMeta set; exact paths only). */
const STRIPPED = FieldSet.of(
  [fieldPE('apiVersion')], [fieldPE('kind')], [fieldPE('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map(f => [fieldPE('metadata'), fieldPE(f)]),
);

/** The manager that owns everything of an object that existed before its first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Fields a write through this endpoint does not own, since the strategy resets them: status on the main
 * resource, spec on /status (the strategies' GetResetFields).
 */
export function defaultResetFields(schema: SchemaNode | undefined, subresource?: string): string[][] {
  if (subresource === 'status') return schema?.properties?.spec ? [['spec']] : [];
  if (!subresource) return schema?.properties?.status ? [['status']] : [];
  return [];
}

const resetSet = (paths: string[][]) => FieldSet.of(...paths.map(p => p.map(fieldPE)));

export interface ServerSideApplyArgs {
  live: object | undefined;
  applied: object;
  manager: string;
  force: boolean;
  schema: SchemaNode;
  now: string;
  subresource?: string;
  /** Top-level paths this endpoint does not own; defaults to defaultResetFields(schema, subresource). */
  resetFields?: string[][];
}

export interface ServerSideApplyResult {
  object: Record<string, unknown>;
  managedFields: ManagedFieldsEntry[];
  /** False when the apply changed nothing in the object (upstream then keeps the applier's old time). */
  changed: boolean;
}

export interface TrackUpdateArgs {
  old: object | undefined;
  updated: object;
  manager: string;
  operation: 'Update';
  schema: SchemaNode;
  now: string;
  subresource?: string;
  resetFields?: string[][];
}

export interface Conflict { manager: string; path: Path }

function withoutManagedFields(obj: unknown): JsonObject {
  if (!isObject(obj)) return {};
  const out: JsonObject = { ...obj };
  if (isObject(out.metadata)) {
    const md: JsonObject = { ...out.metadata };
    delete md.managedFields;
    out.metadata = md;
  }
  return out;
}

/** Drops null members left by a merge (a decoded typed object has no nulls). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x) as JsonObject;
    return out;
  }
  return v;
}

function managedFieldsOf(obj: unknown): unknown {
  return isObject(obj) && isObject(obj.metadata) ? obj.metadata.managedFields : undefined;
}

/** How a conflicting manager is named in messages: `"mgr"`, `"mgr" using apps/v1`, `"mgr" with subresource "status"`. */
function printManager(r: ManagerRecord): string {
  let s = JSON.stringify(r.manager);
  if (r.subresource) s += ` with subresource ${JSON.stringify(r.subresource)}`;
  if (r.operation === 'Update') s += ` using ${r.apiVersion}`;
  return s;
}

/** The 409 upstream returns for apply conflicts, one cause per conflicting field. */
export function conflictError(conflicts: Array<{ record: ManagerRecord; path: Path }>): StatusError {
  const causes = conflicts.map(c => ({
    reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.record)}`, field: pathToString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].record)}: ${pathToString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, { record: ManagerRecord; paths: Path[] }>();
    for (const c of conflicts) {
      const id = managerIdentifier(c.record);
      if (!byManager.has(id)) byManager.set(id, { record: c.record, paths: [] });
      byManager.get(id)!.paths.push(c.path);
    }
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort()) {
      const g = byManager.get(id)!;
      lines.push(`conflicts with ${printManager(g.record)}:`);
      for (const p of g.paths) lines.push(`- ${pathToString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

function typedError(what: string, obj: unknown, err: unknown): never {
  if (err instanceof SchemaMismatchError) {
    const o = isObject(obj) ? obj : {};
    const av = typeof o.apiVersion === 'string' ? o.apiVersion : '';
    const gv = av.includes('/') ? av : `/${av}`;
    throw new PatchServerError(`failed to create typed ${what} object (${gv}, Kind=${typeof o.kind === 'string' ? o.kind : ''}): ${err.message}`);
  }
  throw err;
}

/**
 * Ownership bookkeeping shared by apply and update (upstream Updater.update): every manager other than
 * `self` loses the fields the write changed or removed; with `force` false a changed field someone else owns
 * is a conflict instead.
 */
function takeOwnership(managers: Map<string, ManagerRecord>, selfId: string, oldObj: unknown, newObj: unknown,
                       schema: SchemaNode, ignored: FieldSet, force: boolean): { changed: FieldSet; removed: FieldSet } {
  // Compare as decoded Go objects would: by-value structs exist (empty) on both sides.
  const cmp = compareValues(withValueStructs(isObject(oldObj) ? oldObj : {}, schema), withValueStructs(isObject(newObj) ? newObj : {}, schema), schema);
  const changed = cmp.modified.union(cmp.added).recursiveDifference(ignored);
  const removed = cmp.removed.recursiveDifference(ignored);
  const conflicts: Array<{ record: ManagerRecord; path: Path }> = [];
  const lost = new Map<string, FieldSet>();
  for (const [id, rec] of managers) {
    if (id === selfId) continue;
    const c = rec.set.intersection(changed);
    if (!c.empty()) { lost.set(id, c); for (const p of c.paths()) conflicts.push({ record: rec, path: p }); }
  }
  if (!force && conflicts.length > 0) {
    conflicts.sort((a, b) => (managerIdentifier(a.record) < managerIdentifier(b.record) ? -1 : managerIdentifier(a.record) > managerIdentifier(b.record) ? 1 : 0));
    throw conflictError(conflicts);
  }
  for (const [id, rec] of managers) {
    if (id === selfId) continue;
    let set = rec.set;
    const c = lost.get(id);
    if (c) set = set.difference(c);
    if (!removed.empty()) set = set.difference(removed);
    if (set.empty()) managers.delete(id); else rec.set = set;
  }
  return { changed, removed };
}

/** Removes what the applier applied last time but not now, unless another manager still owns it (Updater.prune). */
function prune(merged: unknown, managers: Map<string, ManagerRecord>, lastSet: FieldSet | undefined, schema: SchemaNode): unknown {
  if (!lastSet || lastSet.empty()) return merged;
  const named = (s: FieldSet) => ensureNamedFieldsAreMembers(s, schema);
  let pruned = removeItems(merged, named(lastSet), schema);
  // Add back everything some manager (the applier's new configuration included) owns.
  let managed = new FieldSet();
  for (const r of managers.values()) managed = managed.union(r.set);
  const mergedSet = named(toFieldSet(merged, schema));
  pruned = removeItems(merged, mergedSet.difference(named(toFieldSet(pruned, schema)).union(named(managed))), schema);
  // Only remove what the applier owned: fields nobody owned stay.
  const prunedSet = named(toFieldSet(pruned, schema));
  return removeItems(merged, mergedSet.difference(prunedSet).intersection(named(lastSet)), schema);
}

function decodeOrThrow(entries: unknown): Map<string, ManagerRecord> {
  try { return decodeManagedFields(entries); }
  catch (e) {
    if (e instanceof ManagedFieldsDecodeError) throw new PatchServerError(`failed to decode managed fields: ${e.message}`);
    throw e;
  }
}

const apiVersionOf = (o: unknown) => (isObject(o) && typeof o.apiVersion === 'string' ? o.apiVersion : '');

/**
 * Server-side apply of `applied` (the apply-patch body) onto `live` (undefined: create). Returns the merged object
 * (with metadata.managedFields set) and the entries; throws a 409 listing every conflicting field unless `force`,
 * 400 if the configuration carries managedFields, 500 (as upstream) if it does not fit the schema.
 */
export function serverSideApply(args: ServerSideApplyArgs): ServerSideApplyResult {
  const { schema, manager, now, subresource } = args;
  if (!isObject(args.applied)) throw errors.badRequest('error decoding YAML: the applied configuration must be an object');
  const appliedMeta = (args.applied as JsonObject).metadata;
  if (isObject(appliedMeta) && appliedMeta.managedFields !== undefined && appliedMeta.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  if (!manager) throw errors.badRequest('PATCH requests of type application/apply-patch+yaml require a field manager');
  const ignored = resetSet(args.resetFields ?? defaultResetFields(schema, subresource));
  const applied = args.applied as JsonObject;
  const live = args.live === undefined ? undefined : withoutManagedFields(args.live);
  const managers = decodeOrThrow(managedFieldsOf(args.live));
  const version = apiVersionOf(applied);

  try {
    // An object written before any manager was tracked: its existing fields belong to before-first-apply.
    if (live && managers.size === 0) {
      const set = toFieldSet(live, schema).recursiveDifference(ignored).difference(STRIPPED);
      const rec: ManagerRecord = { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: apiVersionOf(live) || version, time: now, set };
      if (!set.empty()) managers.set(managerIdentifier(rec), rec);
    }
    validateUnique(applied, schema);
    const base = live ?? {};
    const configSet = toFieldSet(applied, schema).recursiveDifference(ignored);
    const merged = mergeValues(base, applied, schema);
    const self: ManagerRecord = { manager, operation: 'Apply', apiVersion: version, subresource, set: configSet };
    const selfId = managerIdentifier(self);
    const previous = managers.get(selfId);
    self.time = previous?.time;
    managers.set(selfId, self);
    const pruned = dropNulls(prune(merged, managers, previous?.set, schema)) as JsonObject;
    takeOwnership(managers, selfId, live ?? zeroObject(schema), pruned, schema, ignored, args.force);
    const changed = !deepEqual(base, pruned);
    if (changed) self.time = now;
    self.set = self.set.difference(STRIPPED);
    if (self.set.empty()) managers.delete(selfId);
    const managedFields = encodeManagedFields(managers.values());
    const object: JsonObject = { ...pruned };
    const md: JsonObject = { ...(isObject(pruned.metadata) ? pruned.metadata : {}) };
    if (managedFields.length > 0) md.managedFields = managedFields as unknown as JsonObject[];
    object.metadata = md;
    return { object, managedFields, changed };
  } catch (e) {
    return typedError('patch', applied, e);
  }
}

/**
 * The managedFields after an ordinary write (create, update, json/merge/strategic patch) by `manager`: fields the
 * write changed become the manager's (one entry per manager, operation, apiVersion and subresource, its time
 * refreshed when it took anything), other managers lose them. Never throws: like upstream's UpdateNoErrors, a
 * failure leaves no managedFields.
 */
export function trackUpdate(args: TrackUpdateArgs): ManagedFieldsEntry[] {
  const { schema, now, subresource } = args;
  const updatedEntries = managedFieldsOf(args.updated);
  // A client resets ownership by sending managedFields: [{}].
  if (Array.isArray(updatedEntries) && updatedEntries.length === 1 && isObject(updatedEntries[0]) && Object.keys(updatedEntries[0]).length === 0) return [];
  try {
    let managers: Map<string, ManagerRecord> | undefined;
    if (!subresource && Array.isArray(updatedEntries) && updatedEntries.length > 0) {
      try { managers = decodeManagedFields(updatedEntries); } catch { managers = undefined; }
      if (managers && managers.size === 0) managers = undefined;
    }
    managers ??= decodeManagedFields(managedFieldsOf(args.old));
    // Objects that exist untracked stay untracked (upstream only starts tracking on create or apply).
    if (args.old !== undefined && managers.size === 0) return [];
    const ignored = resetSet(args.resetFields ?? defaultResetFields(schema, subresource));
    const oldObj = args.old === undefined ? zeroObject(schema) : withoutManagedFields(args.old);
    const newObj = withoutManagedFields(args.updated);
    const { changed } = takeOwnership(managers, '', oldObj, newObj, schema, ignored, true);
    const taken = changed.difference(STRIPPED);
    const rec: ManagerRecord = { manager: args.manager, operation: args.operation, apiVersion: apiVersionOf(newObj), subresource, set: taken };
    const id = managerIdentifier(rec);
    if (!taken.empty()) {
      const prev = managers.get(id);
      rec.set = prev ? prev.set.union(taken) : taken;
      rec.time = now;
      managers.set(id, rec);
    }
    return encodeManagedFields(managers.values());
  } catch {
    return [];
  }
}
