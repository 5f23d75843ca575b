import { StatusError } from '../api/errors';
import { escapeFieldValue, fieldSelectorFromSet, parseFieldSelector, unescapeFieldValue } from './selector';

const obj: Record<string, string> = { 'metadata.name': 'web-1', 'metadata.namespace': 'default', 'spec.nodeName': '' };
const get = (f: string) => obj[f];

describe('parseFieldSelector', () => {
  test('operators and matching', () => {
    expect(parseFieldSelector('metadata.name=web-1').matches(get)).toBe(true);
    expect(parseFieldSelector('metadata.name==web-1').matches(get)).toBe(true);
    expect(parseFieldSelector('metadata.name!=web-1').matches(get)).toBe(false);
    expect(parseFieldSelector('metadata.name=web-2').matches(get)).toBe(false);
    expect(parseFieldSelector('spec.nodeName=').matches(get)).toBe(true);
    expect(parseFieldSelector('spec.nodeName!=').matches(get)).toBe(false);
    expect(parseFieldSelector('status.phase=').matches(get)).toBe(true); // missing counts as ""
    expect(parseFieldSelector('metadata.name=web-1,metadata.namespace=kube-system').matches(get)).toBe(false);
    expect(parseFieldSelector('metadata.name=web-1,metadata.namespace=default').matches(get)).toBe(true);
  });

  test('terms are sorted, == becomes =, empty terms skipped', () => {
    const sel = parseFieldSelector('b==2,,a!=1');
    expect(sel.requirements).toEqual([{ field: 'a', op: '!=', value: '1' }, { field: 'b', op: '=', value: '2' }]);
    expect(sel.toString()).toBe('a!=1,b=2');
    expect(parseFieldSelector('').empty()).toBe(true);
    expect(parseFieldSelector('a=b').empty()).toBe(false);
  });

  test('escaped values', () => {
    const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,x=y');
    expect(sel.requirements[0]).toEqual({ field: 'metadata.name', op: '=', value: 'a,b=c\\d' });
    expect(sel.requirements[1]).toEqual({ field: 'x', op: '=', value: 'y' });
    expect(sel.toString()).toBe('metadata.name=a\\,b\\=c\\\\d,x=y');
    expect(escapeFieldValue('a,b=c\\')).toBe('a\\,b\\=c\\\\');
    expect(unescapeFieldValue(escapeFieldValue('x=,\\y'))).toBe('x=,\\y');
  });

  test('first operator position wins (no escaping on the field side)', () => {
    expect(() => parseFieldSelector('a=b=c')).toThrow('invalid field selector: unescaped character in value: 61');
    expect(parseFieldSelector('a!=b\\=c').requirements[0]).toEqual({ field: 'a', op: '!=', value: 'b=c' });
    expect(() => parseFieldSelector('a!==b')).toThrow('invalid field selector: unescaped character in value: 61');
  });

  test.each([
    ['abc', "invalid selector: 'abc'; can't understand 'abc'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('%j is rejected with %j', (input, msg) => {
    let err: unknown;
    try { parseFieldSelector(input); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(400);
    expect((err as StatusError).message).toBe(msg);
  });

  test('requiresExactMatch and fieldSelectorFromSet', () => {
    const sel = parseFieldSelector('spec.nodeName=n1,metadata.name!=x');
    expect(sel.requiresExactMatch('spec.nodeName')).toBe('n1');
    expect(sel.requiresExactMatch('metadata.name')).toBeUndefined();
    expect(fieldSelectorFromSet({ 'metadata.name': 'web-1' }).matches(get)).toBe(true);
    expect(fieldSelectorFromSet(null).empty()).toBe(true);
  });
});
