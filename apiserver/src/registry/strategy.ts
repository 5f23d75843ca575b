// A per-kind strategy, as upstream's rest.RESTCreateStrategy/RESTUpdateStrategy/TableConvertor: everything that
// differs between kinds lives here; the generic store, handlers and transports know no kind.
import type { FieldError } from '@mk8s/apimachinery';

// Objects are plain JSON values; strategies cast to kubernetes-types where they look inside.
export type KObject = {
  apiVersion?: string; kind?: string;
  metadata: ObjectMeta;
  [k: string]: any;
};
export interface ObjectMeta {
  name?: string; generateName?: string; namespace?: string; uid?: string; resourceVersion?: string;
  generation?: number; creationTimestamp?: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[];
  ownerReferences?: any[]; managedFields?: any[]; selfLink?: string;
  [k: string]: any;
}

export interface ResourceInfo {
  group: string;           // '' for core
  version: string;         // 'v1'
  resource: string;        // plural, e.g. 'pods'
  kind: string;            // 'Pod'
  singular: string;        // 'pod'
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];   // e.g. ['all']
  /** Subresources served besides the main resource: 'status', 'scale', 'binding', 'eviction', 'log', 'exec', ... */
  subresources?: string[];
  /** Other versions the same storage serves (e.g. autoscaling v1 and v2 of HPAs); first is the storage version. */
  etcdPrefix?: string;
  /** The verbs served, when not all eight (namespaces have no deletecollection upstream). */
  verbs?: string[];     // upstream's key prefix, e.g. `/registry/minions`; default `/registry/<resource>`
}

export interface TableColumn {
  name: string; type: 'string' | 'integer' | 'number' | 'boolean' | 'date'; format?: string; description?: string;
  priority?: number;       // 0 = shown by default, 1 = only with -o wide
}

/** Where the /scale subresource reads and writes, for kinds that have it. */
export interface ScaleSpec {
  specReplicas: (o: KObject) => number;
  setSpecReplicas: (o: KObject, n: number) => void;
  statusReplicas: (o: KObject) => number;
  /** The label selector string shown in Scale.status.selector. */
  selector: (o: KObject) => string;
}

export interface Strategy {
  info: ResourceInfo;
  /** Set upstream's defaults in place on a decoded object (also on updates, as upstream's decoder does). */
  defaults?(obj: KObject): void;
  /** Before create: e.g. reset status, set generation 1, allocate a clusterIP. May be async (allocators). */
  prepareForCreate?(obj: KObject): void | Promise<void>;
  /** Before update of the main resource: e.g. keep old status, bump generation when spec changed. */
  prepareForUpdate?(obj: KObject, old: KObject): void;
  /** Before update of /status: keep old spec and metadata except labels/annotations, as upstream. */
  prepareForStatusUpdate?(obj: KObject, old: KObject): void;
  validate(obj: KObject): FieldError[];
  /** Update validation: immutable fields etc. Runs together with validate(obj). */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  validateStatusUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Columns for `kubectl get` (server-side Table); NAME is added first by the store, AGE wherever listed. */
  tableColumns?: TableColumn[];
  /** The cells after NAME, matching tableColumns. */
  tableRow?(obj: KObject, now: Date): unknown[];
  /** Field selectors beyond metadata.name and metadata.namespace: key -> value getter. */
  fieldSelectors?: Record<string, (obj: KObject) => string | undefined>;
  scale?: ScaleSpec;
  /** True for kinds whose spec changes bump metadata.generation (most with a spec). */
  generationOnSpec?: boolean;
  /** PUT of a missing object creates it (upstream's AllowCreateOnUpdate: e.g. events, leases? no: only a few). */
  allowCreateOnUpdate?: boolean;
  /**
   * Deletion that must wait for something besides metadata.finalizers (namespaces: spec.finalizers until the
   * namespace controller has emptied it). Return true to keep the object, after marking it (e.g. phase Terminating).
   */
  holdDeletion?(obj: KObject): boolean;
  /**
   * For a version served from another version's storage (autoscaling/v1 HPAs stored as v2; events.k8s.io
   * events stored as core/v1): converters between this version's form and the stored form.
   */
  storageConversion?: { toStorage(obj: KObject): KObject; fromStorage(obj: KObject): KObject };
  /** The NAME cell when it is not just metadata.name (e.g. StorageClass `standard (default)`). */
  tableName?(obj: KObject): string;
  /** Objects expire this long after their last write (events: 1 h, upstream's --event-ttl). */
  ttlSeconds?: number;
  /** Release resources (e.g. cluster IPs) after delete. */
  afterDelete?(obj: KObject): void | Promise<void>;
}
