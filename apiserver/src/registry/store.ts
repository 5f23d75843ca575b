// The generic store (upstream's genericregistry.Store): create/get/list/watch/update/delete for any kind,
// over etcd with compare-and-swap, driven by the kind's Strategy. It knows no kind.
import { randomUUID } from 'node:crypto';
import {
  errors, StatusError, FieldError, field, parseLabelSelector, parseFieldSelector, LabelSelector, FieldSelector,
} from '@mk8s/apimachinery';
import type { EtcdStore, KV } from '../storage/etcd';
import { storageError } from '../storage/etcd';
import { WatchCache, CacheEvent } from '../storage/watchcache';
import type { KObject, Strategy, ResourceInfo } from './strategy';
import type { Logger } from '@mk8s/apimachinery';
import { schemas } from '@mk8s/apimachinery';
import { trackUpdate } from '../patch/ssa';

export interface ListOptions {
  labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string;
  resourceVersion?: string; resourceVersionMatch?: string;
}
export interface WriteOptions {
  dryRun?: boolean; fieldManager?: string;
  /** The object's managedFields were computed by server-side apply already. */
  managedByApply?: boolean;
}
export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number; propagationPolicy?: 'Orphan' | 'Background' | 'Foreground'; orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}
export interface KList { apiVersion: string; kind: string; metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: KObject[] }

/** Hooks run on every write of every kind (admission). */
export interface Admission {
  /** Mutating then validating checks before a create; may throw a StatusError. */
  admitCreate?(store: GenericStore, obj: KObject, opts: WriteOptions): Promise<void>;
  admitUpdate?(store: GenericStore, obj: KObject, old: KObject, subresource: string | undefined): Promise<void>;
  admitDelete?(store: GenericStore, obj: KObject): Promise<void>;
}

/** What a read-modify-write starts from: the object (undefined = absent), its mod revision, and whether it was
 *  read from etcd just now (`current`) or taken from the watch cache. */
interface StoredState { obj: KObject | undefined; rev: number; value?: Buffer; current: boolean }

export type UpdateFn = (current: KObject | undefined) => Promise<KObject> | KObject;

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const randomSuffix = () => Array.from({ length: 5 }, () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]).join('');
const clone = <T>(o: T): T => structuredClone(o);

export class GenericStore {
  readonly info: ResourceInfo;
  readonly prefix: string;
  readonly cache: WatchCache;
  readonly gr: { group: string; resource: string };
  readonly apiVersion: string;

