// Hand-written protobuf codecs for exactly the etcd v3 messages the apiserver sends and reads (field numbers
// from etcd's api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto). Requests are sized first and written
// into one buffer that leaves 5 bytes in front for the gRPC message prefix (CallOptions.framed).
// Revisions are numbers (far below 2^53); lease IDs are full int64s, kept as decimal strings.
import { ProtoReader, grpcwire } from '@mk8s/apimachinery';

export const RPC = {
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  compact: '/etcdserverpb.KV/Compact',
  leaseGrant: '/etcdserverpb.Lease/LeaseGrant',
  watch: '/etcdserverpb.Watch/Watch',
} as const;

const PREFIX = grpcwire.MESSAGE_HEADER_BYTES;

// ---- writing ------------------------------------------------------------------------------------------

/** Bytes of a varint for a non-negative integer below 2^53. */
function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let s = 4;
  for (n = Math.floor(n / 0x10000000); n > 0; n = Math.floor(n / 128)) s++;
  return s;
}

function putVarint(b: Buffer, p: number, n: number): number {
  while (n >= 0x80) { b[p++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128); }
  b[p++] = n;
  return p;
}

/** Size of a length-delimited field with a one-byte tag (field numbers below 16). */
const delimited = (len: number) => 1 + varintSize(len) + len;
const int64Field = (n: number) => 1 + varintSize(n);

function putDelimitedHeader(b: Buffer, p: number, tag: number, len: number): number {
  b[p++] = tag;
  return putVarint(b, p, len);
}
function putBytes(b: Buffer, p: number, tag: number, v: Uint8Array): number {
  p = putDelimitedHeader(b, p, tag, v.length);
  b.set(v, p);
  return p + v.length;
}
function putInt(b: Buffer, p: number, tag: number, n: number): number {
  b[p++] = tag;
  return putVarint(b, p, n);
}

