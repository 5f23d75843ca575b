import { schemas } from './schema';
import {
  checkFields, scanJson, strictDecodingMessage, strictDecodingStatusError, fieldValidationWarnings,
  yamlDuplicateKeysError, yamlDuplicateKeyLines,
} from './fieldvalidation';

const pod = () => schemas.forKind('', 'v1', 'Pod')!;
const check = (node = pod(), raw: string) => checkFields(node, JSON.parse(raw), raw);

describe('checkFields (strict decoding findings)', () => {
  it('accepts a valid pod', () => {
    const raw = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }] } });
    expect(check(pod(), raw)).toEqual({ unknown: [], duplicate: [], errors: [] });
  });

  it('reports unknown fields with upstream paths, nested in lists, in document order', () => {
    const raw = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bogus: 1 }, foo: true,
      spec: { foo: 1, containers: [{ name: 'a' }, { name: 'b', bar: 2, ports: [{ containerPort: 1, hostPortt: 2 }] }], bar: 3 } });
    const f = check(pod(), raw);
    expect(f.unknown).toEqual(['metadata.bogus', 'foo', 'spec.foo', 'spec.containers[1].bar', 'spec.containers[1].ports[0].hostPortt', 'spec.bar']);
    expect(f.errors[0]).toBe('unknown field "metadata.bogus"');
    expect(f.duplicate).toEqual([]);
  });

  it('does not descend into an unknown field', () => {
    const f = check(pod(), '{"spec":{"extra":{"deep":{"x":1}}}}');
    expect(f.unknown).toEqual(['spec.extra']);
  });

  it('checks values of maps of objects by their key', () => {
    // Secret.data is map[string]bytes; a map of objects: PodSpec.overhead is a Quantity map (scalar); use a synthetic one
    const node = { type: 'object' as const, properties: { m: { type: 'object' as const, additionalProperties: pod().properties!.spec.properties!.containers.items } } };
    const f = checkFields(node, undefined, '{"m":{"k1":{"name":"x","nope":1},"k1":{"name":"y"}}}');
    expect(f.errors).toEqual(['unknown field "m.k1.nope"', 'duplicate field "m.k1"']);
  });

  it('finds duplicate fields only in the raw text, with their full path', () => {
    const raw = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"c","image":"x","image":"y"}]},"spec":{}}';
    const f = check(pod(), raw);
    expect(f.duplicate).toEqual(['metadata.name', 'spec.containers[0].image', 'spec']);
    expect(f.errors).toEqual(['duplicate field "metadata.name"', 'duplicate field "spec.containers[0].image"', 'duplicate field "spec"']);
    expect(checkFields(pod(), JSON.parse(raw)).duplicate).toEqual([]);
  });

  it('finds a duplicate next to strings that look like keys, and walks bodies without one the same way', () => {
    // an escaped quote before a colon inside a value must not hide the repeated key
    const dup = '{"metadata":{"name":"a\\":","name" : "b"},"spec":{"containers":[{"name":"c\\":\\":"}]}}';
    expect(check(pod(), dup).duplicate).toEqual(['metadata.name']);
    const clean = '{"metadata":{"name":"a","labels":{"k":"v"}},"spec":{"containers":[{"name":"c","bogus":1}],"nope":[1]}}';
    expect(check(pod(), clean)).toEqual(checkFields(pod(), JSON.parse(clean)));
    expect(check(pod(), clean).unknown).toEqual(['spec.containers[0].bogus', 'spec.nope']);
  });

  it('reports a repeated unknown field once', () => {
    const f = check(pod(), '{"spec":{"x":1,"x":2}}');
    expect(f.errors).toEqual(['unknown field "spec.x"']);
  });

  it('skips free-form subtrees (RawExtension, FieldsV1)', () => {
    const cr = schemas.forKind('apps', 'v1', 'ControllerRevision')!;
    expect(check(cr, '{"revision":1,"data":{"anything":{"goes":1},"anything":2}}').errors).toEqual([]);
    const mf = '{"metadata":{"managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}},"nope":1}]}}';
    expect(check(pod(), mf).unknown).toEqual(['metadata.managedFields[0].nope']);
  });

  it('always allows apiVersion, kind and metadata at the top', () => {
    const node = { type: 'object' as const, properties: { spec: { type: 'object' as const, properties: {} } } };
    expect(checkFields(node, { apiVersion: 'x', kind: 'y', metadata: {}, other: 1 }).unknown).toEqual(['other']);
  });

  it('ignores type mismatches and nulls (decoding errors, not strict ones)', () => {
    expect(check(pod(), '{"spec":"text","status":null,"metadata":{"labels":[1,2]}}').errors).toEqual([]);
  });

  it('works on YAML converted to JSON', () => {
    const YAML = require('yaml');
    const obj = YAML.parse('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    imagee: x\n');
    expect(checkFields(pod(), obj, JSON.stringify(obj)).unknown).toEqual(['spec.containers[0].imagee']);
  });

  it('stops at 100 findings', () => {
    const spec: Record<string, number> = {};
    for (let i = 0; i < 150; i++) spec[`f${i}`] = i;
    expect(checkFields(pod(), { spec }).errors).toHaveLength(100);
  });
});

