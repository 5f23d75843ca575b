// Pure builders of the OpenAPI documents the apiserver serves: /openapi/v3 (an index plus one OpenAPI 3.0
// document per group-version, as upstream's kube-openapi handler3) and /openapi/v2 (one Swagger 2.0 document).
// Schemas come from the compact 1.32 schema in @mk8s/apimachinery; only facts, no description prose.
import { createHash } from 'crypto';
import { compactSchemaFile, type CompactSchema } from '@mk8s/apimachinery';
import type { ResourceInfo } from '../registry/strategy';
import {
  type DefinitionOf, type GVK, type Operation, type PathItem, type Param,
  discoveryPaths, groupVersionPaths, gvKey,
} from './operations';

export interface OpenAPIOptions {
  /** info.version of the documents: the server's gitVersion. */
  gitVersion?: string;
  /** The definitions to publish from (default: the generated 1.32 schema). */
  definitions?: Record<string, CompactSchema>;
}
const DEFAULT_VERSION = 'v1.32.4';
const definitionsOf = (o: OpenAPIOptions) => o.definitions ?? compactSchemaFile().definitions;

/** Maps a GVK to its definition name through x-kubernetes-group-version-kind. */
export function definitionResolver(defs: Record<string, CompactSchema>): DefinitionOf {
  const index = new Map<string, string>();
  for (const [name, d] of Object.entries(defs)) {
    for (const g of d['x-kubernetes-group-version-kind'] ?? []) {
      const k = `${g.group}/${g.version}/${g.kind}`;
      if (!index.has(k)) index.set(k, name);
    }
  }
  return (gvk: GVK) => index.get(`${gvk.group}/${gvk.version}/${gvk.kind}`);
}

/** Every definition reachable through $ref from `roots`, sorted by name. */
export function reachableDefinitions(defs: Record<string, CompactSchema>, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  const refsOf = (s: CompactSchema, out: string[]) => {
    if (s.$ref) out.push(s.$ref);
    if (s.items) refsOf(s.items, out);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') refsOf(s.additionalProperties, out);
    for (const p of Object.values(s.properties ?? {})) refsOf(p, out);
  };
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || !defs[n]) continue;
    seen.add(n);
    const more: string[] = [];
    refsOf(defs[n], more);
    stack.push(...more);
  }
  return [...seen].sort();
}

/** A compact schema in OpenAPI form: `$ref`s point at `refPrefix` (#/components/schemas/ or #/definitions/). */
export function renderSchema(s: CompactSchema, refPrefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') out.$ref = refPrefix + v;
    else if (k === 'items') out.items = renderSchema(v as CompactSchema, refPrefix);
    else if (k === 'additionalProperties') out.additionalProperties = typeof v === 'object' ? renderSchema(v as CompactSchema, refPrefix) : v;
    else if (k === 'properties') {
      const props: Record<string, unknown> = {};
      for (const [name, p] of Object.entries(v as Record<string, CompactSchema>)) props[name] = renderSchema(p, refPrefix);
      out.properties = props;
    } else out[k] = v;
  }
  return out;
}

const CODE_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
const opRoots = (items: PathItem[]) => items.flatMap(p => p.ops.flatMap(o => [o.body, o.response]))
  .filter((x): x is string => !!x && x !== 'string');
const extensions = (o: Operation) => {
  const e: Record<string, unknown> = {};
  if (o.action) e['x-kubernetes-action'] = o.action;
  if (o.gvk) e['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return e;
};
const sortedByPath = (items: PathItem[]) => [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

// ---- OpenAPI v3 ----

function v3Param(p: Param) {
  return { in: p.in, name: p.name, ...(p.required ? { required: true } : {}), schema: { type: p.type, uniqueItems: true } };
}
function v3Content(types: string[], def: string) {
  const schema = def === 'string' ? { type: 'string' } : { $ref: `#/components/schemas/${def}` };
  const c: Record<string, unknown> = {};
  for (const t of types) c[t] = { schema };
  return c;
}
function v3Operation(o: Operation) {
  const responses: Record<string, unknown> = {};
  for (const code of o.codes) responses[code] = { content: v3Content(o.produces, o.response), description: CODE_TEXT[code] };
  responses['401'] = { description: 'Unauthorized' };
  return {
    operationId: o.operationId,
    ...(o.params.length ? { parameters: o.params.map(v3Param) } : {}),
    ...(o.body ? { requestBody: { content: v3Content(o.consumes, o.body), ...(o.verb === 'delete' ? {} : { required: true }) } } : {}),
    responses,
    tags: [o.tag],
    ...extensions(o),
  };
}
function v3Paths(items: PathItem[]) {
  const paths: Record<string, unknown> = {};
  for (const item of sortedByPath(items)) {
    const entry: Record<string, unknown> = {};
    for (const o of item.ops) entry[o.verb] = v3Operation(o);
    if (item.params.length) entry.parameters = item.params.map(v3Param);
    paths[item.path] = entry;
  }
  return paths;
}
/**
 * Types whose v3 schema upstream writes as oneOf instead of a single type (their Go OpenAPIV3OneOfTypes methods:
 * intstr.IntOrString and resource.Quantity). kubectl explain then names them (<IntOrString>, <Quantity>).
 */
const V3_ONE_OF: Record<string, string[]> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': ['integer', 'string'],
  'io.k8s.apimachinery.pkg.api.resource.Quantity': ['string', 'number'],
};
function v3Definition(name: string, s: CompactSchema): Record<string, unknown> {
  const out = renderSchema(s, '#/components/schemas/');
  const oneOf = V3_ONE_OF[name];
  if (oneOf) {
    delete out.type;
    out.oneOf = oneOf.map(type => ({ type }));
  }
  return out;
}

function v3Document(items: PathItem[], opts: OpenAPIOptions) {
  const defs = definitionsOf(opts);
  const schemas: Record<string, unknown> = {};
  for (const n of reachableDefinitions(defs, opRoots(items))) schemas[n] = v3Definition(n, defs[n]);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: opts.gitVersion ?? DEFAULT_VERSION },
    paths: v3Paths(items),
    components: {
      schemas,
      securitySchemes: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    },
  };
}