function checkRevision(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

const leaseBytes = new Map<string, Buffer>();
/** The varint of an int64 lease ID given in decimal (cached: one lease is shared by a minute of writes). */
export function leaseVarint(id: string): Buffer {
  let v = leaseBytes.get(id);
  if (v) return v;
  if (!/^-?\d{1,20}$/.test(id)) throw new RangeError(`lease ID must be a decimal int64, got ${JSON.stringify(id)}`);
  let n = BigInt.asUintN(64, BigInt(id));
  if (BigInt.asIntN(64, n) !== BigInt(id)) throw new RangeError(`lease ID ${id} does not fit in int64`);
  const out: number[] = [];
  while (n >= 0x80n) { out.push(Number(n & 0x7fn) | 0x80); n >>= 7n; }
  out.push(Number(n));
  v = Buffer.from(out);
  if (leaseBytes.size > 64) leaseBytes.clear();
  leaseBytes.set(id, v);
  return v;
}

export interface RangeOptions { rangeEnd?: Buffer; limit?: number; revision?: number; countOnly?: boolean }

function rangeRequestSize(key: Buffer, o: RangeOptions): number {
  let n = delimited(key.length);
  if (o.rangeEnd) n += delimited(o.rangeEnd.length);
  if (o.limit) n += int64Field(o.limit);
  if (o.revision) n += int64Field(o.revision);
  if (o.countOnly) n += 2;
  return n;
}
function putRangeRequest(b: Buffer, p: number, key: Buffer, o: RangeOptions): number {
  p = putBytes(b, p, 0x0a, key);
  if (o.rangeEnd) p = putBytes(b, p, 0x12, o.rangeEnd);
  if (o.limit) p = putInt(b, p, 0x18, o.limit);
  if (o.revision) p = putInt(b, p, 0x20, o.revision);
  if (o.countOnly) { b[p++] = 0x48; b[p++] = 1; }
  return p;
}

/** RangeRequest {key=1, range_end=2, limit=3, revision=4, count_only=9}. */
export function encodeRange(key: Buffer, o: RangeOptions = {}): Buffer {
  if (o.limit !== undefined) checkRevision(o.limit, 'limit');
  if (o.revision !== undefined) checkRevision(o.revision, 'revision');
  const b = Buffer.allocUnsafe(PREFIX + rangeRequestSize(key, o));
  putRangeRequest(b, PREFIX, key, o);
  return b;
}

/**
 * TxnRequest: if mod_revision(key) == expectedMod then `op` on the key, else (with readOnFailure) read the key.
 * Compare {result=1 EQUAL (0, the default), target=2 MOD, key=3, mod_revision=6 (a oneof member: written even
 * when 0)}; RequestOp {request_range=1, request_put=2 PutRequest{key=1, value=2, lease=3},
 * request_delete_range=3 DeleteRangeRequest{key=1}}.
 */
export function encodeCasTxn(key: Buffer, expectedMod: number, op: { put: Buffer; lease?: string } | { delete: true },
                             readOnFailure: boolean): Buffer {
  checkRevision(expectedMod, 'expected mod_revision');
  const compareLen = 2 + delimited(key.length) + int64Field(expectedMod);
  let opInnerLen: number, lease: Buffer | undefined;
  const put = 'put' in op ? op.put : undefined;
  if (put) {
    const id = (op as { lease?: string }).lease;
    lease = id !== undefined && id !== '0' && id !== '' ? leaseVarint(id) : undefined;
    opInnerLen = delimited(key.length) + delimited(put.length) + (lease ? 1 + lease.length : 0);
  } else opInnerLen = delimited(key.length);
  const successLen = delimited(opInnerLen);
  const failureLen = readOnFailure ? delimited(delimited(key.length)) : 0;
  const b = Buffer.allocUnsafe(PREFIX + delimited(compareLen) + delimited(successLen) + (readOnFailure ? delimited(failureLen) : 0));
  let p = PREFIX;
  p = putDelimitedHeader(b, p, 0x0a, compareLen);
  b[p++] = 0x10; b[p++] = 2; // target = MOD
  p = putBytes(b, p, 0x1a, key);
  p = putInt(b, p, 0x30, expectedMod);
  p = putDelimitedHeader(b, p, 0x12, successLen);
  if (put) {
    p = putDelimitedHeader(b, p, 0x12, opInnerLen);
    p = putBytes(b, p, 0x0a, key);
    p = putBytes(b, p, 0x12, put);
    if (lease) { b[p++] = 0x18; b.set(lease, p); p += lease.length; }
  } else {
    p = putDelimitedHeader(b, p, 0x1a, opInnerLen);
    p = putBytes(b, p, 0x0a, key);
  }
  if (readOnFailure) {
    p = putDelimitedHeader(b, p, 0x1a, failureLen);
    p = putDelimitedHeader(b, p, 0x0a, delimited(key.length));
    p = putBytes(b, p, 0x0a, key);
  }
  if (p !== b.length) throw new Error(`internal error: txn encoded ${p} of ${b.length} bytes`);
  return b;
}

/** CompactionRequest {revision=1, physical=2}. */
export function encodeCompaction(revision: number, physical = false): Buffer {
  checkRevision(revision, 'revision');
  const b = Buffer.allocUnsafe(PREFIX + int64Field(revision) + (physical ? 2 : 0));
  let p = putInt(b, PREFIX, 0x08, revision);
  if (physical) { b[p++] = 0x10; b[p++] = 1; }
  return b;
}

/** LeaseGrantRequest {TTL=1, ID=2 (0: etcd picks)}. */
export function encodeLeaseGrant(ttlSeconds: number): Buffer {
  checkRevision(ttlSeconds, 'lease TTL');
  const b = Buffer.allocUnsafe(PREFIX + int64Field(ttlSeconds));
  putInt(b, PREFIX, 0x08, ttlSeconds);
  return b;
}

/** WatchRequest {create_request=1 WatchCreateRequest{key=1, range_end=2, start_revision=3, prev_kv=6}}. */
export function encodeWatchCreate(key: Buffer, rangeEnd: Buffer, startRevision: number, prevKv: boolean): Buffer {
  checkRevision(startRevision, 'start revision');
  const inner = delimited(key.length) + delimited(rangeEnd.length) + (startRevision ? int64Field(startRevision) : 0) + (prevKv ? 2 : 0);
  const b = Buffer.allocUnsafe(delimited(inner));
  let p = putDelimitedHeader(b, 0, 0x0a, inner);
  p = putBytes(b, p, 0x0a, key);
  p = putBytes(b, p, 0x12, rangeEnd);
  if (startRevision) p = putInt(b, p, 0x18, startRevision);
  if (prevKv) { b[p++] = 0x30; b[p++] = 1; }
  return b;
}

// ---- reading ------------------------------------------------------------------------------------------

export interface KeyValue { key: string; value: Buffer; createRevision: number; modRevision: number; version: number }
export interface RangeResponse { revision: number; kvs: KeyValue[]; more: boolean; count: number }
export interface TxnResponse { revision: number; succeeded: boolean; /** kvs of the first ResponseOp that is a range */ rangeKvs?: KeyValue[] }
export interface LeaseGrantResponse { revision: number; id: string; ttl: number; error: string }
export interface WatchEventMsg { type: 'put' | 'delete'; kv: KeyValue; prevKv?: KeyValue }
export interface WatchResponse {
  revision: number; watchId: number; created: boolean; canceled: boolean; compactRevision: number;
  cancelReason: string; fragment: boolean; events: WatchEventMsg[];
}

/** Runs `read` over a nested message, then continues after it. */
function nested<T>(r: ProtoReader, read: (r: ProtoReader) => T): T {
  const end = r.delimitedEnd(), outer = r.end;
  r.end = end;
  try { return read(r); } finally { r.end = outer; r.pos = end; }
}

/** ResponseHeader {cluster_id=1, member_id=2, revision=3, raft_term=4}: only the revision. */
function readHeader(r: ProtoReader): number {
  let rev = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === 0x18) rev = r.int64();
    else r.skip(tag & 7);
  }
  return rev;
}

