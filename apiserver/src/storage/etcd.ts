// The only code in mk8s that talks to etcd. Keys are `<prefix>/<resource>/<namespace>/<name>`, values JSON;
// an object's resourceVersion is its key's mod_revision (never stored inside the value).
import { Etcd3, IKeyValue } from 'etcd3';
import { noop } from 'cockatiel';
import { errors, StatusError } from '@mk8s/apimachinery';

export interface KV { key: string; value: Buffer; modRevision: number; createRevision: number }
export interface RangeResult { kvs: KV[]; more: boolean; count: number; revision: number }
export interface WatchEvent { type: 'put' | 'delete'; kv: KV; prevKv?: KV; revision: number }

const toKV = (kv: IKeyValue): KV => ({
  key: kv.key.toString(), value: kv.value, modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision),
});

/** The end of a prefix range: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) { const e = Buffer.from(b.subarray(0, i + 1)); e[i]++; return e; }
  }
  return Buffer.from([0]);
}

export class CompactedError extends Error {
  constructor(public readonly requested: number, public readonly compacted?: number) { super('mvcc: required revision has been compacted'); }
}

/** A read at a revision etcd has not reached yet (the client is ahead of storage, or made one up). */
export class FutureRevisionError extends Error {
  constructor(public readonly requested: number, public readonly current: number) { super('mvcc: required revision is a future revision'); }
}

