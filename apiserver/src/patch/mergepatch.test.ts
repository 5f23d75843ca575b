import { StatusError } from '@mk8s/apimachinery';
import { applyMergePatch, createMergePatch } from './mergepatch';

describe('applyMergePatch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (doc, patch, want) => {
    expect(applyMergePatch(doc, patch)).toEqual(want);
  });
  it('replaces lists wholesale, dropping nulls inside objects but keeping null elements', () => {
    expect(applyMergePatch({ l: [1, 2] }, { l: [{ a: 1, b: null }, null] })).toEqual({ l: [{ a: 1 }, null] });
  });
  it('treats a list patch as the new document', () => {
    expect(applyMergePatch({ a: 1 }, [1, 2])).toEqual([1, 2]);
  });
  it('refuses a null or scalar patch with 400 Invalid JSON Patch', () => {
    for (const p of [null, 5, 'x', true]) {
      let err: unknown;
      try { applyMergePatch({ a: 1 }, p); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe('Invalid JSON Patch');
    }
  });
  it('never mutates its inputs', () => {
    const doc = { a: { b: 1 } }, patch = { a: { c: 2 } };
    const out = applyMergePatch(doc, patch) as { a: Record<string, number> };
    out.a.d = 3;
    expect(doc).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });
});

describe('createMergePatch', () => {
  it('produces additions, changes and null deletions', () => {
    const original = { a: 1, b: { c: 2, d: 3 }, l: [1], gone: true };
    const modified = { a: 2, b: { c: 2, e: 4 }, l: [1, 2], added: 'x' };
    const patch = createMergePatch(original, modified);
    expect(patch).toEqual({ a: 2, b: { d: null, e: 4 }, l: [1, 2], added: 'x', gone: null });
    expect(applyMergePatch(original, patch)).toEqual(modified);
  });
  it('is empty for equal documents', () => {
    expect(createMergePatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({});
  });
});
