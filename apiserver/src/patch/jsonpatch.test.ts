import { StatusError } from '@mk8s/apimachinery';
import { applyJsonPatch, parsePointer } from './jsonpatch';
import { PatchApplyError } from './errors';

const doc = () => ({ metadata: { name: 'a', labels: { app: 'x', 'a/b': '1', 'c~d': '2' } }, spec: { list: [1, 2, 3], nested: { v: true } } });

function failure(fn: () => unknown): StatusError {
  try { fn(); } catch (e) { if (e instanceof StatusError) return e; throw e; }
  throw new Error('expected a StatusError');
}

describe('JSON pointer', () => {
  it('unescapes ~1 and ~0 in that order', () => {
    expect(parsePointer('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('/')).toEqual(['']);
  });
  it('refuses pointers without a leading slash or with bad escapes', () => {
    expect(() => parsePointer('a/b')).toThrow(PatchApplyError);
    expect(() => parsePointer('/a~2')).toThrow(PatchApplyError);
    expect(() => parsePointer('/a~')).toThrow(PatchApplyError);
  });
});

describe('applyJsonPatch', () => {
  it('adds, replaces and removes object members', () => {
    const d = doc();
    const out = applyJsonPatch(d, [
      { op: 'add', path: '/metadata/labels/new', value: 'y' },
      { op: 'replace', path: '/metadata/name', value: 'b' },
      { op: 'remove', path: '/spec/nested' },
    ]) as ReturnType<typeof doc>;
    expect(out.metadata.labels).toEqual({ app: 'x', 'a/b': '1', 'c~d': '2', new: 'y' });
    expect(out.metadata.name).toBe('b');
    expect(out.spec).toEqual({ list: [1, 2, 3] });
    expect(d).toEqual(doc()); // input untouched
  });
  it('addresses escaped keys', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'replace', path: '/metadata/labels/a~1b', value: 'slash' },
      { op: 'remove', path: '/metadata/labels/c~0d' },
    ]) as ReturnType<typeof doc>;
    expect(out.metadata.labels).toEqual({ app: 'x', 'a/b': 'slash' });
  });
  it('inserts into arrays by index and appends with -', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'add', path: '/spec/list/0', value: 0 },
      { op: 'add', path: '/spec/list/-', value: 9 },
      { op: 'add', path: '/spec/list/5', value: 10 },
    ]) as ReturnType<typeof doc>;
    expect(out.spec.list).toEqual([0, 1, 2, 3, 9, 10]);
  });
  it('supports negative indexes as upstream library does', () => {
    expect((applyJsonPatch(doc(), [{ op: 'remove', path: '/spec/list/-1' }]) as ReturnType<typeof doc>).spec.list).toEqual([1, 2]);
    expect((applyJsonPatch(doc(), [{ op: 'replace', path: '/spec/list/-3', value: 7 }]) as ReturnType<typeof doc>).spec.list).toEqual([7, 2, 3]);
  });
  it('moves and copies', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/application' },
      { op: 'copy', from: '/spec/list', path: '/spec/copy' },
      { op: 'add', path: '/spec/copy/-', value: 4 },
    ]) as { metadata: { labels: Record<string, string> }; spec: { list: number[]; copy: number[] } };
    expect(out.metadata.labels.application).toBe('x');
    expect(out.metadata.labels.app).toBeUndefined();
    expect(out.spec.list).toEqual([1, 2, 3]);
    expect(out.spec.copy).toEqual([1, 2, 3, 4]);
  });
  it('refuses moving a value into its own child', () => {
    expect(() => applyJsonPatch(doc(), [{ op: 'move', from: '/spec', path: '/spec/nested/x' }])).toThrow(PatchApplyError);
  });
  it('passes matching tests and treats a missing path as null', () => {
    expect(() => applyJsonPatch(doc(), [{ op: 'test', path: '/spec/list', value: [1, 2, 3] }])).not.toThrow();
    expect(() => applyJsonPatch(doc(), [{ op: 'test', path: '/metadata/labels', value: { app: 'x', 'a/b': '1', 'c~d': '2' } }])).not.toThrow();
    expect(() => applyJsonPatch(doc(), [{ op: 'test', path: '/metadata/missing', value: null }])).not.toThrow();
  });
  it('fails a test with upstream generic 422 body', () => {
    const e = failure(() => applyJsonPatch(doc(), [{ op: 'test', path: '/metadata/name', value: 'other' }]));
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.message).toBe('the server rejected our request due to an error in our request');
    expect(e.toStatus()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'the server rejected our request due to an error in our request', reason: 'Invalid', details: {}, code: 422 });
    expect((e as PatchApplyError).detail).toBe('testing value /metadata/name failed: test failed');
  });
  it.each([
    [[{ op: 'remove', path: '/metadata/nope' }], 'Unable to remove nonexistent key: nope: missing value'],
    [[{ op: 'replace', path: '/metadata/nope', value: 1 }], 'replace operation does not apply: doc is missing key: /metadata/nope: missing value'],
    [[{ op: 'add', path: '/nope/deeper', value: 1 }], 'add operation does not apply: doc is missing path: "/nope/deeper"'],
    [[{ op: 'add', path: '/spec/list/7', value: 1 }], 'Unable to access invalid index: 7 (/spec/list/7)'],
    [[{ op: 'remove', path: '/spec/list/3' }], 'Unable to access invalid index: 3 (/spec/list/3)'],
    [[{ op: 'add', path: '/spec/list/x', value: 1 }], "value was not a proper array index: 'x' (/spec/list/x)"],
    [[{ op: 'frobnicate', path: '/a' }], 'Unexpected kind: frobnicate'],
    [[{ path: '/a' }], 'Unexpected kind: unknown'],
    [[{ op: 'add', value: 1 }], 'operation missing path field'],
    [[{ op: 'add', path: '/a' }], 'add operation missing value'],
    [[{ op: 'copy', from: '/nope', path: '/a' }], 'copy operation does not apply: doc is missing from path: /nope'],
  ])('refuses %j with 422 (%s)', (ops, detail) => {
    const e = failure(() => applyJsonPatch(doc(), ops));
    expect(e.code).toBe(422);
    expect((e as PatchApplyError).detail).toBe(detail);
  });
  it('answers 400 for a body that is not a list of operations', () => {
    const e1 = failure(() => applyJsonPatch(doc(), { op: 'add' }));
    expect(e1.code).toBe(400);
    expect(e1.reason).toBe('BadRequest');
    expect(e1.message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    const e2 = failure(() => applyJsonPatch(doc(), ['x']));
    expect(e2.code).toBe(400);
    expect(e2.message).toBe('json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  });
  it('refuses more than 10000 operations with 413', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/spec/nested/v', value: true }));
    const e = failure(() => applyJsonPatch(doc(), ops));
    expect(e.code).toBe(413);
    expect(e.message).toBe('Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
  });
  it('leaves the input alone when a later operation fails', () => {
    const d = doc();
    expect(() => applyJsonPatch(d, [{ op: 'remove', path: '/spec/list' }, { op: 'test', path: '/x', value: 1 }])).toThrow();
    expect(d.spec.list).toEqual([1, 2, 3]);
  });
  it('replaces the whole document with an empty path', () => {
    expect(applyJsonPatch(doc(), [{ op: 'replace', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
  });
  it('does not alias added values with the patch', () => {
    const value = { deep: [1] };
    const out = applyJsonPatch({}, [{ op: 'add', path: '/v', value }]) as { v: { deep: number[] } };
    out.v.deep.push(2);
    expect(value.deep).toEqual([1]);
  });
});