/** mvccpb.KeyValue {key=1, create_revision=2, mod_revision=3, version=4, value=5, lease=6}; value is a view. */
function readKeyValue(r: ProtoReader): KeyValue {
  let key = '', value: Buffer = EMPTY, createRevision = 0, modRevision = 0, version = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: key = r.string(); break;
      case 0x10: createRevision = r.int64(); break;
      case 0x18: modRevision = r.int64(); break;
      case 0x20: version = r.int64(); break;
      case 0x2a: value = r.bytes() as Buffer; break;
      default: r.skip(tag & 7);
    }
  }
  return { key, value, createRevision, modRevision, version };
}
const EMPTY = Buffer.alloc(0);

function readRange(r: ProtoReader): RangeResponse {
  let revision = 0, more = false, count = 0;
  const kvs: KeyValue[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: revision = nested(r, readHeader); break;
      case 0x12: kvs.push(nested(r, readKeyValue)); break;
      case 0x18: more = r.bool(); break;
      case 0x20: count = r.int64(); break;
      default: r.skip(tag & 7);
    }
  }
  return { revision, kvs, more, count };
}

export function decodeRange(msg: Buffer): RangeResponse { return readRange(new ProtoReader(msg)); }

/** ResponseOp {response_range=1, response_put=2, response_delete_range=3, response_txn=4}: the range kvs, if any. */
function readResponseOpRange(r: ProtoReader): KeyValue[] | undefined {
  let kvs: KeyValue[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === 0x0a) kvs = nested(r, readRange).kvs;
    else r.skip(tag & 7);
  }
  return kvs;
}

/** TxnResponse {header=1, succeeded=2, responses=3}. */
export function decodeTxn(msg: Buffer): TxnResponse {
  const r = new ProtoReader(msg);
  const out: TxnResponse = { revision: 0, succeeded: false };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: out.revision = nested(r, readHeader); break;
      case 0x10: out.succeeded = r.bool(); break;
      case 0x1a: { const kvs = nested(r, readResponseOpRange); if (kvs && !out.rangeKvs) out.rangeKvs = kvs; break; }
      default: r.skip(tag & 7);
    }
  }
  return out;
}

/** An int64 varint as a decimal string (lease IDs use all 64 bits). */
function readInt64String(r: ProtoReader): string {
  let n = 0n, shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.end) throw new grpcwire.GrpcError(grpcwire.Code.INTERNAL, 'truncated varint in etcd response');
    const b = r.buf[r.pos++];
    n |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return BigInt.asIntN(64, n).toString();
    shift += 7n;
  }
  throw new grpcwire.GrpcError(grpcwire.Code.INTERNAL, 'malformed varint in etcd response');
}

/** LeaseGrantResponse {header=1, ID=2, TTL=3, error=4}. */
export function decodeLeaseGrant(msg: Buffer): LeaseGrantResponse {
  const r = new ProtoReader(msg);
  const out: LeaseGrantResponse = { revision: 0, id: '0', ttl: 0, error: '' };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: out.revision = nested(r, readHeader); break;
      case 0x10: out.id = readInt64String(r); break;
      case 0x18: out.ttl = r.int64(); break;
      case 0x22: out.error = r.string(); break;
      default: r.skip(tag & 7);
    }
  }
  return out;
}

/** mvccpb.Event {type=1 (PUT 0, DELETE 1), kv=2, prev_kv=3}. */
function readEvent(r: ProtoReader): WatchEventMsg {
  let type: 'put' | 'delete' = 'put', kv: KeyValue | undefined, prevKv: KeyValue | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x08: type = r.int32() === 1 ? 'delete' : 'put'; break;
      case 0x12: kv = nested(r, readKeyValue); break;
      case 0x1a: prevKv = nested(r, readKeyValue); break;
      default: r.skip(tag & 7);
    }
  }
  return { type, kv: kv ?? { key: '', value: EMPTY, createRevision: 0, modRevision: 0, version: 0 }, prevKv };
}

/** WatchResponse {header=1, watch_id=2, created=3, canceled=4, compact_revision=5, cancel_reason=6, fragment=7, events=11}. */
export function decodeWatchResponse(msg: Buffer): WatchResponse {
  const r = new ProtoReader(msg);
  const out: WatchResponse = { revision: 0, watchId: 0, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [] };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: out.revision = nested(r, readHeader); break;
      case 0x10: out.watchId = r.int64(); break;
      case 0x18: out.created = r.bool(); break;
      case 0x20: out.canceled = r.bool(); break;
      case 0x28: out.compactRevision = r.int64(); break;
      case 0x32: out.cancelReason = r.string(); break;
      case 0x38: out.fragment = r.bool(); break;
      case 0x5a: out.events.push(nested(r, readEvent)); break;
      default: r.skip(tag & 7);
    }
  }
  return out;
}