/** etcd failures become Statuses: unreachable -> 503, compacted -> 410, future revision -> 504; everything else 500. */
export function storageError(e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  if (e instanceof CompactedError) return errors.gone(`The resourceVersion for the provided list is too old.`);
  if (e instanceof FutureRevisionError) {
    // Upstream's TooLargeResourceVersionError: a client-side condition, so never an InternalError.
    return new StatusError(504, 'Timeout', `Too large resource version: ${e.requested}, current: ${e.current}`,
      { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
  }
  const msg = (e as Error)?.message ?? String(e);
  if (/compacted/.test(msg)) return errors.gone('The resourceVersion for the provided list is too old.');
  if (/UNAVAILABLE|unavailable|ECONNREFUSED|No connection|deadline|DEADLINE|Broken circuit|circuit|connect|14 /i.test(msg) || (e as any)?.name?.startsWith?.('GRPC')) {
    return errors.unavailable(`storage is unavailable: ${msg}`);
  }
  return errors.internal(msg);
}

export class EtcdStore {
  readonly client: Etcd3;
  /** Set by the server to record latency per operation. */
  observe?: (operation: string, seconds: number) => void;
  constructor(endpoints: string[], private readonly timeoutMs = 5000) {
    // The client retries nothing by itself: GuaranteedUpdate and the watch cache decide what to retry.
    this.client = new Etcd3({ hosts: endpoints, faultHandling: { global: noop, host: () => noop }, grpcOptions: { 'grpc.keepalive_time_ms': 10000, 'grpc.keepalive_timeout_ms': 5000, 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 } });
  }
  private opts() { return { deadline: new Date(Date.now() + this.timeoutMs) }; }
  private async timed<T>(op: string, p: Promise<T>): Promise<T> {
    if (!this.observe) return p;
    const t = process.hrtime.bigint();
    try { return await p; } finally { this.observe(op, Number(process.hrtime.bigint() - t) / 1e9); }
  }

  async get(key: string): Promise<KV | undefined> {
    const r = await this.timed('get', this.client.kv.range({ key: Buffer.from(key) }, this.opts())).catch(rethrow);
    return r.kvs.length ? toKV(r.kvs[0]) : undefined;
  }

  /** Create if absent. Returns the new revision, or undefined when the key exists. */
  async create(key: string, value: Buffer, leaseId?: string): Promise<number | undefined> {
    const k = Buffer.from(key);
    const r = await this.timed('create', this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
      success: [{ request_put: { key: k, value, lease: leaseId } }],
      failure: [],
    }, this.opts())).catch(rethrow);
    return r.succeeded ? Number(r.header.revision) : undefined;
  }

  /** Compare-and-swap on mod_revision. Returns the new revision, or the current KV (or null if gone) on a lost race. */
  async update(key: string, value: Buffer, expectedMod: number, leaseId?: string): Promise<{ revision: number } | { current: KV | null }> {
    const k = Buffer.from(key);
    const r = await this.timed('update', this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedMod }],
      success: [{ request_put: { key: k, value, lease: leaseId } }],
      failure: [{ request_range: { key: k } }],
    }, this.opts())).catch(rethrow);
    if (r.succeeded) return { revision: Number(r.header.revision) };
    const kvs = r.responses[0]?.response_range?.kvs ?? [];
    return { current: kvs.length ? toKV(kvs[0]) : null };
  }

  /** Delete only if unchanged since expectedMod. Returns the delete revision or the current KV on a lost race. */
  async delete(key: string, expectedMod: number): Promise<{ revision: number } | { current: KV | null }> {
    const k = Buffer.from(key);
    const r = await this.timed('delete', this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedMod }],
      success: [{ request_delete_range: { key: k } }],
      failure: [{ request_range: { key: k } }],
    }, this.opts())).catch(rethrow);
    if (r.succeeded) return { revision: Number(r.header.revision) };
    const kvs = r.responses[0]?.response_range?.kvs ?? [];
    return { current: kvs.length ? toKV(kvs[0]) : null };
  }

  /** Range over a prefix from startKey (inclusive), at a revision (0 = latest). */
  async range(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): Promise<RangeResult> {
    const r = await this.timed('list', this.client.kv.range({
      key: Buffer.from(opts.startKey ?? prefix), range_end: prefixEnd(prefix),
      limit: opts.limit ?? 0, revision: opts.revision ?? 0,
    }, this.opts())).catch(async e => {
      if (opts.revision && /future revision/.test((e as Error)?.message ?? '')) {
        throw new FutureRevisionError(opts.revision, await this.currentRevision().catch(() => 0));
      }
      return rethrow(e, opts.revision);
    });
    return { kvs: r.kvs.map(toKV), more: r.more, count: Number(r.count), revision: Number(r.header.revision) };
  }

  /** The store's current revision (a cheap read). */
  async currentRevision(): Promise<number> {
    const r = await this.client.kv.range({ key: Buffer.from('/'), limit: 1, count_only: true }, this.opts()).catch(rethrow);
    return Number(r.header.revision);
  }

  /** Throws CompactedError when `revision` is no longer readable. */
  async checkRevision(revision: number): Promise<void> {
    await this.client.kv.range({ key: Buffer.from('/'), limit: 1, count_only: true, revision }, this.opts()).catch(e => {
      if (/future revision/.test((e as Error)?.message ?? '')) return; // ahead of etcd: the watch simply waits
      rethrow(e, revision);
    });
  }

  private leases = new Map<number, { id: string; until: number }>();
  /**
   * A lease that expires keys about `ttlSeconds` after their last write (events). As upstream, one lease is
   * shared by all writes within a minute: granted for ttl + 60 s and reused for 60 s.
   */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const c = this.leases.get(ttlSeconds);
    if (c && c.until > Date.now()) return c.id;
    const r = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds + 60, ID: 0 }, this.opts()).catch(rethrow);
    this.leases.set(ttlSeconds, { id: String(r.ID), until: Date.now() + 60_000 });
    return String(r.ID);
  }

  async compact(revision: number): Promise<void> {
    await this.client.kv.compact({ revision, physical: false }, this.opts()).catch(rethrow);
  }

  close() { this.client.close(); }
}

function rethrow(e: unknown, revision?: number): never {
  const msg = (e as Error)?.message ?? '';
  if (/compacted/.test(msg)) throw new CompactedError(revision ?? 0);
  throw e;
}
