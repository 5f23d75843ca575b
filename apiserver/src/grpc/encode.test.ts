// The hand-written Response/WatchEvent encodings decode, through the proto's own deserializers, to what
// protobufjs would have produced: code, the JSON bytes, warnings (non-ASCII text included).
import { kubeService } from '@mk8s/proto';
import { encodeResponse, encodeWatchEvent } from './server';

const service = kubeService().service;

describe('pre-encoded gRPC replies', () => {
  it.each([
    [200, '{"kind":"ConfigMap","data":{"k":"väl ✓"}}', []],
    [201, '{}', ['one warning', 'zwei – two']],
    [0, '', []],
    [500, 'x'.repeat(30_000), ['w'.repeat(200)]],
  ] as [number, string, string[]][])('Response code %d', (code, json, warnings) => {
    const decoded = service.Get.responseDeserialize(encodeResponse(code, json, warnings)) as any;
    expect(decoded.code).toBe(code);
    expect(Buffer.from(decoded.object).toString()).toBe(json);
    expect(decoded.warnings).toEqual(warnings);
    // and it is byte for byte what the generic serializer writes
    expect(encodeResponse(code, json, warnings)).toEqual(service.Get.responseSerialize({ code, object: Buffer.from(json), warnings }));
  });

  it('WatchEvent', () => {
    const frame = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'ü' } } }) + '\n';
    const decoded = service.Watch.responseDeserialize(encodeWatchEvent(frame)) as any;
    expect(Buffer.from(decoded.frame).toString()).toBe(frame);
    expect(encodeWatchEvent(frame)).toEqual(service.Watch.responseSerialize({ frame: Buffer.from(frame) }));
  });
});
