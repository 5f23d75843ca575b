// The informer's local cache: a keyed store with secondary indexes (client-go tools/cache thread_safe_store.go,
// index.go, store.go). Objects in it are shared with every reader and MUST NOT be mutated: copy
// (structuredClone) before changing anything. Tests (or MK8S_FREEZE_CACHE=1) deep-freeze them to catch offenders.

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  uid?: string;
  [k: string]: unknown;
}
export interface KubeObject { metadata?: ObjectMetaLike; [k: string]: unknown }

/**
 * What a delete handler gets when the informer missed the actual delete (it was noticed on a relist): the last
 * state the cache had. Handlers must unwrap it (see `unwrapTombstone`).
 */
export class DeletedFinalStateUnknown<T> {
  constructor(readonly key: string, readonly obj: T) {}
}

export const isTombstone = (x: unknown): x is DeletedFinalStateUnknown<unknown> => x instanceof DeletedFinalStateUnknown;
/** The object of a delete notification, whether it came as the object or as a tombstone. */
export function unwrapTombstone<T>(x: T | DeletedFinalStateUnknown<T>): T {
  return x instanceof DeletedFinalStateUnknown ? x.obj : x;
}

export type KeyFunc<T> = (obj: T) => string;

/** `namespace/name`, or `name` for cluster-scoped objects (cache.MetaNamespaceKeyFunc). */
export function metaNamespaceKeyFunc(obj: unknown): string {
  if (obj instanceof DeletedFinalStateUnknown) return obj.key;
  const md = (obj as KubeObject | undefined)?.metadata;
  if (!md || typeof md.name !== 'string' || md.name === '') {
    throw new Error('object has no metadata.name, so it has no cache key');
  }
  return md.namespace ? `${md.namespace}/${md.name}` : md.name;
}
/** Same as metaNamespaceKeyFunc, named as client-go's for use in delete handlers (accepts tombstones). */
export const deletionHandlingMetaNamespaceKeyFunc = metaNamespaceKeyFunc;

/** Splits `ns/name` or `name` (cache.SplitMetaNamespaceKey); throws on more than one `/`. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1) return { namespace: '', name: parts[0] };
  if (parts.length === 2) return { namespace: parts[0], name: parts[1] };
  throw new Error(`unexpected key format: ${JSON.stringify(key)}`);
}

export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'byNamespace';
export const NODE_NAME_INDEX = 'byNodeName';
/** Index by metadata.namespace (cluster-scoped objects index under ""). */
export const namespaceIndexFunc: IndexFunc<KubeObject> = obj => [obj.metadata?.namespace ?? ''];
/** Index pods by spec.nodeName; unbound pods index under "". */
export const nodeNameIndexFunc: IndexFunc<KubeObject> = obj => {
  const n = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return [typeof n === 'string' ? n : ''];
};

/** Freezes an object and everything reachable from it. */
export function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as Record<string, unknown>)) deepFreeze(v);
  }
  return obj;
}

export class Indexer<T> {
  private readonly items = new Map<string, T>();
  /** index name -> indexed value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly indexers = new Map<string, IndexFunc<T>>();

  constructor(readonly keyFunc: KeyFunc<T> = metaNamespaceKeyFunc as KeyFunc<T>,
              indexers: Record<string, IndexFunc<T>> = {}, private readonly freeze = false) {
    this.addIndexers(indexers);
  }

  /** Adds indexes (also over the objects already stored); a name may be registered only once. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer conflict: ${name}`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
    }
  }

  hasIndex(name: string): boolean { return this.indexers.has(name); }

  /** Inserts or replaces the object under its key; returns the previous object, if any. */
  upsert(obj: T): T | undefined {
    const key = this.keyFunc(obj);
    if (this.freeze) deepFreeze(obj);
    const old = this.items.get(key);
    if (old !== undefined) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) addToIndex(this.indices.get(name)!, fn(obj), key);
    return old;
  }

  /** Removes the object with this key; returns it, if it was there. */
  deleteKey(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  get(key: string): T | undefined { return this.items.get(key); }
  has(key: string): boolean { return this.items.has(key); }
  keys(): string[] { return [...this.items.keys()]; }
  list(): T[] { return [...this.items.values()]; }
  size(): number { return this.items.size; }

  /** Objects whose index `name` yields `value`; throws for an unknown index. */
  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map(k => this.items.get(k)!);
  }
  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`index ${JSON.stringify(name)} does not exist`);
    return [...(index.get(value) ?? [])];
  }
  /** The values present in index `name`. */
  indexValues(name: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`index ${JSON.stringify(name)} does not exist`);
    return [...index.keys()];
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of new Set(fn(obj))) {
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(v);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    let set = index.get(v);
    if (!set) index.set(v, (set = new Set()));
    set.add(key);
  }
}
