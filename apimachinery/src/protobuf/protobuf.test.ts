import fs from 'fs';
import path from 'path';
import { StatusError } from '../api/errors';
import { decodeKubeProtobuf, decodeProtobufMessage } from './decode';
import { encodeKubeProtobuf, encodeProtobufMessage } from './encode';
import { servedProtobufKinds } from './schema';
import { GO_ZERO_TIME_UNIX, formatGoDuration, parseGoDuration } from './gotime';
import { Writer } from './wire';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'protobuf');
const read = (...p: string[]) => fs.readFileSync(path.join(FIXTURES, ...p));
const readJSON = (...p: string[]) => JSON.parse(read(...p).toString('utf8'));
const fixtureNames = (dir: string) =>
  fs.readdirSync(path.join(FIXTURES, dir)).filter(f => f.endsWith('.pb')).map(f => f.slice(0, -3)).sort();

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Expects fn to throw a 400 StatusError whose message matches. */
function expectBadRequest(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try { fn(); } catch (e) { thrown = e; }
  expect(thrown).toBeInstanceOf(StatusError);
  expect((thrown as StatusError).code).toBe(400);
  if (message) expect((thrown as StatusError).message).toMatch(message);
}

describe('bodies captured from kubectl 1.32 (test/fixtures/protobuf/kubectl)', () => {
  const names = fixtureNames('kubectl');
  test('the capture covers every kubectl create generator that sends protobuf', () => {
    const kinds = new Set(names.map(n => readJSON('kubectl', `${n}.json`).kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'CronJob', 'Deployment', 'Job', 'Namespace', 'PodDisruptionBudget',
      'PriorityClass', 'ResourceQuota', 'Secret', 'Service', 'ServiceAccount', 'TokenRequest']);
  });
  test.each(names)('%s decodes to the JSON kubectl prints for the same command', name => {
    const body = read('kubectl', `${name}.pb`);
    const twin = readJSON('kubectl', `${name}.json`);
    const decoded = decodeKubeProtobuf(body);
    expect(decoded.object).toEqual(twin);
    expect(decoded.apiVersion).toBe(twin.apiVersion);
    expect(decoded.kind).toBe(twin.kind);
  });
  test.each(names)('%s: our encoder reproduces kubectl\'s bytes exactly', name => {
    expect(encodeKubeProtobuf(readJSON('kubectl', `${name}.json`)).equals(read('kubectl', `${name}.pb`))).toBe(true);
  });
});

describe('per-kind corpus (test/fixtures/protobuf/kinds)', () => {
  const names = fixtureNames('kinds');
  test('has a fixture for every served kind', () => {
    const have = new Set(names.map(n => { const o = readJSON('kinds', `${n}.json`); return `${o.apiVersion}/${o.kind}`; }));
    for (const k of servedProtobufKinds()) {
      expect(have.has(k.startsWith('*/') ? `v1/${k.slice(2)}` : k)).toBe(true);
    }
  });
  test.each(names)('%s decodes to its JSON twin and re-encodes to the same bytes', name => {
    const body = read('kinds', `${name}.pb`);
    const twin = readJSON('kinds', `${name}.json`);
    expect(decodeKubeProtobuf(body).object).toEqual(twin);
    expect(encodeKubeProtobuf(twin).equals(body)).toBe(true);
  });
});

describe('Go encoding/json semantics', () => {
  const deployment = (spec: Record<string, unknown>) =>
    decodeKubeProtobuf(encodeKubeProtobuf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec })).object;

  test('a pointer set to zero is kept; an unset pointer is dropped', () => {
    expect((deployment({ replicas: 0 }).spec as Record<string, unknown>).replicas).toBe(0);
    expect(deployment({}).spec).not.toHaveProperty('replicas');
  });
  test('omitempty drops zero scalars of non-pointer fields, non-omitempty keeps them', () => {
    const spec = deployment({ minReadySeconds: 0, paused: false }).spec as Record<string, unknown>;
    expect(spec).not.toHaveProperty('minReadySeconds');
    expect(spec).not.toHaveProperty('paused');
    // core/v1 Event.reportingComponent has no omitempty: "" is printed.
    const ev = decodeKubeProtobuf(encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' } })).object;
    expect(ev.reportingComponent).toBe('');
    expect(ev.eventTime).toBeNull();
    expect(ev.involvedObject).toEqual({});
  });
  test('structs are never omitted: zero ObjectMeta time prints null, empty status prints {}', () => {
    const o = decodeKubeProtobuf(encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } })).object;
    expect(o).toEqual({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'n', creationTimestamp: null }, spec: {}, status: {} });
  });
  test('nil slices and maps without omitempty print null', () => {
    const o = decodeKubeProtobuf(encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).object;
    expect((o.spec as Record<string, unknown>).containers).toBeNull();
  });
  test('inline (embedded) structs are flattened', () => {
    const o = decodeKubeProtobuf(encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } })).object;
    expect((o.spec as Record<string, unknown[]>).volumes[0]).toEqual({ name: 'v', emptyDir: {} });
  });
});

