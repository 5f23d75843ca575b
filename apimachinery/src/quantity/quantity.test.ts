import { parseQuantity, Quantity, QuantityParseError, tryParseQuantity } from './quantity';

const str = (s: string) => parseQuantity(s).toString();

describe('parseQuantity canonical form (upstream TestQuantityParseEmit and friends)', () => {
  test.each([
    ['1Ki', '1Ki'], ['1Mi', '1Mi'], ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1000M', '1G'],
    ['.001Ki', '1024m'], ['.000001Ki', '1024u'], ['.000000001Ki', '1024n'], ['.000000000001Ki', '2n'],
    ['1000m', '1'], ['0.5', '500m'], ['1.5', '1500m'], ['1.5Gi', '1536Mi'], ['100m', '100m'],
    ['1000', '1k'], ['1500', '1500'], ['50k', '50k'], ['0.0005k', '500m'], ['1e3', '1e3'], ['1.5e3', '1500'],
    ['1E6', '1E6'], ['1.2e-3', '1200e-6'], ['0.0012', '1200u'], ['3.001n', '4n'], ['0.9n', '1n'], ['0.00000012345', '124n'],
    ['12E', '12E'], ['9Ei', '9223372036854775807'], ['1023Ki', '1023Ki'],
    ['0.5Mi', '512Ki'], ['100.035Ki', '102435840m'], ['1.G', '1.G'], ['1.0G', '1G'], ['1.', '1.'], ['01', '01'], ['1.0', '1'], ['.001', '1m'],
    ['0', '0'], ['0Ki', '0'], ['00', '0'], ['0.0', '0'], ['-0', '0'], ['1000E', '1e21'],
    ['-1.5', '-1500m'], ['-1Ki', '-1Ki'], ['-1024Mi', '-1Gi'], ['+1', '+1'], ['+1000', '1k'],
  ])('%s -> %s', (input, out) => {
    expect(str(input)).toBe(out);
  });

  test('formats follow the suffix, sub-unit binary amounts become decimal', () => {
    expect(parseQuantity('1Ki').format).toBe('BinarySI');
    expect(parseQuantity('1k').format).toBe('DecimalSI');
    expect(parseQuantity('1e3').format).toBe('DecimalExponent');
    expect(parseQuantity('0.000000000001Ki').format).toBe('DecimalSI');
    expect(parseQuantity('9223372036854775807Ki').cmp(parseQuantity('9223372036854775807'))).toBe(0);
  });

  test.each([
    ['', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1x', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1.5.5', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1KiB', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['abc', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1K', "unable to parse quantity's suffix"],
    ['1e', "unable to parse quantity's suffix"],
    ['1mk', "unable to parse quantity's suffix"],
    ['1e-', "unable to parse quantity's suffix"],
    ['Ei', 'unable to parse numeric part of quantity'],
    ['1e5000', 'quantity is too large: exponent 5000 exceeds 1000'],
  ])('%j is rejected: %s', (input, msg) => {
    expect(() => parseQuantity(input)).toThrow(QuantityParseError);
    expect(() => parseQuantity(input)).toThrow(msg);
  });

  test('non-strings are rejected, not crashed on', () => {
    expect(() => parseQuantity(5 as unknown as string)).toThrow(QuantityParseError);
    expect(tryParseQuantity('1Q')).toEqual({ error: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" });
    expect('quantity' in tryParseQuantity('2Gi')).toBe(true);
  });

  test('very small exponents round up to one nanounit without huge arithmetic', () => {
    expect(str('1e-999999999')).toBe('1e-9');
    expect(str('-1e-999999999')).toBe('-1e-9');
    expect(str('1e-999999999').length).toBeLessThan(10);
    expect(parseQuantity('1e-999999999').nanoValueBigInt()).toBe(1n);
    expect(str('0e-999999999')).toBe('0');
  });
});

describe('values and arithmetic', () => {
  test('value and milliValue round up', () => {
    expect(parseQuantity('100m').milliValue()).toBe(100);
    expect(parseQuantity('100m').value()).toBe(1);
    expect(parseQuantity('1.5').value()).toBe(2);
    expect(parseQuantity('2').value()).toBe(2);
    expect(parseQuantity('1Gi').value()).toBe(1073741824);
    expect(parseQuantity('1Gi').milliValue()).toBe(1073741824000);
    expect(parseQuantity('1n').milliValue()).toBe(1);
    expect(parseQuantity('-1.5').value()).toBe(-2);
    expect(parseQuantity('8Ei').valueBigInt()).toBe(2n ** 63n - 1n); // binary amounts are capped at 2^63-1
    expect(parseQuantity('7Ei').valueBigInt()).toBe(7n * 2n ** 60n);
    expect(parseQuantity('12E').valueBigInt()).toBe(12n * 10n ** 18n);
  });

  test('cmp, add, sub, mul, neg are exact and immutable', () => {
    const a = parseQuantity('100m'), b = parseQuantity('0.2');
    expect(a.cmp(b)).toBe(-1);
    expect(b.cmp(a)).toBe(1);
    expect(a.cmp(parseQuantity('0.1'))).toBe(0);
    expect(a.equal(parseQuantity('100000u'))).toBe(true);
    expect(a.add(b).toString()).toBe('300m');
    expect(a.toString()).toBe('100m');
    expect(a.sub(b).toString()).toBe('-100m');
    expect(parseQuantity('0.1').add(parseQuantity('0.2')).cmp(parseQuantity('300m'))).toBe(0);
    expect(parseQuantity('1Gi').add(parseQuantity('512Mi')).toString()).toBe('1536Mi');
    expect(parseQuantity('512Mi').mul(2).toString()).toBe('1Gi');
    expect(parseQuantity('1Ki').neg().toString()).toBe('-1Ki');
    expect(Quantity.zero().add(parseQuantity('1Ki')).format).toBe('BinarySI');
    expect(parseQuantity('1').add(parseQuantity('1Ki')).toString()).toBe('1025');
  });

  test('constructors and JSON', () => {
    expect(Quantity.fromValue(5).toString()).toBe('5');
    expect(Quantity.fromMilli(1500).toString()).toBe('1500m');
    expect(Quantity.fromValue(2048, 'BinarySI').toString()).toBe('2Ki');
    expect(Quantity.fromScaled(5, -3).toString()).toBe('5m');
    expect(JSON.stringify({ cpu: parseQuantity('0.5') })).toBe('{"cpu":"500m"}');
    expect(() => Quantity.fromValue(1.5)).toThrow(RangeError);
    expect(parseQuantity('1.5').asApproximateFloat64()).toBe(1.5);
  });
});
