// The only code in mk8s that talks to etcd. Keys are `<prefix>/<resource>/<namespace>/<name>`, values JSON;
// an object's resourceVersion is its key's mod_revision (never stored inside the value).
// etcd is spoken to with our own gRPC client (grpcwire, on our own HTTP/2 layer) and hand codecs (etcdrpc.ts).
import { errors, StatusError, GrpcChannel, GrpcError, grpcwire } from '@mk8s/apimachinery';
import type { GrpcCall, GrpcCallOptions } from '@mk8s/apimachinery';
import {
  RPC, encodeRange, encodeCasTxn, encodeCompaction, encodeLeaseGrant, encodeWatchCreate,
  decodeRange, decodeTxn, decodeLeaseGrant, decodeWatchResponse, KeyValue,
} from './etcdrpc';

export interface KV { key: string; value: Buffer; modRevision: number; createRevision: number }
export interface RangeResult { kvs: KV[]; more: boolean; count: number; revision: number }
export interface WatchEvent { type: 'put' | 'delete'; kv: KV; prevKv?: KV; revision: number }

/** Receives a watch's events in revision order, then at most one error (the watch is over: relist). */
export interface WatchHandler {
  onEvents(events: WatchEvent[]): void;
  onError(err: Error): void;
}
export interface EtcdWatch { cancel(): void }