describe('special types', () => {
  test('Time prints RFC3339 seconds in UTC and drops nanoseconds; MicroTime keeps 6 digits', () => {
    const t = encodeProtobufMessage(`${META}.Time`, '2024-01-02T04:04:05.987654321+01:00');
    expect(decodeProtobufMessage(`${META}.Time`, t)).toBe('2024-01-02T03:04:05Z');
    const mt = encodeProtobufMessage(`${META}.MicroTime`, '2024-01-02T03:04:05.987654321Z');
    expect(decodeProtobufMessage(`${META}.MicroTime`, mt)).toBe('2024-01-02T03:04:05.987654Z');
    expect(decodeProtobufMessage(`${META}.Time`, Buffer.alloc(0))).toBeNull();
    // Go's zero time (year 1) and the Unix epoch are different things.
    const zero = new Writer();
    zero.tag(1, 0); zero.int64(GO_ZERO_TIME_UNIX);
    expect(decodeProtobufMessage(`${META}.Time`, zero.finish())).toBeNull();
    expect(decodeProtobufMessage(`${META}.Time`, Buffer.from([0x08, 0x00, 0x10, 0x00]))).toBe('1970-01-01T00:00:00Z');
    expect(decodeProtobufMessage(`${META}.Time`, encodeProtobufMessage(`${META}.Time`, '1969-12-31T23:59:59Z'))).toBe('1969-12-31T23:59:59Z');
  });
  test('Duration prints as Go time.Duration.String', () => {
    const cases: [string, string][] = [['0', '0s'], ['90s', '1m30s'], ['1h', '1h0m0s'], ['1.5s', '1.5s'],
      ['1500us', '1.5ms'], ['999ns', '999ns'], ['-2m3.25s', '-2m3.25s'], ['26h3m', '26h3m0s']];
    for (const [input, printed] of cases) {
      expect(decodeProtobufMessage(`${META}.Duration`, encodeProtobufMessage(`${META}.Duration`, input))).toBe(printed);
    }
    expect(formatGoDuration(parseGoDuration('1h2m3.004005006s'))).toBe('1h2m3.004005006s');
    expectBadRequest(() => encodeProtobufMessage(`${META}.Duration`, '5 minutes'), /invalid duration|unknown unit/);
  });
  test('IntOrString is a number or a string; an impossible type is a 400', () => {
    const ios = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
    expect(decodeProtobufMessage(ios, encodeProtobufMessage(ios, 8080))).toBe(8080);
    expect(decodeProtobufMessage(ios, encodeProtobufMessage(ios, '25%'))).toBe('25%');
    expect(decodeProtobufMessage(ios, encodeProtobufMessage(ios, -1))).toBe(-1);
    expectBadRequest(() => decodeProtobufMessage(ios, Buffer.from([0x08, 0x02])), /impossible type 2/);
  });
  test('Quantity is a string; an unparseable one is a 400', () => {
    const q = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
    expect(decodeProtobufMessage(q, encodeProtobufMessage(q, '1500m'))).toBe('1500m');
    expect(decodeProtobufMessage(q, Buffer.alloc(0))).toBe('0');
    expectBadRequest(() => decodeProtobufMessage(q, Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63])), /quantity "abc"/);
  });
  test('bytes print as base64; RawExtension as embedded JSON or a nested protobuf object', () => {
    const cm = decodeKubeProtobuf(encodeKubeProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' },
      binaryData: { b: Buffer.from([0, 1, 255]).toString('base64') } })).object;
    expect(cm.binaryData).toEqual({ b: 'AAH/' });
    const nested = encodeKubeProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inner' } });
    const raw = 'k8s.io.apimachinery.pkg.runtime.RawExtension';
    const withNested = Buffer.concat([Buffer.from([0x0a, nested.length]), nested]);
    expect(decodeProtobufMessage(raw, withNested)).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'inner', creationTimestamp: null } });
    expect(decodeProtobufMessage(raw, encodeProtobufMessage(raw, { a: [1, 'x'] }))).toEqual({ a: [1, 'x'] });
    expectBadRequest(() => decodeProtobufMessage(raw, Buffer.from([0x0a, 0x02, 0x7b, 0x7b])), /does not hold JSON/);
  });
  test('64-bit and negative integers survive the round trip', () => {
    const pc = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'p', creationTimestamp: null }, value: -2147483648 };
    expect(decodeKubeProtobuf(encodeKubeProtobuf(pc)).object).toEqual(pc);
    const opts = { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: -9007199254740991 };
    expect(decodeKubeProtobuf(encodeKubeProtobuf(opts)).object.gracePeriodSeconds).toBe(-9007199254740991);
  });
});

