// SchemaLookup over the compact schema generated from upstream's 1.32 OpenAPI document
// (scripts/gen-openapi-schema.js writes ./schema.json). Nodes are built on first access and cached per
// definition, so recursive or deep types cost nothing until walked.
import * as fs from 'fs';
import * as path from 'path';
import type { SchemaLookup, SchemaNode } from './types';

/** One schema in the compact file: OpenAPI v2 keywords, `$ref` holding a bare definition name. */
export interface CompactSchema {
  $ref?: string;
  type?: SchemaNode['type'];
  format?: string;
  enum?: string[];
  required?: string[];
  properties?: Record<string, CompactSchema>;
  items?: CompactSchema;
  additionalProperties?: CompactSchema | boolean;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}
export interface GroupVersionKind { group: string; version: string; kind: string }
export interface CompactSchemaFile { source: string; definitions: Record<string, CompactSchema> }

/** The extensions that may sit next to a `$ref` and refine the referenced type for this one use. */
const USE_SITE_KEYS = ['x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy', 'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys', 'x-kubernetes-map-type'] as const;

let cachedFile: CompactSchemaFile | undefined;
/** The parsed schema.json (read once; it sits next to this module in src/ and dist/). */
export function compactSchemaFile(): CompactSchemaFile {
  if (!cachedFile) {
    const file = path.join(__dirname, 'schema.json');
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CompactSchemaFile;
    if (!parsed || typeof parsed.definitions !== 'object') throw new Error(`${file}: no "definitions"`);
    cachedFile = parsed;
  }
  return cachedFile;
}

export class CompactSchemaLookup implements SchemaLookup {
  private readonly nodes = new Map<string, SchemaNode>();
  private readonly byKind = new Map<string, string>();

  constructor(private readonly defs: Record<string, CompactSchema>) {
    for (const [name, d] of Object.entries(defs)) {
      for (const g of d['x-kubernetes-group-version-kind'] ?? []) {
        const key = kindKey(g.group, g.version, g.kind);
        if (!this.byKind.has(key)) this.byKind.set(key, name);
      }
    }
  }

  forKind(group: string, version: string, kind: string): SchemaNode | undefined {
    const name = this.byKind.get(kindKey(group, version, kind));
    return name === undefined ? undefined : this.definition(name);
  }

  /** The definition name of a kind, e.g. ('apps','v1','Deployment') -> io.k8s.api.apps.v1.Deployment. */
  definitionNameForKind(group: string, version: string, kind: string): string | undefined {
    return this.byKind.get(kindKey(group, version, kind));
  }

  definition(name: string): SchemaNode | undefined {
    const cached = this.nodes.get(name);
    if (cached) return cached;
    const d = this.defs[name];
    if (!d) return undefined;
    const node: SchemaNode = { ref: name };
    this.nodes.set(name, node);          // before filling: a type may refer to itself
    this.fill(node, d);
    return node;
  }

  /** The node for a schema at a use site: a shared definition node, or a refined copy of one. */
  private nodeFor(s: CompactSchema): SchemaNode {
    if (s.$ref !== undefined) {
      const target = this.definition(s.$ref);
      if (!target) throw new Error(`openapi schema: dangling $ref ${s.$ref}`);
      if (!USE_SITE_KEYS.some(k => s[k] !== undefined)) return target;
      // Same type, own patch/list extensions; sub-nodes are read through from the shared definition.
      const refined: SchemaNode = {};
      for (const k of Object.keys(target) as (keyof SchemaNode)[]) {
        Object.defineProperty(refined, k, { enumerable: true, configurable: true, get: () => target[k] });
      }
      this.applyUseSite(refined, s);
      return refined;
    }
    const node: SchemaNode = {};
    this.fill(node, s);
    return node;
  }

  private fill(node: SchemaNode, s: CompactSchema): void {
    if (s.type !== undefined) node.type = s.type;
    if (s.format !== undefined) node.format = s.format;
    if (s.enum) node.enum = s.enum;
    if (s.required) node.required = s.required;
    if (s.format === 'int-or-string' || s['x-kubernetes-int-or-string']) node.intOrString = true;
    if (s['x-kubernetes-embedded-resource']) node.embeddedResource = true;
    // An object that declares neither properties nor a value type (RawExtension, FieldsV1, Patch) takes
    // any content: upstream decodes it as raw JSON.
    const freeForm = s.type === 'object' && !s.properties && s.additionalProperties === undefined && s.$ref === undefined;
    if (s['x-kubernetes-preserve-unknown-fields'] || freeForm) node.preserveUnknownFields = true;
    this.applyUseSite(node, s);
    if (s.properties) {
      const props: Record<string, SchemaNode> = {};
      for (const [k, sub] of Object.entries(s.properties)) lazy(props, k, () => this.nodeFor(sub));
      node.properties = props;
    }
    if (s.items) { const items = s.items; lazy(node, 'items', () => this.nodeFor(items)); }
    if (s.additionalProperties !== undefined && typeof s.additionalProperties === 'object') {
      const ap = s.additionalProperties;
      lazy(node, 'additionalProperties', () => this.nodeFor(ap));
    }
  }

  private applyUseSite(node: SchemaNode, s: CompactSchema): void {
    const put = <K extends keyof SchemaNode>(k: K, v: SchemaNode[K] | undefined) => {
      // defineProperty: on a refined copy the key may be a read-through getter
      if (v !== undefined) Object.defineProperty(node, k, { value: v, enumerable: true, writable: true, configurable: true });
    };
    put('patchMergeKey', s['x-kubernetes-patch-merge-key']);
    put('patchStrategy', s['x-kubernetes-patch-strategy']);
    put('listType', s['x-kubernetes-list-type']);
    put('listMapKeys', s['x-kubernetes-list-map-keys']);
    put('mapType', s['x-kubernetes-map-type']);
  }
}

const kindKey = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;

/** Define `key` on `obj` as a getter computed once (then replaced by a plain value). */
function lazy<T extends object>(obj: T, key: string, make: () => SchemaNode): void {
  Object.defineProperty(obj, key, {
    configurable: true, enumerable: true,
    get() {
      const v = make();
      Object.defineProperty(obj, key, { value: v, enumerable: true, writable: false, configurable: false });
      return v;
    },
  });
}

let shared: CompactSchemaLookup | undefined;
/** The lookup over the generated 1.32 schema; built on first use. */
export function schemaLookup(): CompactSchemaLookup {
  if (!shared) shared = new CompactSchemaLookup(compactSchemaFile().definitions);
  return shared;
}

/** The lookup over the generated 1.32 schema (the file is read on the first call of a method). */
export const schemas: SchemaLookup & { definitionNameForKind(g: string, v: string, k: string): string | undefined } = {
  forKind: (g, v, k) => schemaLookup().forKind(g, v, k),
  definition: name => schemaLookup().definition(name),
  definitionNameForKind: (g, v, k) => schemaLookup().definitionNameForKind(g, v, k),
};