/** The OpenAPI 3.0 document of one group-version (served at /openapi/v3/api/v1, /openapi/v3/apis/apps/v1...). */
export function buildGroupVersionDocument(group: string, version: string, resources: ResourceInfo[], opts: OpenAPIOptions = {}) {
  return v3Document(groupVersionPaths(group, version, resources, definitionResolver(definitionsOf(opts))), opts);
}

/** The small documents for `api`, `apis`, `apis/<group>` and `version`. */
export function buildDiscoveryDocument(key: string, opts: OpenAPIOptions = {}) {
  return v3Document(discoveryPaths(key), opts);
}

/** Uppercase hex SHA-512 of the bytes: upstream's ETag and `hash` query value. */
export const contentHash = (data: string | Buffer) => createHash('sha512').update(data).digest('hex').toUpperCase();

export interface V3Documents {
  /** key (api/v1, apis/apps/v1, api, apis, apis/apps, version) -> serialized document and its hash */
  docs: Map<string, { json: string; hash: string }>;
  /** The serialized /openapi/v3 index and its hash. */
  index: { json: string; hash: string };
}

/** The group-versions served by `resources`, in first-seen order. */
export function groupVersions(resources: ResourceInfo[]): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resources) seen.set(gvKey(r.group, r.version), seen.get(gvKey(r.group, r.version)) ?? { group: r.group, version: r.version });
  return [...seen.values()];
}

/** Every /openapi/v3 document for `resources`, serialized, with the index that links them by hash. */
export function buildV3Documents(resources: ResourceInfo[], opts: OpenAPIOptions = {}): V3Documents {
  const docs = new Map<string, { json: string; hash: string }>();
  const put = (key: string, doc: unknown) => { const json = JSON.stringify(doc); docs.set(key, { json, hash: contentHash(json) }); };
  const gvs = groupVersions(resources);
  put('api', buildDiscoveryDocument('api', opts));
  put('apis', buildDiscoveryDocument('apis', opts));
  put('version', buildDiscoveryDocument('version', opts));
  for (const { group, version } of gvs) {
    if (group && !docs.has(`apis/${group}`)) put(`apis/${group}`, buildDiscoveryDocument(`apis/${group}`, opts));
    put(gvKey(group, version), buildGroupVersionDocument(group, version, resources, opts));
  }
  const index = buildV3Index(docs);
  const json = JSON.stringify(index);
  return { docs, index: { json, hash: contentHash(json) } };
}

/** `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}` with sorted keys. */
export function buildV3Index(docs: Map<string, { hash: string }>) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of [...docs.keys()].sort()) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${docs.get(key)!.hash}` };
  }
  return { paths };
}

// ---- OpenAPI v2 ----

function v2Param(p: Param) {
  return { in: p.in, name: p.name, ...(p.required ? { required: true } : {}), type: p.type, uniqueItems: true };
}
function v2Operation(o: Operation) {
  const params: Record<string, unknown>[] = [];
  if (o.body) params.push({ in: 'body', name: 'body', ...(o.verb === 'delete' ? {} : { required: true }), schema: { $ref: `#/definitions/${o.body}` } });
  params.push(...o.params.map(v2Param));
  const schema = o.response === 'string' ? { type: 'string' } : { $ref: `#/definitions/${o.response}` };
  const responses: Record<string, unknown> = {};
  for (const code of o.codes) responses[code] = { description: CODE_TEXT[code], schema };
  responses['401'] = { description: 'Unauthorized' };
  return {
    consumes: o.consumes.length ? o.consumes : ['*/*'],
    operationId: o.operationId,
    ...(params.length ? { parameters: params } : {}),
    produces: o.produces,
    responses,
    schemes: ['https'],
    tags: [o.tag],
    ...extensions(o),
  };
}

/** The Swagger 2.0 document served at /openapi/v2 (JSON form; see protobuf.ts for the binary one). */
export function buildV2Document(resources: ResourceInfo[], opts: OpenAPIOptions = {}) {
  const defs = definitionsOf(opts);
  const resolve = definitionResolver(defs);
  const items: PathItem[] = [];
  for (const key of ['api', 'apis', 'version']) items.push(...discoveryPaths(key));
  const groups = new Set<string>();
  for (const { group, version } of groupVersions(resources)) {
    if (group && !groups.has(group)) { groups.add(group); items.push(...discoveryPaths(`apis/${group}`)); }
    items.push(...groupVersionPaths(group, version, resources, resolve));
  }
  const paths: Record<string, unknown> = {};
  for (const item of sortedByPath(items)) {
    const entry: Record<string, unknown> = {};
    for (const o of item.ops) entry[o.verb] = v2Operation(o);
    if (item.params.length) entry.parameters = item.params.map(v2Param);
    paths[item.path] = entry;
  }
  const definitions: Record<string, unknown> = {};
  for (const n of reachableDefinitions(defs, opRoots(items))) definitions[n] = renderSchema(defs[n], '#/definitions/');
  return {
    definitions,
    info: { title: 'Kubernetes', version: opts.gitVersion ?? DEFAULT_VERSION },
    paths,
    security: [{ BearerToken: [] }],
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    swagger: '2.0',
  };
}