describe('scanJson', () => {
  it('keeps repeated keys and decodes escapes', () => {
    expect(scanJson(' {"a":1,"a":"x\\"y\\u00e9","b":[true,null,-1.5e3]} ')).toEqual({ kind: 'object', entries: [
      ['a', { kind: 'scalar', value: 1 }], ['a', { kind: 'scalar', value: 'x"yé' }],
      ['b', { kind: 'array', items: [{ kind: 'scalar', value: true }, { kind: 'scalar', value: null }, { kind: 'scalar', value: -1500 }] }]] });
  });
  it.each(['{', '{"a" 1}', '[1,]', '{"a":1}x', '"abc', 'tru', ''])('rejects %j with a clear error', bad => {
    expect(() => scanJson(bad)).toThrow(/invalid JSON at offset \d+/);
  });
});

describe('upstream messages', () => {
  it('formats the Strict 400 as upstream', () => {
    const e = strictDecodingStatusError('Pod', 'v1', ['unknown field "spec.foo"', 'unknown field "spec.bar"']);
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe('Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"');
    expect(strictDecodingMessage(['duplicate field "x"'])).toBe('strict decoding error: duplicate field "x"');
  });
  it('formats Warn headers as upstream', () => {
    expect(fieldValidationWarnings(['unknown field "spec.foo"', 'unknown field "spec.foo"', 'a\\b']))
      .toEqual(['299 - "unknown field \\"spec.foo\\""', '299 - "a\\\\b"']);
    expect(fieldValidationWarnings(['bad\nline'])).toEqual([]);
    // UTF-8 bytes, as Go sends them
    expect(Buffer.from(fieldValidationWarnings(['unknown field "é"'])[0], 'latin1').toString('utf8')).toBe('299 - "unknown field \\"é\\""');
  });
  it('reports YAML duplicate keys with their line, as go-yaml', () => {
    const y = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\nspec:\n  containers:\n  - name: c\n    image: x\n    image: y\n';
    expect(yamlDuplicateKeyLines(y)).toEqual(['line 5: key "name" already set in map', 'line 10: key "image" already set in map']);
    expect(yamlDuplicateKeysError(y)).toBe('error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key "name" already set in map\n  line 10: key "image" already set in map');
    expect(yamlDuplicateKeysError('a: 1\nb: 2\n')).toBeUndefined();
  });
});

describe('fieldValidation directive', () => {
  const { fieldValidationDirective, applyFieldValidation } = require('./fieldvalidation');
  it('defaults to Warn and rejects unknown values as upstream', () => {
    expect(fieldValidationDirective(undefined)).toBe('Warn');
    expect(fieldValidationDirective('')).toBe('Warn');
    expect(fieldValidationDirective('Strict')).toBe('Strict');
    let err: any;
    try { fieldValidationDirective('strict', 'PatchOptions'); } catch (e) { err = e; }
    expect(err.code).toBe(422);
    expect(err.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
  });
  it('throws on Strict, warns on Warn (splitting YAML errors), ignores on Ignore', () => {
    const errs = ['error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key "name" already set in map', 'unknown field "spec.foo"'];
    expect(() => applyFieldValidation('Strict', 'Pod', 'v1', errs)).toThrow('Pod in version "v1" cannot be handled as a Pod: strict decoding error: error converting YAML to JSON');
    expect(applyFieldValidation('Warn', 'Pod', 'v1', errs).warnings).toEqual(['299 - "line 5: key \\"name\\" already set in map"', '299 - "unknown field \\"spec.foo\\""']);
    expect(applyFieldValidation('Ignore', 'Pod', 'v1', errs).warnings).toEqual([]);
    expect(applyFieldValidation('Strict', 'Pod', 'v1', []).warnings).toEqual([]);
  });
});
