// PATCH: the four patch types applied to the current object inside the store's CAS loop.
import * as apimachinery from '@mk8s/apimachinery';
import { errors, field, StatusError } from '@mk8s/apimachinery';
import { applyJsonPatch } from '../patch/jsonpatch';
import { applyMergePatch } from '../patch/mergepatch';
import { applyStrategicMergePatch } from '../patch/strategicpatch';
import type { GenericStore } from '../registry/store';
import type { KObject } from '../registry/strategy';
import type { SchemaNode } from '@mk8s/apimachinery';
import { fmtTime } from '../registry/store';
import { pruneUnknownFields } from './decode';
import { decodeTypeError } from './typecheck';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
export const patchTypes: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export interface PatchArgs {
  type: PatchType; current: KObject | undefined; patch: unknown; store: GenericStore; manager: string; force: boolean;
  subresource?: string; name: string; namespace?: string; warnings: string[]; fieldValidation: string | null; raw: Buffer;
}

export function schemaFor(store: GenericStore): SchemaNode | undefined {
  const s = (apimachinery as any).schemas;
  return s?.forKind(store.info.group, store.info.version, store.info.kind);
}

type SSA = (a: { live: object | undefined; applied: object; manager: string; force: boolean; schema: SchemaNode; now: string; subresource?: string }) => { object: object };
function loadSSA(): SSA | undefined {
  try { return require('../patch/ssa').serverSideApply as SSA; } catch { return undefined; }
}

export function applyPatch(a: PatchArgs): KObject {
  const cur = a.current;
  if (a.type === 'apply') {
    const ssa = loadSSA();
    const schema = schemaFor(a.store);
    if (!ssa || !schema) throw errors.unsupportedMediaType('application/apply-patch+yaml');
    if (!a.patch || typeof a.patch !== 'object' || Array.isArray(a.patch)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
    const applied = a.patch as KObject;
    const gv = a.store.apiVersion;
    if (applied.apiVersion !== gv || applied.kind !== a.store.info.kind) {
      throw errors.badRequest(`the apiVersion and kind of the applied object (${applied.apiVersion}, ${applied.kind}) must match the resource (${gv}, ${a.store.info.kind})`);
    }
    if (applied.metadata?.name !== undefined && applied.metadata.name !== a.name) {
      throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${a.name})`);
    }
    refuseUndeclaredFields(a, schema, applied);
    const live = cur;
    const { object } = ssa({ live, applied, manager: a.manager, force: a.force, schema, now: fmtTime(new Date()), subresource: a.subresource });
    const out = object as KObject;
    out.metadata = out.metadata ?? {};
    out.metadata.name = a.name;
    if (a.namespace) out.metadata.namespace = a.namespace;
    if (cur) out.metadata.resourceVersion = applied.metadata?.resourceVersion; // apply may carry a precondition
    return out;
  }
  if (!cur) throw errors.notFound(a.store.gr, a.name);
  // The current resourceVersion stays in: a patch that changes it (or a failing json-patch `test` of it) is a
  // precondition the store checks.
  const base = cur;
  let out: unknown;
  switch (a.type) {
    case 'json': out = applyJsonPatch(base, a.patch); break;
    case 'merge': out = applyMergePatch(base, a.patch); break;
    case 'strategic': {
      const schema = schemaFor(a.store);
      if (!schema) throw errors.unsupportedMediaType('application/strategic-merge-patch+json');
      out = applyStrategicMergePatch(base, a.patch, schema);
      break;
    }
  }
  if (!out || typeof out !== 'object' || Array.isArray(out)) throw errors.badRequest('the patch did not produce an object');
  // The patched object must still decode into the Go types; upstream reports it as an invalid "patch" (422).
  const typeSchema = schemaFor(a.store);
  const typeError = typeSchema && decodeTypeError(typeSchema, out);
  if (typeError) throw errors.invalid('', '', '', [field.invalid('patch', JSON.stringify(out), typeError)]);
  checkPatchedFields(a, out);
  return out as KObject;
}

/** The patched object is decoded like a body: unknown fields are refused (Strict), warned about (Warn) and dropped. */
function checkPatchedFields(a: PatchArgs, out: object) {
  const mode = a.fieldValidation ?? 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw errors.badRequest(`fieldValidation ${JSON.stringify(mode)} is invalid: valid values are: [Ignore Warn Strict]`);
  }
  const schema = schemaFor(a.store);
  const check = (apimachinery as any).checkFields as ((n: SchemaNode, o: unknown) => { errors: string[] }) | undefined;
  if (!schema || !check) return;
  if (mode !== 'Ignore') {
    const found = check(schema, out).errors;
    if (found.length && mode === 'Strict') throw errors.badRequest(`strict decoding error: ${found.join(', ')}`);
    for (const w of found) if (!a.warnings.includes(w)) a.warnings.push(w);
  }
  pruneUnknownFields(schema, out, true);
}

/** SSA types the apply configuration against the schema first; a field it does not declare fails the request (500 upstream). */
function refuseUndeclaredFields(a: PatchArgs, schema: SchemaNode, applied: KObject) {
  const check = (apimachinery as any).checkFields as ((n: SchemaNode, o: unknown) => { unknown: string[] }) | undefined;
  const unknown = check?.(schema, applied).unknown ?? [];
  if (!unknown.length) return;
  const group = a.store.info.group;
  const gvk = `${group}/${a.store.info.version}, Kind=${a.store.info.kind}`;
  const problems = unknown.map(f => `${typedPath(schema, applied, f)}: field not declared in schema`);
  const detail = problems.length === 1 ? problems[0] : `errors:\n  ${problems.join('\n  ')}`;
  throw new StatusError(500, '', `failed to create typed patch object (${a.namespace ?? ''}/${a.name}; ${gvk}): ${detail}`);
}

/**
 * A field path as structured-merge-diff prints it: `.spec.containers[name="c"].bogus` for keyed lists,
 * `[0]` for atomic ones. `path` is in checkFields' form (`spec.containers[0].bogus`).
 */
function typedPath(schema: SchemaNode, obj: unknown, path: string): string {
  let node: SchemaNode | undefined = schema, v: any = obj, out = '';
  for (const tok of path.match(/\[\d+\]|[^.[\]]+/g) ?? []) {
    if (tok.startsWith('[')) {
      const item = Array.isArray(v) ? v[Number(tok.slice(1, -1))] : undefined;
      const keys = node?.listMapKeys ?? (node?.patchMergeKey ? [node.patchMergeKey] : undefined);
      const shown = keys && item && typeof item === 'object' && keys.every(key => item[key] !== undefined)
        ? `[${keys.map(key => `${key}=${JSON.stringify(item[key])}`).join(',')}]` : tok;
      out += shown; node = node?.items; v = item;
    } else {
      out += `.${tok}`; node = node?.properties?.[tok] ?? node?.additionalProperties; v = v?.[tok];
    }
  }
  return out;
}
