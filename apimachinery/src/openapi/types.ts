// A navigable view of a kind's OpenAPI schema, with the extensions patching and validation need.
// Implemented over the compact schema generated from upstream's 1.32 spec (see ./schema.ts); properties of
// recursive types are resolved lazily, so a node may be walked as deep as an object goes.
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;                         // int32, int64, date-time, byte, double, int-or-string ...
  enum?: string[];
  required?: string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode;       // maps (labels, data, ...)
  intOrString?: boolean;                   // x-kubernetes-int-or-string
  preserveUnknownFields?: boolean;         // x-kubernetes-preserve-unknown-fields / RawExtension / JSON
  embeddedResource?: boolean;              // x-kubernetes-embedded-resource
  patchMergeKey?: string;                  // x-kubernetes-patch-merge-key
  patchStrategy?: string;                  // x-kubernetes-patch-strategy: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace'
  listType?: 'atomic' | 'set' | 'map';     // x-kubernetes-list-type
  listMapKeys?: string[];                  // x-kubernetes-list-map-keys
  mapType?: 'atomic' | 'granular';         // x-kubernetes-map-type
  /** The definition name this node came from, e.g. io.k8s.api.core.v1.Container. */
  ref?: string;
}

export interface SchemaLookup {
  /** The top-level schema of a served kind, e.g. ('', 'v1', 'Pod') or ('apps', 'v1', 'Deployment'). */
  forKind(group: string, version: string, kind: string): SchemaNode | undefined;
  /** A definition by its full name. */
  definition(name: string): SchemaNode | undefined;
}