const toKV = (kv: KeyValue): KV => ({ key: kv.key, value: kv.value, modRevision: kv.modRevision, createRevision: kv.createRevision });

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
  readonly channel: GrpcChannel;
  /** Set by the server to record latency per operation. */
  observe?: (operation: string, seconds: number) => void;
  private readonly callOpts: GrpcCallOptions;
  constructor(endpoints: string[], private readonly timeoutMs = 5000) {
    // The client retries nothing by itself: GuaranteedUpdate and the watch cache decide what to retry.
    this.channel = new GrpcChannel(endpoints, { keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5_000, userAgent: 'mk8s-apiserver' });
    this.callOpts = { deadlineMs: timeoutMs, framed: true };
  }

  /** One etcd RPC; `op` names it for the latency metric (unnamed calls are not recorded). */
  private async call(path: string, req: Buffer, op?: string): Promise<Buffer> {
    const observe = op ? this.observe : undefined;
    if (!observe) return this.channel.unary(path, req, this.callOpts);
    const t = process.hrtime.bigint();
    try { return await this.channel.unary(path, req, this.callOpts); } finally { observe(op!, Number(process.hrtime.bigint() - t) / 1e9); }
  }

  async get(key: string): Promise<KV | undefined> {
    const r = decodeRange(await this.call(RPC.range, encodeRange(Buffer.from(key)), 'get').catch(rethrow));
    return r.kvs.length ? toKV(r.kvs[0]) : undefined;
  }

  /** Create if absent. Returns the new revision, or undefined when the key exists. */
  async create(key: string, value: Buffer, leaseId?: string): Promise<number | undefined> {
    const req = encodeCasTxn(Buffer.from(key), 0, { put: value, lease: leaseId }, false);
    const r = decodeTxn(await this.call(RPC.txn, req, 'create').catch(rethrow));
    return r.succeeded ? r.revision : undefined;
  }

  /** Compare-and-swap on mod_revision. Returns the new revision, or the current KV (or null if gone) on a lost race. */
  async update(key: string, value: Buffer, expectedMod: number, leaseId?: string): Promise<{ revision: number } | { current: KV | null }> {
    const req = encodeCasTxn(Buffer.from(key), expectedMod, { put: value, lease: leaseId }, true);
    const r = decodeTxn(await this.call(RPC.txn, req, 'update').catch(rethrow));
    if (r.succeeded) return { revision: r.revision };
    const kvs = r.rangeKvs ?? [];
    return { current: kvs.length ? toKV(kvs[0]) : null };
  }

  /** Delete only if unchanged since expectedMod. Returns the delete revision or the current KV on a lost race. */
  async delete(key: string, expectedMod: number): Promise<{ revision: number } | { current: KV | null }> {
    const req = encodeCasTxn(Buffer.from(key), expectedMod, { delete: true }, true);
    const r = decodeTxn(await this.call(RPC.txn, req, 'delete').catch(rethrow));
    if (r.succeeded) return { revision: r.revision };
    const kvs = r.rangeKvs ?? [];
    return { current: kvs.length ? toKV(kvs[0]) : null };
  }

  /** Range over a prefix from startKey (inclusive), at a revision (0 = latest). */
  async range(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): Promise<RangeResult> {
    const req = encodeRange(Buffer.from(opts.startKey ?? prefix), { rangeEnd: prefixEnd(prefix), limit: opts.limit ?? 0, revision: opts.revision ?? 0 });
    const buf = await this.call(RPC.range, req, 'list').catch(async e => {
      if (opts.revision && /future revision/.test((e as Error)?.message ?? '')) {
        throw new FutureRevisionError(opts.revision, await this.currentRevision().catch(() => 0));
      }
      return rethrow(e, opts.revision);
    });
    const r = decodeRange(buf);
    return { kvs: r.kvs.map(toKV), more: r.more, count: r.count, revision: r.revision };
  }

  /** The store's current revision (a cheap read). */
  async currentRevision(): Promise<number> {
    const r = decodeRange(await this.call(RPC.range, encodeRange(SLASH, { limit: 1, countOnly: true })).catch(rethrow));
    return r.revision;
  }

  /** Throws CompactedError when `revision` is no longer readable. */
  async checkRevision(revision: number): Promise<void> {
    await this.call(RPC.range, encodeRange(SLASH, { limit: 1, countOnly: true, revision })).catch(e => {
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
    const r = decodeLeaseGrant(await this.call(RPC.leaseGrant, encodeLeaseGrant(ttlSeconds + 60)).catch(rethrow));
    if (r.error) throw new Error(`etcd lease grant failed: ${r.error}`);
    this.leases.set(ttlSeconds, { id: r.id, until: Date.now() + 60_000 });
    return r.id;
  }

  async compact(revision: number): Promise<void> {
    await this.call(RPC.compact, encodeCompaction(revision)).catch(rethrow);
  }

  /**
   * Watches every key under `prefix` from `startRevision` with the previous values. Resolves once etcd has
   * created the watch (rejects if it could not). After that, any end of the watch other than cancel() reaches
   * handler.onError once; a compacted start revision arrives that way as CompactedError (etcd confirms the
   * watch, then cancels it with the compact revision).
   */
  watch(prefix: string, startRevision: number, handler: WatchHandler): Promise<EtcdWatch> {
    return new Promise((resolve, reject) => {
      const w = new PrefixWatch(startRevision, handler, resolve, reject);
      w.call = this.channel.bidiStream(RPC.watch, w);
      w.call.write(encodeWatchCreate(Buffer.from(prefix), prefixEnd(prefix), startRevision, true));
    });
  }

  close() { this.channel.close(); }
}

const SLASH = Buffer.from('/');

/** One etcd watch on its own gRPC stream (so cancel is a stream reset, and no watch IDs to track). */
class PrefixWatch implements grpcwire.StreamHandler, EtcdWatch {
  call?: GrpcCall;
  private created = false;
  private over = false;
  constructor(private readonly startRevision: number, private readonly handler: WatchHandler,
              private readonly resolve: (w: EtcdWatch) => void, private readonly reject: (e: Error) => void) {}

  onMessage(msg: Buffer): void {
    if (this.over) return;
    let res;
    try { res = decodeWatchResponse(msg); } catch (e) { this.end(new Error(`undecodable etcd watch response: ${(e as Error).message}`)); return; }
    if (res.compactRevision) { this.end(new CompactedError(this.startRevision, res.compactRevision)); return; }
    if (res.canceled) { this.end(new Error(`etcd canceled the watch${res.cancelReason ? `: ${res.cancelReason}` : ''}`)); return; }
    if (res.created && !this.created) { this.created = true; this.resolve(this); }
    if (!res.events.length) return;
    const events: WatchEvent[] = new Array(res.events.length);
    for (let i = 0; i < res.events.length; i++) {
      const e = res.events[i];
      events[i] = { type: e.type, kv: toKV(e.kv), prevKv: e.prevKv ? toKV(e.prevKv) : undefined, revision: e.kv.modRevision };
    }
    this.handler.onEvents(events);
  }

  onEnd(err: GrpcError | null): void {
    this.end(err ?? new Error('etcd closed the watch stream'));
  }

  private end(err: Error): void {
    if (this.over) return;
    this.over = true;
    this.call?.cancel();
    if (!this.created) { this.reject(err); return; }
    this.handler.onError(err);
  }

  cancel(): void {
    if (this.over) return;
    this.over = true;
    this.call?.cancel();
  }
}

function rethrow(e: unknown, revision?: number): never {
  const msg = (e as Error)?.message ?? '';
  if (/compacted/.test(msg)) throw new CompactedError(revision ?? 0);
  throw e;
}