  constructor(readonly strategy: Strategy, private readonly etcd: EtcdStore, registryPrefix: string,
              private readonly admission: Admission, log: Logger, watchCacheSize?: number) {
    this.info = strategy.info;
    // etcdPrefix is written as upstream's key (`/registry/minions`); the configured root replaces `/registry`.
    const rel = strategy.info.etcdPrefix ? strategy.info.etcdPrefix.replace(/^\/registry\//, '') : strategy.info.resource;
    this.prefix = `${registryPrefix}/${rel}/`;
    this.gr = { group: this.info.group, resource: this.info.resource };
    this.apiVersion = this.info.group ? `${this.info.group}/${this.info.version}` : this.info.version;
    this.cache = new WatchCache(etcd, this.prefix, kv => this.decode(kv), log, watchCacheSize);
  }

  key(ns: string | undefined, name: string): string {
    return this.info.namespaced ? `${this.prefix}${ns}/${name}` : `${this.prefix}${name}`;
  }
  private nsPrefix(ns: string | undefined): string {
    return this.info.namespaced && ns ? `${this.prefix}${ns}/` : this.prefix;
  }

  // ---- encoding: values are JSON without resourceVersion; resourceVersion is the mod revision ----
  decode(kv: KV): KObject {
    let obj = JSON.parse(kv.value.toString()) as KObject;
    const conv = this.strategy.storageConversion;
    if (conv) obj = conv.fromStorage(obj);
    obj.metadata.resourceVersion = String(kv.modRevision);
    return obj;
  }
  private encode(obj: KObject): Buffer {
    const conv = this.strategy.storageConversion;
    const rv = obj.metadata.resourceVersion;
    delete obj.metadata.resourceVersion;
    const b = Buffer.from(JSON.stringify(conv ? conv.toStorage(obj) : obj));
    if (rv !== undefined) obj.metadata.resourceVersion = rv;
    return b;
  }

  private invalid(obj: KObject, errs: FieldError[]): StatusError {
    return errors.invalid(this.info.kind, this.info.group, obj.metadata?.name ?? obj.metadata?.generateName ?? '', errs);
  }

  /** Type, apiVersion/kind and metadata sanity shared by create and update. */
  private checkEnvelope(obj: KObject, ns: string | undefined) {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the body of the request is not a JSON object');
    if (obj.kind !== undefined && obj.kind !== this.info.kind) {
      throw errors.badRequest(`the object provided is unrecognized (must be of type ${this.info.kind}): ${obj.kind}`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== this.apiVersion) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${this.apiVersion})`);
    }
    obj.apiVersion = this.apiVersion; obj.kind = this.info.kind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw this.invalid(obj, [field.invalid('metadata', obj.metadata, 'must be an object')]);
    // ObjectMeta's maps and lists are omitempty upstream: one emptied by a patch (last label removed) is not stored.
    for (const f of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
      const v = obj.metadata[f];
      if (v !== null && typeof v === 'object' && Object.keys(v).length === 0) delete obj.metadata[f];
    }
    if (this.info.namespaced) {
      if (obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (ns) obj.metadata.namespace = ns;
    } else if (obj.metadata.namespace) {
      delete obj.metadata.namespace; // cluster-scoped: upstream clears it
    }
  }

  // ---- create ----
  async create(ns: string | undefined, input: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const obj = input;
    this.checkEnvelope(obj, ns);
    const m = obj.metadata;
    if (m.resourceVersion && m.resourceVersion !== '0') {
      throw new StatusError(500, '', 'resourceVersion should not be set on objects to be created');
    }
    delete m.resourceVersion;
    this.strategy.defaults?.(obj);
    m.uid = randomUUID();
    m.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    delete m.deletionTimestamp; delete m.deletionGracePeriodSeconds; delete m.selfLink;
    if (this.strategy.generationOnSpec) m.generation = 1;
    const generated = !m.name && !!m.generateName;
    if (generated) m.name = `${m.generateName}${randomSuffix()}`;
    await this.strategy.prepareForCreate?.(obj);
    await this.admission.admitCreate?.(this, obj, opts); // mutating admission comes before validation
    const errs = this.strategy.validate(obj);
    if (errs.length) throw this.invalid(obj, errs);
    if (!opts.managedByApply) this.track(undefined, obj, opts.fieldManager, undefined);
    if (opts.dryRun) return obj;
    for (let attempt = 0; ; attempt++) {
      const rev = await this.etcd.create(this.key(m.namespace, m.name!), this.encode(obj), await this.lease()).catch(e => { throw storageError(e); });
      if (rev !== undefined) { m.resourceVersion = String(rev); return obj; }
      if (generated && attempt < 5) { m.name = `${m.generateName}${randomSuffix()}`; continue; }
      const existing = await this.etcd.get(this.key(m.namespace, m.name!)).catch(() => undefined);
      const err = errors.alreadyExists(this.gr, m.name!);
      if (existing && this.decode(existing).metadata.deletionTimestamp) {
        throw new StatusError(409, 'AlreadyExists', `object is being deleted: ${err.message}`, err.details);
      }
      throw err;
    }
  }

  private lease(): Promise<string | undefined> {
    const ttl = this.strategy.ttlSeconds;
    return ttl ? this.etcd.leaseFor(ttl).catch(e => { throw storageError(e); }) : Promise.resolve(undefined);
  }

  /** The watch cache, once loaded; a 503 rather than a hang when it cannot load (etcd down). */
  async cacheReady(timeoutMs = 10_000): Promise<WatchCache> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.unavailable(`the watch cache of ${this.info.resource} is not ready (storage unreachable?)`)), timeoutMs);
    });
    try { await Promise.race([this.cache.ready(), late]); } finally { clearTimeout(timer); }
    return this.cache;
  }

  /** Throws CompactedError when etcd no longer holds `rev`. */
  etcdCheck(rev: number): Promise<void> { return this.etcd.checkRevision(rev); }

  // ---- read ----
  async get(ns: string | undefined, name: string): Promise<KObject> {
    const kv = await this.etcd.get(this.key(ns, name)).catch(e => { throw storageError(e); });
    if (!kv) throw errors.notFound(this.gr, name);
    return this.decode(kv);
  }

  /** The field values selectors may use: metadata.name/namespace plus the strategy's. */
  fieldGetter(obj: KObject): (f: string) => string | undefined {
    return (f: string) => {
      if (f === 'metadata.name') return obj.metadata.name;
      if (f === 'metadata.namespace') return obj.metadata.namespace ?? '';
      const g = this.strategy.fieldSelectors?.[f];
      return g ? (g(obj) ?? '') : undefined;
    };
  }

  parseSelectors(opts: ListOptions): { labels?: LabelSelector; fields?: FieldSelector } {
    const labels = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector) : undefined;
    for (const r of fields?.requirements ?? []) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !this.strategy.fieldSelectors?.[r.field]) {
        throw errors.badRequest(`field label not supported: ${r.field}`);
      }
    }
    return { labels: labels && !labels.empty() ? labels : undefined, fields: fields && !fields.empty() ? fields : undefined };
  }

  matcher(opts: ListOptions): (o: KObject) => boolean {
    const { labels, fields } = this.parseSelectors(opts);
    if (!labels && !fields) return () => true;
    return (o: KObject) => (!labels || labels.matches(o.metadata.labels)) && (!fields || fields.matches(this.fieldGetter(o)));
  }

  async list(ns: string | undefined, opts: ListOptions = {}): Promise<KList> {
    const match = this.matcher(opts);
    const filtered = !!(opts.labelSelector || opts.fieldSelector);
    const listKind = `${this.info.kind}List`;
    const rvm = opts.resourceVersionMatch;
    if (rvm && rvm !== 'Exact' && rvm !== 'NotOlderThan') {
      throw this.invalidList([field.notSupported('resourceVersionMatch', rvm, ['Exact', 'NotOlderThan'])]);
    }
    if (rvm && !opts.resourceVersion) throw this.invalidList([field.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided')]);
    if (opts.continue && opts.resourceVersion && opts.resourceVersion !== '0') {
      throw this.invalidList([field.forbidden('resourceVersion', 'specifying resource version is not allowed when using continue')]);
    }
    const rvNum = opts.resourceVersion ? Number(opts.resourceVersion) : undefined;
    if (opts.resourceVersion && (!Number.isInteger(rvNum) || rvNum! < 0)) {
      throw errors.badRequest(`invalid resource version "${opts.resourceVersion}"`);
    }
    // resourceVersion=0 (any), or NotOlderThan N without paging: serve from the watch cache.
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    if (opts.resourceVersion !== undefined && rvm !== 'Exact' && !opts.continue && (opts.resourceVersion === '0' || !limit)) {
      await this.cacheReady();
      if (rvNum && !(await this.cache.waitFor(rvNum, 3000))) {
        throw new StatusError(504, 'Timeout', `Too large resource version: ${rvNum}, current: ${this.cache.revision}`,
          { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      const pre = this.nsPrefix(ns);
      const items: KObject[] = [];
      for (const [k, o] of this.cache.state) if (k.startsWith(pre) && match(o)) items.push(o);
      items.sort((a, b) => cmp(this.key(a.metadata.namespace, a.metadata.name!), this.key(b.metadata.namespace, b.metadata.name!)));
      return { apiVersion: this.apiVersion, kind: listKind, metadata: { resourceVersion: String(this.cache.revision) }, items };
    }
    // Consistent (or exact) read from etcd, paged with a continue token that pins the revision.
    const pre = this.nsPrefix(ns);
    let start = pre, revision = rvm === 'Exact' ? rvNum ?? 0 : 0;
    if (opts.continue) {
      const tok = decodeContinue(opts.continue);
      start = pre + tok.start; revision = tok.rv;
      if (!start.startsWith(pre)) throw errors.badRequest('invalid continue token');
    }
    const items: KObject[] = [];
    let more = false, lastKey = '', listRev = 0, remaining = 0;
    try {
      for (;;) {
        const want = limit ? limit - items.length : 0;
        const r = await this.etcd.range(pre, { startKey: start, limit: want ? Math.max(want, filtered ? 500 : want) : 0, revision });
        listRev = r.revision; if (!revision) revision = r.revision;
        let i = 0;
        for (; i < r.kvs.length; i++) {
          const o = this.decode(r.kvs[i]);
          lastKey = r.kvs[i].key;
          if (match(o)) items.push(o);
          if (limit && items.length >= limit) { i++; break; }
        }
        const leftInBatch = r.kvs.length - i;
        if (limit && items.length >= limit) { more = leftInBatch > 0 || r.more; remaining = r.count - (r.kvs.length - leftInBatch) ; break; }
        if (!r.more || !r.kvs.length) break;
        start = r.kvs[r.kvs.length - 1].key + '\0';
      }
    } catch (e) {
      const se = storageError(e);
      if (se.code === 410 && opts.continue) {
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      if (se.code === 410) throw errors.gone(`The resourceVersion for the provided list is too old.`);
      throw se;
    }
    const meta: KList['metadata'] = { resourceVersion: String(rvm === 'Exact' ? revision : (revision || listRev)) };
    if (more) {
      meta.continue = encodeContinue(revision, lastKey.slice(pre.length) + '\0');
      if (!filtered && remaining > 0) meta.remainingItemCount = remaining;
    }
    return { apiVersion: this.apiVersion, kind: listKind, metadata: meta, items };
  }

  private invalidList(errs: FieldError[]) {
    return errors.invalid('ListOptions', 'meta.k8s.io', '', errs);
  }

  // ---- update (GuaranteedUpdate) ----
  /**
   * The CAS loop: read, apply `fn`, write if changed, retry when someone else wrote first.
   * `fn` sees a private copy and returns the desired object (its resourceVersion, if set, is a precondition).
   */
  async guaranteedUpdate(ns: string | undefined, name: string, fn: UpdateFn,
                         opts: { allowCreate?: boolean; subresource?: string; dryRun?: boolean; fieldManager?: string; managedByApply?: boolean } = {}): Promise<{ object: KObject; created: boolean }> {
    const key = this.key(ns, name);
    let st = this.cachedState(key) ?? await this.storedState(key);
    for (;;) {
      const current = st.obj;
      let desired: KObject;
      try {
        if (!current && !st.current) { st = await this.storedState(key); continue; } // absent from the cache is not absent
        if (!current && !opts.allowCreate) throw errors.notFound(this.gr, name);
        desired = await fn(current ? clone(current) : undefined);
        if (!current) {
          const created = await this.create(ns, desired, { dryRun: opts.dryRun, fieldManager: opts.fieldManager, managedByApply: opts.managedByApply });
          return { object: created, created: true };
        }
        desired = await this.prepareUpdate(ns, desired, current, opts.subresource);
        if (!opts.managedByApply) this.track(current, desired, opts.fieldManager, opts.subresource);
        // Preconditions: a resourceVersion in the body must match what is stored.
        const want = desired.metadata.resourceVersion;
        if (want && want !== current.metadata.resourceVersion) {
          throw errors.conflict(this.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
        }
      } catch (e) {
        // As upstream: an error computed from the cache's copy may be an artefact of its staleness; only
        // errors on what etcd holds now are the caller's.
        if (!st.current) { st = await this.storedState(key); continue; }
        throw e;
      }
      desired.metadata.resourceVersion = current.metadata.resourceVersion;
      // Finalizers removed from an object being deleted with nothing left to wait for: delete it now.
      const shouldDelete = !!desired.metadata.deletionTimestamp && !(desired.metadata.finalizers?.length) &&
        (!desired.metadata.deletionGracePeriodSeconds) && !this.strategy.holdDeletion?.(clone(desired));
      if (opts.dryRun) return { object: desired, created: false };
      const bytes = this.encode(desired);
      // A write that changes nothing is not made (same RV, no event); key order does not count as a change.
      if (!shouldDelete && ((st.value && bytes.equals(st.value)) || sameJson(desired, current))) {
        if (!st.current) { st = await this.storedState(key); continue; } // never answer "unchanged" from a stale copy
        return { object: current, created: false };
      }
      const res = shouldDelete
        ? await this.etcd.delete(key, st.rev).catch(e => { throw storageError(e); })
        : await this.etcd.update(key, bytes, st.rev, await this.lease()).catch(e => { throw storageError(e); });
      if ('revision' in res) {
        desired.metadata.resourceVersion = String(res.revision);
        if (shouldDelete) await this.strategy.afterDelete?.(desired);
        return { object: desired, created: false };
      }
      st = this.stateOf(res.current); // lost the race: retry on what is there now
    }
  }

  /**
   * The object as the watch cache holds it, to start a read-modify-write without reading etcd (upstream's
   * cachedExistingObject). A private copy: the write path may change it. The compare-and-swap on its revision
   * catches a stale copy, and callers re-read etcd before trusting an error or a no-op computed from it.
   */
  private cachedState(key: string): StoredState | undefined {
    if (this.cache.revision === 0) return undefined;
    const cached = this.cache.state.get(key);
    if (!cached) return undefined;
    return { obj: clone(cached), rev: Number(cached.metadata.resourceVersion), current: false };
  }
  private async storedState(key: string): Promise<StoredState> {
    return this.stateOf(await this.etcd.get(key).catch(e => { throw storageError(e); }));
  }
  private stateOf(kv: KV | null | undefined): StoredState {
    return kv ? { obj: this.decode(kv), rev: kv.modRevision, value: kv.value, current: true } : { obj: undefined, rev: 0, current: true };
  }

  /** Record which fields an ordinary (non-apply) write by `manager` now owns, in metadata.managedFields. */
  private track(old: KObject | undefined, obj: KObject, manager: string | undefined, subresource: string | undefined) {
    const schema = schemas.forKind(this.info.group, this.info.version, this.info.kind);
    if (!schema || !manager || subresource === 'binding' || subresource === 'finalize') return;
    const mf = trackUpdate({ old, updated: obj, manager, operation: 'Update', schema, now: fmtTime(new Date()), subresource });
    if (mf.length) obj.metadata.managedFields = mf; else delete obj.metadata.managedFields;
  }

  /** Strategy hooks, system metadata carried over, validation and admission for an update. */
  private async prepareUpdate(ns: string | undefined, obj: KObject, old: KObject, subresource?: string): Promise<KObject> {
    this.checkEnvelope(obj, ns);
    const m = obj.metadata, om = old.metadata;
    if (m.name !== undefined && m.name !== om.name) {
      throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${om.name})`);
    }
    if (m.uid && m.uid !== om.uid) {
      throw errors.conflict(this.gr, om.name!, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${om.uid}`);
    }
    this.strategy.defaults?.(obj);
    // System fields are the server's.
    m.name = om.name; m.uid = om.uid; m.creationTimestamp = om.creationTimestamp;
    if (this.info.namespaced) m.namespace = om.namespace;
    m.deletionTimestamp = om.deletionTimestamp; m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
    if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
    m.generation = om.generation; if (m.generation === undefined) delete m.generation;
    if (om.deletionTimestamp) {
      const added = (m.finalizers ?? []).filter(f => !(om.finalizers ?? []).includes(f));
      if (added.length) throw this.invalid(obj, [field.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`)]);
    }
    let errs: FieldError[];
    if (subresource === 'status') {
      this.strategy.prepareForStatusUpdate?.(obj, old);
      if (!this.strategy.prepareForStatusUpdate) { // default: only status changes
        const { status } = obj; Object.assign(obj, clone({ ...old, metadata: obj.metadata })); obj.status = status;
        m.labels = om.labels; m.annotations = om.annotations;
        if (!m.labels) delete m.labels; if (!m.annotations) delete m.annotations;
      }
      errs = this.strategy.validateStatusUpdate?.(obj, old) ?? this.strategy.validate(obj);
    } else if (subresource) {
      // Server-side writers (binding, scale, finalize) change exactly what they mean to; kind rules still hold.
      errs = this.strategy.validate(obj);
    } else {
      this.strategy.prepareForUpdate?.(obj, old);
      if (this.strategy.generationOnSpec && JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) {
        m.generation = (om.generation ?? 0) + 1;
      }
      errs = [...this.strategy.validate(obj), ...(this.strategy.validateUpdate?.(obj, old) ?? [])];
    }
    if (errs.length) throw this.invalid(obj, errs);
    await this.admission.admitUpdate?.(this, obj, old, subresource);
    return obj;
  }

  /** PUT: replace the object (or the status part). */
  async update(ns: string | undefined, name: string, obj: KObject, opts: WriteOptions & { subresource?: string } = {}) {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the body of the request is not a JSON object');
    if (obj.metadata?.name !== undefined && obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    return this.guaranteedUpdate(ns, name, () => clone(obj), {
      allowCreate: this.strategy.allowCreateOnUpdate && !opts.subresource, subresource: opts.subresource, dryRun: opts.dryRun,
      fieldManager: opts.fieldManager,
    });
  }

  // ---- delete ----
  /** Returns the object and whether it is gone from storage (false: graceful deletion or finalizers pending). */
  async delete(ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ object: KObject; deleted: boolean }> {
    const key = this.key(ns, name);
    let st = this.cachedState(key) ?? await this.storedState(key);
    for (;;) {
      if (!st.obj) throw errors.notFound(this.gr, name);
      const cur = st.obj;
      try {
        await this.checkDelete(cur, opts);
      } catch (e) {
        if (!st.current) { st = await this.storedState(key); continue; } // maybe only the cache's copy fails
        throw e;
      }
      const next = clone(cur);
      const m = next.metadata;
      // Propagation policy becomes a finalizer the garbage collector honours.
      const policy = opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : opts.propagationPolicy;
      const fins = new Set(m.finalizers ?? []);
      if (policy === 'Orphan') fins.add('orphan');
      if (policy === 'Foreground') fins.add('foregroundDeletion');
      if (policy === 'Background' || policy === 'Foreground') fins.delete('orphan');
      if (policy === 'Background' || policy === 'Orphan') fins.delete('foregroundDeletion');
      const grace = this.gracePeriod(cur, opts);
      const now = new Date();
      const held = !!this.strategy.holdDeletion?.(next);
      const sameFinalizers = fins.size === (m.finalizers ?? []).length && [...fins].every(f => m.finalizers!.includes(f));
      if (m.deletionTimestamp) {
        // Already terminating: only a shorter grace period moves the deadline (grace 0 ends it now).
        const oldGrace = m.deletionGracePeriodSeconds ?? 0;
        if (grace < oldGrace) {
          m.deletionTimestamp = fmtTime(new Date(now.getTime() + grace * 1000));
          m.deletionGracePeriodSeconds = grace;
        } else if (sameFinalizers && (oldGrace > 0 || fins.size > 0 || held)) {
          if (!st.current) { st = await this.storedState(key); continue; } // never answer "unchanged" from a stale copy
          return { object: cur, deleted: false };
        }
      } else if (grace > 0 || fins.size > 0 || held) {
        m.deletionTimestamp = fmtTime(new Date(now.getTime() + grace * 1000));
        m.deletionGracePeriodSeconds = grace;
        if (m.generation !== undefined) m.generation++;
      }
      if (fins.size) m.finalizers = [...fins]; else delete m.finalizers;
      const graceful = grace > 0 || fins.size > 0 || held;
      if (opts.dryRun) return { object: next, deleted: !graceful };
      if (graceful) {
        const res = await this.etcd.update(key, this.encode(next), st.rev, await this.lease()).catch(e => { throw storageError(e); });
        if ('revision' in res) { m.resourceVersion = String(res.revision); return { object: next, deleted: false }; }
        st = this.stateOf(res.current); continue;
      }
      const res = await this.etcd.delete(key, st.rev).catch(e => { throw storageError(e); });
      if ('revision' in res) {
        cur.metadata.resourceVersion = String(res.revision);
        await this.strategy.afterDelete?.(cur);
        return { object: cur, deleted: true };
      }
      st = this.stateOf(res.current);
    }
  }

  /** Preconditions and admission of a delete. */
  private async checkDelete(cur: KObject, opts: DeleteOptions): Promise<void> {
    const pre = opts.preconditions, name = cur.metadata.name!;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw errors.conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw errors.conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    await this.admission.admitDelete?.(this, cur);
  }

  /** Pods wait for their kubelet (grace from options or spec); everything else goes at once. */
  private gracePeriod(obj: KObject, opts: DeleteOptions): number {
    if (this.info.resource !== 'pods' || this.info.group !== '') return 0;
    let g = opts.gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
    if (g < 0) g = 1;
    if (!obj.spec?.nodeName) g = 0; // never scheduled: nothing to stop
    const phase = obj.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') g = 0;
    return g;
  }

  async deleteCollection(ns: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<KList> {
    const list = await this.list(ns, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const out: KObject[] = [];
    for (const o of list.items) {
      try { out.push((await this.delete(o.metadata.namespace, o.metadata.name!, opts)).object); } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return { ...list, items: out };
  }
}

export function fmtTime(d: Date): string { return d.toISOString().replace(/\.\d+Z$/, 'Z'); }
/** Deep equality of JSON values, ignoring object key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a).filter(k => (a as any)[k] !== undefined), kb = Object.keys(b).filter(k => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every(k => sameJson((a as any)[k], (b as any)[k]));
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Continue token as upstream: base64url(JSON {v, rv, start}).
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}
function decodeContinue(tok: string): { rv: number; start: string } {
  try {
    const j = JSON.parse(Buffer.from(tok, 'base64url').toString());
    if (j.v !== 'meta.k8s.io/v1' || typeof j.start !== 'string' || typeof j.rv !== 'number') throw new Error();
    if (j.start.includes('..') || j.start.startsWith('/')) throw new Error();
    return { rv: j.rv, start: j.start };
  } catch { throw errors.badRequest('continue key is not valid: invalid continue token'); }
}

export type { CacheEvent };
