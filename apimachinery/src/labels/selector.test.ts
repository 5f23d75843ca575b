import { StatusError } from '../api/errors';
import {
  formatLabelSelector, newRequirement, parseLabelSelector, selectorFromLabelSelector, selectorFromSet,
} from './selector';

function parseError(s: string): StatusError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('parseLabelSelector', () => {
  test.each([
    ['x=a', 'x=a'],
    ['x==a', 'x==a'],
    ['x!=a', 'x!=a'],
    ['  x = a , y != b ', 'x=a,y!=b'],
    ['z,y', 'y,z'],
    ['!a', '!a'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x in (b,a)', 'x in (a,b)'],
    ['x=', 'x='],
    ['x in (in)', 'x in (in)'],
    ['example.com/app=web', 'example.com/app=web'],
    ['x>1,y<3', 'x>1,y<3'],
    ['', ''],
  ])('%j round-trips as %j', (input, out) => {
    expect(parseLabelSelector(input).toString()).toBe(out);
  });

  test('requirements are sorted by key with sorted, de-duplicated values', () => {
    const sel = parseLabelSelector('b in (z,y,z),a');
    expect(sel.requirements.map(r => [r.key, r.operator, [...r.values]])).toEqual([
      ['a', 'exists', []], ['b', 'in', ['y', 'z']],
    ]);
  });

  test('matching semantics', () => {
    const l = { app: 'web', tier: 'front', n: '5' };
    expect(parseLabelSelector('app=web').matches(l)).toBe(true);
    expect(parseLabelSelector('app=db').matches(l)).toBe(false);
    expect(parseLabelSelector('app!=db').matches(l)).toBe(true);
    expect(parseLabelSelector('missing!=x').matches(l)).toBe(true);
    expect(parseLabelSelector('tier in (front,back)').matches(l)).toBe(true);
    expect(parseLabelSelector('missing in (a)').matches(l)).toBe(false);
    expect(parseLabelSelector('missing notin (a)').matches(l)).toBe(true);
    expect(parseLabelSelector('tier notin (front)').matches(l)).toBe(false);
    expect(parseLabelSelector('app').matches(l)).toBe(true);
    expect(parseLabelSelector('!app').matches(l)).toBe(false);
    expect(parseLabelSelector('!other').matches(l)).toBe(true);
    expect(parseLabelSelector('n>4,n<6').matches(l)).toBe(true);
    expect(parseLabelSelector('n>5').matches(l)).toBe(false);
    expect(parseLabelSelector('app>1').matches(l)).toBe(false); // non-integer label never compares
    expect(parseLabelSelector('app=web,tier=back').matches(l)).toBe(false);
    expect(parseLabelSelector('x=').matches({ x: '' })).toBe(true);
    expect(parseLabelSelector('x=').matches({})).toBe(false);
    expect(parseLabelSelector('').matches(undefined)).toBe(true);
    expect(parseLabelSelector('a').matches(undefined)).toBe(false);
    expect(parseLabelSelector('!a').matches(undefined)).toBe(true);
  });

  test('empty() and requiresExactMatch', () => {
    expect(parseLabelSelector('').empty()).toBe(true);
    expect(parseLabelSelector('a').empty()).toBe(false);
    const sel = parseLabelSelector('a=1,b in (2),c in (3,4),d!=5');
    expect(sel.requiresExactMatch('a')).toBe('1');
    expect(sel.requiresExactMatch('b')).toBe('2');
    expect(sel.requiresExactMatch('c')).toBeUndefined();
    expect(sel.requiresExactMatch('d')).toBeUndefined();
    expect(sel.requiresExactMatch('zz')).toBeUndefined();
  });

  test.each([
    ['x=a,', "found '', expected: identifier after ','"],
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    [',x', "found ',', expected: !, identifier, or 'end of string'"],
    ['x y', "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a', "unable to parse requirement: found ',', expected: ',' or ')'".replace("','", "''")],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['x=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    ['y<-3', expect.stringContaining('values[0][y]: Invalid value: "-3": a valid label must be')],
    ['x>a', "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ])('%j is rejected with %j', (input, msg) => {
    const e = parseError(input);
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toEqual(msg);
  });

  test('invalid keys and values carry upstream validation texts', () => {
    expect(parseError('a_=b').message).toBe(
      'unable to parse requirement: <nil>: Invalid value: "a_": name part must consist of alphanumeric characters, ' +
      "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or " +
      "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    expect(parseError('Foo.COM/a=b').message).toMatch(/^unable to parse requirement: <nil>: Invalid value: "Foo.COM\/a": prefix part a lowercase RFC 1123 subdomain/);
    expect(parseError('a/b/c').message).toMatch(/a qualified name must consist of .* with an optional DNS subdomain prefix and '\/'/);
    expect(parseError(`${'k'.repeat(64)}`).message).toContain('name part must be no more than 63 characters');
    expect(parseError('app=-x').message).toBe(
      'unable to parse requirement: values[0][app]: Invalid value: "-x": a valid label must be an empty string or ' +
      "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
      "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    expect(parseError(`app=${'v'.repeat(64)}`).message).toMatch(/values\[0\]\[app\]: Invalid value: "v{64}": must be no more than 63 characters$/)
    expect(parseError(`app=-${'v'.repeat(64)}`).message).toContain('must be no more than 63 characters; a valid label');
  });

  test('non-string input is a clear 400, not a crash', () => {
    expect(() => parseLabelSelector(undefined as unknown as string)).toThrow(StatusError);
  });
});

describe('selectorFromLabelSelector', () => {
  test('null matches nothing, {} matches everything', () => {
    expect(selectorFromLabelSelector(null).matches({ a: 'b' })).toBe(false);
    expect(selectorFromLabelSelector(undefined).matches({})).toBe(false);
    expect(selectorFromLabelSelector(null).empty()).toBe(false);
    expect(selectorFromLabelSelector(null).selectable).toBe(false);
    expect(selectorFromLabelSelector({}).matches({ a: 'b' })).toBe(true);
    expect(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).empty()).toBe(true);
  });

  test('matchLabels and matchExpressions combine', () => {
    const sel = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(sel.toString()).toBe('app=web,env notin (prod),!legacy,team,tier in (back,front)');
    expect(sel.matches({ app: 'web', tier: 'front', team: 'x' })).toBe(true);
    expect(sel.matches({ app: 'web', tier: 'front', team: 'x', legacy: '' })).toBe(false);
    expect(sel.matches({ app: 'web', tier: 'front', team: 'x', env: 'prod' })).toBe(false);
    expect(sel.matches({ app: 'web', tier: 'mid', team: 'x' })).toBe(false);
  });

  test('bad operators and values are rejected as upstream', () => {
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }))
      .toThrow('"Gt" is not a valid label selector operator');
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }))
      .toThrow("values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }))
      .toThrow('values: Invalid value: ["x"]: values set must be empty for exists and does not exist');
    expect(() => selectorFromLabelSelector({ matchLabels: { 'a b': 'c' } })).toThrow(/^key: Invalid value: "a b": name part/);
  });

  test('several problems are aggregated in brackets', () => {
    expect(() => newRequirement('-a', 'in', [])).toThrow(/^\[key: Invalid value: "-a": .*, values: Invalid value: \[\]: for 'in', 'notin' operators, values set can't be empty\]$/);
  });
});

describe('selectorFromSet and formatLabelSelector', () => {
  test('selectorFromSet sorts and matches exactly', () => {
    const sel = selectorFromSet({ b: '2', a: '1' });
    expect(sel.toString()).toBe('a=1,b=2');
    expect(sel.matches({ a: '1', b: '2', c: '3' })).toBe(true);
    expect(sel.matches({ a: '1' })).toBe(false);
    expect(selectorFromSet({}).empty()).toBe(true);
    expect(selectorFromSet(undefined).matches({ x: 'y' })).toBe(true);
  });

  test('formatLabelSelector prints as kubectl does', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] }))
      .toBe('app=x,tier in (a,b)');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(null)).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toBe('<error>');
  });

  test('add() returns a new, re-sorted selector', () => {
    const base = parseLabelSelector('b=1');
    const more = base.add(newRequirement('a', '!', []));
    expect(more.toString()).toBe('!a,b=1');
    expect(base.toString()).toBe('b=1');
  });
});
