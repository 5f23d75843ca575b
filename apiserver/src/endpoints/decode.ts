// Request bodies: JSON, YAML or Kubernetes protobuf, turned into plain objects; server-side field validation.
import * as apimachinery from '@mk8s/apimachinery';
import { errors } from '@mk8s/apimachinery';
import type { GenericStore } from '../registry/store';
import { bodyKind, parseText } from './negotiation';
import type { Request, ApiRequest } from './handler';
import { decodeTypeError } from './typecheck';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore' | null;

export async function decodeBody(req: ApiRequest, store: GenericStore | undefined): Promise<{ obj: unknown; raw: Buffer; kind: string }> {
  const kind = bodyKind(req.headers['content-type']);
  const raw = await req.readBody();
  if (!kind) throw errors.unsupportedMediaType(String(req.headers['content-type']));
  if (kind === 'protobuf') {
    const decode = (apimachinery as any).decodeKubeProtobuf as ((b: Buffer) => { object: unknown }) | undefined;
    if (!decode) throw errors.unsupportedMediaType(String(req.headers['content-type']));
    return { obj: decode(raw).object, raw, kind };
  }
  const obj = parseText(raw, kind);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw errors.badRequest(`the body of the request must be a ${store?.info.kind ?? 'JSON'} object`);
  }
  return { obj, raw, kind };
}

/**
 * fieldValidation=Strict refuses unknown and duplicate fields (400), Warn (the default) returns them as
 * Warning headers, Ignore drops them. Driven by the kind's OpenAPI schema.
 */
export function checkFieldValidation(r: Request, obj: unknown, raw: Buffer, kind: string, mode: FieldValidation) {
  if (mode !== null && mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw errors.badRequest(`fieldValidation ${JSON.stringify(mode)} is invalid: valid values are: [Ignore Warn Strict]`);
  }
  const m = apimachinery as any;
  if (!m.checkFields || !m.schemas) return;
  const info = r.store.info;
  const node = m.schemas.forKind(info.group, info.version, info.kind);
  if (!node) return;
  // Wrong types fail decoding into the Go types upstream, whatever the fieldValidation mode.
  const typeError = kind === 'protobuf' ? undefined : decodeTypeError(node, obj);
  if (typeError) throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeError}`);
  if (mode === 'Ignore') { pruneUnknownFields(node, obj, true); return; }
  const found = m.checkFields(node, obj, kind === 'json' ? raw.toString() : undefined) as { unknown: string[]; duplicate: string[] };
  const problems = [...found.unknown.map(f => `unknown field "${f}"`), ...found.duplicate.map(f => `duplicate field "${f}"`)];
  if (!problems.length) return;
  if (mode === 'Strict') {
    // Upstream names the version alone here (gvk.Version): `Deployment in version "v1"`, not "apps/v1".
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${problems.join(', ')}`);
  }
  r.warnings.push(...problems);
  pruneUnknownFields(node, obj, true);
}

/**
 * Drops the fields the kind's schema does not know, in place: upstream decodes into Go structs, so under
 * Warn and Ignore an unknown field is reported (or not) and never stored.
 */
export function pruneUnknownFields(node: apimachinery.SchemaNode | undefined, v: unknown, top = false): void {
  if (!node || node.preserveUnknownFields || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) { for (const item of v) pruneUnknownFields(node.items, item); return; }
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (node.properties) {
      if (Object.prototype.hasOwnProperty.call(node.properties, key)) pruneUnknownFields(node.properties[key], o[key]);
      else if (!(top && (key === 'apiVersion' || key === 'kind' || key === 'metadata'))) delete o[key];
    } else if (node.additionalProperties) {
      pruneUnknownFields(node.additionalProperties, o[key]);
    }
  }
}
