// The hand codecs against protobufjs reading etcd's own rpc.proto / kv.proto (as shipped in the etcd3 package).
import path from 'node:path';
import * as pb from 'protobufjs';
import Long from 'long';
import {
  encodeRange, encodeCasTxn, encodeCompaction, encodeLeaseGrant, encodeWatchCreate, leaseVarint,
  decodeRange, decodeTxn, decodeLeaseGrant, decodeWatchResponse,
} from './etcdrpc';

const root = new pb.Root();
root.resolvePath = (_origin, target) => path.join(path.dirname(require.resolve('etcd3/package.json')), 'proto', target);
root.loadSync('rpc.proto', { keepCase: true });
const T = (name: string) => root.lookupType(name);
/** Strip the 5 bytes left for the gRPC prefix, decode with protobufjs into plain JSON-ish objects. */
const read = (name: string, framed: Buffer, prefix = 5) =>
  T(name).toObject(T(name).decode(framed.subarray(prefix)), { longs: String, bytes: String, defaults: false, oneofs: true });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const write = (name: string, obj: object) => Buffer.from(T(name).encode(T(name).fromObject(obj)).finish());

describe('etcd request encoders', () => {
  it('RangeRequest with every option used', () => {
    expect(read('etcdserverpb.RangeRequest', encodeRange(Buffer.from('/registry/pods/'), { rangeEnd: Buffer.from('/registry/pods0'), limit: 500, revision: 2 ** 40 + 3, countOnly: true })))
      .toEqual({ key: b64('/registry/pods/'), range_end: b64('/registry/pods0'), limit: '500', revision: String(2 ** 40 + 3), count_only: true });
    expect(read('etcdserverpb.RangeRequest', encodeRange(Buffer.from('k')))).toEqual({ key: b64('k') });
  });

  it('a create txn: compare mod_revision == 0 (written although 0), put with a full int64 lease', () => {
    const lease = '7587869239872838413';
    const m = read('etcdserverpb.TxnRequest', encodeCasTxn(Buffer.from('/a/b'), 0, { put: Buffer.from('{"v":1}'), lease }, false));
    expect(m).toEqual({
      compare: [{ target: 2, key: b64('/a/b'), mod_revision: '0', target_union: 'mod_revision' }],
      success: [{ request_put: { key: b64('/a/b'), value: b64('{"v":1}'), lease }, request: 'request_put' }],
    });
  });

  it('an update txn reads the key on failure; a delete txn deletes it', () => {
    const value = Buffer.alloc(200_000, 0x41); // multi-byte lengths at every level
    const u = read('etcdserverpb.TxnRequest', encodeCasTxn(Buffer.from('/k'), 123456789, { put: value }, true));
    expect(u.compare[0].mod_revision).toBe('123456789');
    expect(u.success[0].request_put.value).toBe(value.toString('base64'));
    expect(u.success[0].request_put.lease).toBeUndefined();
    expect(u.failure).toEqual([{ request_range: { key: b64('/k') }, request: 'request_range' }]);
    const d = read('etcdserverpb.TxnRequest', encodeCasTxn(Buffer.from('/k'), 7, { delete: true }, true));
    expect(d.success).toEqual([{ request_delete_range: { key: b64('/k') }, request: 'request_delete_range' }]);
  });

  it('compaction, lease grant and watch create', () => {
    expect(read('etcdserverpb.CompactionRequest', encodeCompaction(99))).toEqual({ revision: '99' });
    expect(read('etcdserverpb.LeaseGrantRequest', encodeLeaseGrant(3660))).toEqual({ TTL: '3660' });
    expect(read('etcdserverpb.WatchRequest', encodeWatchCreate(Buffer.from('/p/'), Buffer.from('/p0'), 42, true), 0)).toEqual({
      create_request: { key: b64('/p/'), range_end: b64('/p0'), start_revision: '42', prev_kv: true }, request_union: 'create_request',
    });
  });

  it('refuses negative or fractional revisions and malformed lease IDs', () => {
    expect(() => encodeRange(Buffer.from('k'), { revision: -1 })).toThrow(/non-negative integer/);
    expect(() => encodeCasTxn(Buffer.from('k'), 1.5, { delete: true }, false)).toThrow(/non-negative integer/);
    expect(() => leaseVarint('12ab')).toThrow(/decimal int64/);
    expect(() => leaseVarint('99999999999999999999')).toThrow(/int64/);
    expect([...leaseVarint('-1')]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe('etcd response decoders', () => {
  const kv = (key: string, value: string, mod: number) => ({ key: Buffer.from(key), value: Buffer.from(value), create_revision: 2, mod_revision: mod, version: 3, lease: Long.fromString('7587869239872838413') });

  it('RangeResponse: header revision, kvs as views, more and count', () => {
    const m = decodeRange(write('etcdserverpb.RangeResponse', {
      header: { cluster_id: Long.fromString('14841639068965178418', true), member_id: 1, revision: 2 ** 45, raft_term: 9 },
      kvs: [kv('/a', 'x', 5), kv('/b', 'é', 6)], more: true, count: 17,
    }));
    expect(m.revision).toBe(2 ** 45);
    expect(m.more).toBe(true);
    expect(m.count).toBe(17);
    expect(m.kvs.map(k => [k.key, k.value.toString(), k.createRevision, k.modRevision, k.version])).toEqual([['/a', 'x', 2, 5, 3], ['/b', 'é', 2, 6, 3]]);
  });

  it('TxnResponse: succeeded, and the range of a failed compare', () => {
    expect(decodeTxn(write('etcdserverpb.TxnResponse', { header: { revision: 10 }, succeeded: true, responses: [{ response_put: { header: { revision: 10 } } }] })))
      .toEqual({ revision: 10, succeeded: true });
    const lost = decodeTxn(write('etcdserverpb.TxnResponse', { header: { revision: 11 }, responses: [{ response_range: { header: { revision: 11 }, kvs: [kv('/k', 'now', 9)], count: 1 } }] }));
    expect(lost.succeeded).toBe(false);
    expect(lost.rangeKvs!.map(k => [k.key, k.value.toString(), k.modRevision])).toEqual([['/k', 'now', 9]]);
    const gone = decodeTxn(write('etcdserverpb.TxnResponse', { header: { revision: 11 }, responses: [{ response_range: { header: { revision: 11 } } }] }));
    expect(gone.rangeKvs).toEqual([]);
  });

  it('LeaseGrantResponse keeps the full int64 ID', () => {
    expect(decodeLeaseGrant(write('etcdserverpb.LeaseGrantResponse', { header: { revision: 3 }, ID: Long.fromString('7587869239872838413'), TTL: 3660 })))
      .toEqual({ revision: 3, id: '7587869239872838413', ttl: 3660, error: '' });
  });

  it('WatchResponse: created, events with prev_kv, compaction and cancel', () => {
    const w = decodeWatchResponse(write('etcdserverpb.WatchResponse', {
      header: { revision: 20 }, watch_id: 0,
      events: [{ type: 0, kv: kv('/a', 'v2', 19), prev_kv: kv('/a', 'v1', 12) }, { type: 1, kv: { key: Buffer.from('/b'), mod_revision: 20 }, prev_kv: kv('/b', 'old', 4) }],
    }));
    expect(w.events.map(e => [e.type, e.kv.key, e.kv.value.toString(), e.kv.modRevision, e.prevKv?.value.toString()]))
      .toEqual([['put', '/a', 'v2', 19, 'v1'], ['delete', '/b', '', 20, 'old']]);
    expect(decodeWatchResponse(write('etcdserverpb.WatchResponse', { header: { revision: 5 }, watch_id: 3, created: true }))).toMatchObject({ created: true, watchId: 3, revision: 5 });
    expect(decodeWatchResponse(write('etcdserverpb.WatchResponse', { watch_id: 1, canceled: true, compact_revision: 40, cancel_reason: 'compacted' })))
      .toMatchObject({ canceled: true, compactRevision: 40, cancelReason: 'compacted' });
  });

  it('a truncated response is an error, not a crash', () => {
    const full = write('etcdserverpb.RangeResponse', { header: { revision: 2 }, kvs: [kv('/a', 'x', 5)] });
    expect(() => decodeRange(full.subarray(0, full.length - 3))).toThrow(/truncated|end of data/);
  });
});