describe('wire-level leniency as gogo-protobuf', () => {
  test('unknown fields are skipped and packed repeated numbers are accepted', () => {
    // PodSecurityContext.supplementalGroups (field 4, repeated int64), packed, plus unknown field 99.
    const body = Buffer.from([0x22, 0x02, 0x01, 0x02, 0x98, 0x06, 0x05, 0x20, 0x00]);
    const v = decodeProtobufMessage('k8s.io.api.core.v1.PodSecurityContext', body) as Record<string, unknown>;
    expect(v.supplementalGroups).toEqual([1, 2, 0]);
    const v2 = decodeProtobufMessage('k8s.io.api.core.v1.PodSecurityContext', Buffer.from([0x20, 0x07, 0x20, 0x08])) as Record<string, unknown>;
    expect(v2.supplementalGroups).toEqual([7, 8]);
  });
});

describe('bad input is a 400, never a crash', () => {
  const pod = read('kinds', 'v1-Pod.pb');

  test('missing or wrong magic', () => {
    expectBadRequest(() => decodeKubeProtobuf(Buffer.alloc(0)), /does not start with the Kubernetes protobuf prefix/);
    expectBadRequest(() => decodeKubeProtobuf(Buffer.from('{"kind":"Pod"}')), /prefix/);
  });
  test('every truncation of a Pod body is rejected', () => {
    // Cuts at a field boundary of the envelope are complete messages: after typeMeta, and before or after the
    // (empty) contentEncoding/contentType fields that follow raw. Every other cut must be refused.
    const rawTagAt = 6 + pod[5];
    expect(pod[rawTagAt]).toBe(0x12);
    const wholeEnvelopes = new Set([rawTagAt, pod.length - 4, pod.length - 2]);
    for (let n = 4; n < pod.length; n++) {
      if (!wholeEnvelopes.has(n)) expectBadRequest(() => decodeKubeProtobuf(pod.subarray(0, n)));
    }
  });
  test('unknown kind, missing kind, content encoding', () => {
    const env = (typeMeta: Buffer, extra: number[] = []) =>
      Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, 0x00, ...extra])]);
    const tm = (apiVersion: string, kind: string) =>
      Buffer.concat([Buffer.from([0x0a, apiVersion.length]), Buffer.from(apiVersion), Buffer.from([0x12, kind.length]), Buffer.from(kind)]);
    expectBadRequest(() => decodeKubeProtobuf(env(tm('v1', 'Widget'))), /no kind "Widget" is registered for version "v1"/);
    expectBadRequest(() => decodeKubeProtobuf(env(tm('v1', ''))), /Kind' is missing/);
    expectBadRequest(() => decodeKubeProtobuf(env(tm('v1', 'Pod'), [0x1a, 0x04, ...Buffer.from('gzip')])), /contentEncoding "gzip"/);
    expect(decodeKubeProtobuf(env(tm('v1', 'Namespace'))).object).toEqual(
      { kind: 'Namespace', apiVersion: 'v1', metadata: { creationTimestamp: null }, spec: {}, status: {} });
  });
  test('a wrong wire type names the field', () => {
    // Namespace with metadata (field 1) sent as a varint.
    const tm = Buffer.from([0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, ...Buffer.from('Namespace')]);
    const raw = Buffer.from([0x08, 0x01]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, tm.length]), tm, Buffer.from([0x12, raw.length]), raw]);
    expectBadRequest(() => decodeKubeProtobuf(body), /at metadata: v1 Namespace: field 1 has wire type 0, expected 2/);
  });
  test('random corruption of a Pod body either decodes or is a 400', () => {
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(pod);
      const flips = 1 + (rnd() % 4);
      for (let j = 0; j < flips; j++) b[4 + (rnd() % (b.length - 4))] = rnd() & 0xff;
      try {
        const out = decodeKubeProtobuf(b);
        expect(typeof out.object).toBe('object');
      } catch (e) {
        expect(e).toBeInstanceOf(StatusError);
        expect((e as StatusError).code).toBe(400);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
  test('deeply nested raw extensions are refused', () => {
    let inner: Buffer = encodeKubeProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    // ControllerRevision.data (field 2) holding a ControllerRevision, 80 levels deep.
    for (let i = 0; i < 80; i++) {
      const raw = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
      const cr = Buffer.concat([Buffer.from([0x12]), varint(raw.length), raw]);
      const tm = Buffer.from([0x0a, 0x07, ...Buffer.from('apps/v1'), 0x12, 0x12, ...Buffer.from('ControllerRevision')]);
      inner = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, tm.length]), tm, Buffer.from([0x12]), varint(cr.length), cr]);
    }
    expectBadRequest(() => decodeKubeProtobuf(inner), /nested deeper than 64/);
  });
  test('the encoder rejects values of the wrong shape', () => {
    expectBadRequest(() => encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Pod', spec: { containers: 'x' } }), /at spec.containers: .*expected an array/);
    expectBadRequest(() => encodeKubeProtobuf({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 1.5 } }), /expected an integer/);
    expectBadRequest(() => encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Secret', data: { a: '!!' } }), /base64/);
    expectBadRequest(() => encodeKubeProtobuf({ apiVersion: 'v1', kind: 'Nope' }), /no kind "Nope"/);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}
