// The hand-written Response/WatchEvent encoders and decoders agree with protobufjs (the proto's generic codecs):
// code, the JSON bytes, warnings (non-ASCII text included), unknown fields skipped, truncated bytes refused.
import { kubeService, protoKubeService, decodeResponse, decodeWatchEvent } from '@mk8s/proto';
import { encodeResponse, encodeWatchEvent } from './server';

const generic = protoKubeService().service;
const fast = kubeService().service;

describe('pre-encoded gRPC replies', () => {
  it.each([
    [200, '{"kind":"ConfigMap","data":{"k":"väl ✓"}}', []],
    [201, '{}', ['one warning', 'zwei – two']],
    [0, '', []],
    [500, 'x'.repeat(30_000), ['w'.repeat(200)]],
  ] as [number, string, string[]][])('Response code %d', (code, json, warnings) => {
    const decoded = generic.Get.responseDeserialize(encodeResponse(code, json, warnings)) as any;
    expect(decoded.code).toBe(code);
    expect(Buffer.from(decoded.object).toString()).toBe(json);
    expect(decoded.warnings).toEqual(warnings);
    // and it is byte for byte what the generic serializer writes
    expect(encodeResponse(code, json, warnings)).toEqual(generic.Get.responseSerialize({ code, object: Buffer.from(json), warnings }));
    // the hand decoder reads what protobufjs writes
    const mine = decodeResponse(generic.Get.responseSerialize({ code, object: Buffer.from(json), warnings }));
    expect({ ...mine, object: mine.object.toString() }).toEqual({ code, object: json, warnings });
  });

  it('WatchEvent', () => {
    const frame = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'ü' } } }) + '\n';
    const decoded = generic.Watch.responseDeserialize(encodeWatchEvent(frame)) as any;
    expect(decoded.frames.map((f: Uint8Array) => Buffer.from(f).toString())).toEqual([frame]);
    expect(encodeWatchEvent(frame)).toEqual(generic.Watch.responseSerialize({ frames: [Buffer.from(frame)] }));
    expect(decodeWatchEvent(encodeWatchEvent(frame)).frames.map(String)).toEqual([frame]);
    expect(fast.Watch.responseDeserialize(encodeWatchEvent(frame)).frames.map(String)).toEqual([frame]);
  });

  it('concatenated WatchEvents are one WatchEvent with all their frames, in order', () => {
    const frames = ['{"type":"ADDED"}\n', '{"type":"MODIFIED","object":{"k":"ä"}}\n', '{"type":"DELETED"}\n'];
    const joined = Buffer.concat(frames.map(encodeWatchEvent));
    expect((generic.Watch.responseDeserialize(joined) as any).frames.map((f: Uint8Array) => Buffer.from(f).toString())).toEqual(frames);
    expect(decodeWatchEvent(joined).frames.map(String)).toEqual(frames);
  });

  it('the service sends a Buffer as it is and encodes an object like protobufjs', () => {
    const b = encodeWatchEvent('{"type":"ADDED"}\n');
    expect(fast.Watch.responseSerialize(b)).toBe(b);
    const obj = { code: 200, object: Buffer.from('{}'), warnings: ['w'] };
    expect(fast.Get.responseSerialize(obj)).toEqual(generic.Get.responseSerialize(obj));
  });

  it('skips unknown fields of every wire type (a newer apiserver may add some)', () => {
    const known = encodeResponse(201, '{"a":1}', ['x']);
    const extra = Buffer.from([
      (9 << 3) | 0, 0x96, 0x01,                   // varint 150
      (10 << 3) | 2, 3, 0x61, 0x62, 0x63,         // bytes "abc"
      (11 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8,      // fixed64
      (12 << 3) | 5, 1, 2, 3, 4,                  // fixed32
    ]);
    const r = decodeResponse(Buffer.concat([extra, known]));
    expect({ ...r, object: r.object.toString() }).toEqual({ code: 201, object: '{"a":1}', warnings: ['x'] });
    expect(decodeWatchEvent(Buffer.concat([extra, encodeWatchEvent('f')])).frames.map(String)).toEqual(['f']);
  });

  it('an empty message decodes to defaults; truncated or malformed bytes throw', () => {
    expect(decodeResponse(Buffer.alloc(0))).toEqual({ code: 0, object: Buffer.alloc(0), warnings: [] });
    const whole = encodeResponse(200, '{"kind":"List"}', []);
    expect(() => decodeResponse(whole.subarray(0, whole.length - 2))).toThrow(/truncated/);
    expect(() => decodeResponse(Buffer.from([0x08, 0x80]))).toThrow(/truncated varint/);
    expect(() => decodeWatchEvent(Buffer.from([(1 << 3) | 3]))).toThrow(/wire type 3/);
  });
});
