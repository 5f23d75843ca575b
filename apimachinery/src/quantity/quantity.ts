// resource.Quantity: fixed-point amounts such as `100m`, `1.5Gi`, `2e3`, exact to the nanounit (values are held
// as a bigint count of 10^-9 units, never as a float). Parsing, rounding, capping and the canonical String() form
// follow k8s.io/apimachinery/pkg/api/resource (quantity.go, suffix.go, amount.go).

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export const QUANTITY_REGEX = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** A string that is not a quantity; the messages are upstream's ErrFormatWrong / ErrNumeric / ErrSuffix. */
export class QuantityParseError extends Error {
  constructor(message: string) { super(message); this.name = 'QuantityParseError'; }
}
const errFormatWrong = () => new QuantityParseError(`quantities must match the regular expression '${QUANTITY_REGEX}'`);
const errNumeric = () => new QuantityParseError('unable to parse numeric part of quantity');
const errSuffix = () => new QuantityParseError("unable to parse quantity's suffix");

const NANO_PER_UNIT = 1_000_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
/** Beyond this decimal exponent a quantity is refused rather than materialised (upstream allows any int32). */
const MAX_DECIMAL_EXPONENT = 1000;
const pow10 = (n: number) => 10n ** BigInt(n);
const abs = (v: bigint) => (v < 0n ? -v : v);

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByPower = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const suffixLetters = 'eEinumkKMGTP';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

interface Scanned { positive: boolean; value: string; num: string; denom: string; suffix: string }

/** Upstream's parseQuantityString: sign, number (leading zeros dropped), optional fraction, suffix. */
function scan(str: string): Scanned {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') { positive = false; pos++; } else if (str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num: num || '0', denom: '', suffix: '' };
  pos = i;
  if (num.length === 0) num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: '' };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && suffixLetters.includes(str[pos])) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw errFormatWrong();
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

/** base 10 or 2, the exponent in that base, and the format the suffix implies. */
function interpretSuffix(s: string): { base: 10 | 2; exponent: number; format: QuantityFormat } {
  if (s in decimalSuffixes) return { base: 10, exponent: decimalSuffixes[s], format: 'DecimalSI' };
  if (s in binarySuffixes) return { base: 2, exponent: binarySuffixes[s], format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E') && /^[+-]?[0-9]+$/.test(s.slice(1))) {
    const exponent = Number(s.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 2 ** 31) throw errSuffix();
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw errSuffix();
}

/** digits × 10^exp10 × 2^exp2 in nanounits, rounded away from zero to a whole nanounit. */
function toNanos(digits: bigint, exp10: number, exp2: number): bigint {
  let n = digits << BigInt(exp2);
  const shift = exp10 + 9;
  if (shift > MAX_DECIMAL_EXPONENT) throw new QuantityParseError(`quantity is too large: exponent ${exp10} exceeds ${MAX_DECIMAL_EXPONENT}`);
  if (shift >= 0) return n * pow10(shift);
  if (n === 0n) return 0n;
  // more fractional digits than the number has: anything non-zero rounds up to one nanounit
  if (-shift > n.toString().length + 1) return 1n;
  const d = pow10(-shift);
  const q = n / d;
  n = n % d === 0n ? q : q + 1n;
  return n;
}

export class Quantity {
  private constructor(
    /** The amount in units of 10^-9. */
    private readonly nanos: bigint,
    readonly format: QuantityFormat,
    /** The input text when upstream would re-emit it unchanged (it was already in canonical form). */
    private readonly given?: string,
  ) {}

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity { return new Quantity(0n, format); }
  /** A whole number of units (resource.NewQuantity). */
  static fromValue(v: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBigInt(v) * NANO_PER_UNIT, format);
  }
  /** A number of thousandths (resource.NewMilliQuantity). */
  static fromMilli(v: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBigInt(v) * 1_000_000n, format);
  }
  /** v × 10^scale (resource.NewScaledQuantity), e.g. (5, -3) = 5m. */
  static fromScaled(v: number | bigint, scale: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toNanos(toBigInt(v), scale, 0), format);
  }

  static parse(str: string): Quantity {
    if (typeof str !== 'string' || str.length === 0) throw errFormatWrong();
    if (str === '0') return new Quantity(0n, 'DecimalSI', str);
    const { positive, value, num, denom, suffix } = scan(str);
    const { base, exponent, format: parsedFormat } = interpretSuffix(suffix);
    // off the fast path upstream re-parses the bare number text, which fails when it has no digits (`Ei`, `.e-10`)
    if (!/[0-9]/.test(value) && !onFastPath(base, exponent, num, denom)) throw errNumeric();
    let format = parsedFormat;
    const digits = BigInt(num + denom);
    const exp10 = base === 10 ? exponent - denom.length : -denom.length;
    const exp2 = base === 2 ? exponent : 0;
    let nanos = toNanos(digits, exp10, exp2);
    if (format === 'BinarySI') {
      if (nanos > INT64_MAX * NANO_PER_UNIT) nanos = INT64_MAX * NANO_PER_UNIT; // upstream caps binary at 2^63-1
      if (nanos > 0n && nanos < NANO_PER_UNIT) format = 'DecimalSI'; // sub-unit binary amounts print as decimal
    }
    if (!positive) nanos = -nanos;
    return new Quantity(nanos, format, keepsInputText(base, exponent, num, denom) ? str : undefined);
  }

  isZero(): boolean { return this.nanos === 0n; }
  sign(): -1 | 0 | 1 { return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0; }

  /** ceil(q / 10^scale) with negatives rounded away from zero, as a bigint (never overflows). */
  scaledValueBigInt(scale: number): bigint {
    const shift = scale + 9;
    if (shift <= 0) return this.nanos * pow10(-shift);
    const d = pow10(shift);
    const q = this.nanos / d; // truncates toward zero
    if (this.nanos % d === 0n) return q;
    return this.nanos > 0n ? q + 1n : q - 1n;
  }
  /** The value rounded up (away from zero) to a whole unit, as upstream's Value(); a Number, exact up to 2^53. */
  value(): number { return Number(this.scaledValueBigInt(0)); }
  /** ceil(q × 1000), as upstream's MilliValue(). */
  milliValue(): number { return Number(this.scaledValueBigInt(-3)); }
  valueBigInt(): bigint { return this.scaledValueBigInt(0); }
  milliValueBigInt(): bigint { return this.scaledValueBigInt(-3); }
  /** The exact amount in nanounits. */
  nanoValueBigInt(): bigint { return this.nanos; }
  /** A float approximation (for ratios such as HPA utilisation), never for storing. */
  asApproximateFloat64(): number { return Number(this.nanos) / 1e9; }

  cmp(y: Quantity): -1 | 0 | 1 { return this.nanos < y.nanos ? -1 : this.nanos > y.nanos ? 1 : 0; }
  equal(y: Quantity): boolean { return this.nanos === y.nanos; }
  /** A new quantity; a zero receiver takes y's format, as upstream's Add. */
  add(y: Quantity): Quantity { return new Quantity(this.nanos + y.nanos, this.isZero() ? y.format : this.format); }
  sub(y: Quantity): Quantity { return new Quantity(this.nanos - y.nanos, this.isZero() ? y.format : this.format); }
  mul(n: number | bigint): Quantity { return new Quantity(this.nanos * toBigInt(n), this.format); }
  neg(): Quantity { return new Quantity(-this.nanos, this.format); }
  withFormat(format: QuantityFormat): Quantity { return new Quantity(this.nanos, format); }

  /** The canonical text: largest suffix that loses no precision, no fractional digits (`1.5` → `1500m`). */
  toString(): string {
    if (this.given !== undefined) return this.given;
    return canonical(this.nanos, this.format);
  }
  toJSON(): string { return this.toString(); }
}

function toBigInt(v: number | bigint): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`quantity amounts must be safe integers, got ${v}`);
  return BigInt(v);
}

/** Whether upstream parses this on its int64 fast path (which also decides if the input text is kept). */
function onFastPath(base: 10 | 2, exponent: number, num: string, denom: string): boolean {
  if (base === 2) {
    if (exponent < 0 || denom.length > 0) return false;
    const precision = 15 - num.length - Math.trunc(Math.fround(exponent * 3 / 10)) - 1;
    return precision >= 0 && BigInt(num) << BigInt(exponent) <= INT64_MAX;
  }
  return 18 - (num.length + denom.length) >= 0 && exponent - denom.length >= -9;
}

/** On the fast path upstream keeps the input string when it is already canonical (e.g. `100m`, `1Ki`, `+1`). */
function keepsInputText(base: 10 | 2, exponent: number, num: string, denom: string): boolean {
  if (!onFastPath(base, exponent, num, denom)) return false;
  if (base === 2) return (BigInt(num) & 7n) !== 0n;
  const shifted = num + denom;
  return (exponent - denom.length) % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
}

function canonical(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  if (format === 'BinarySI') {
    const units = NANO_PER_UNIT * 1024n;
    if (abs(nanos) < units || nanos % NANO_PER_UNIT !== 0n) {
      format = 'DecimalSI'; // small or fractional binary amounts print in decimal so nothing is rounded
    } else {
      let v = nanos / NANO_PER_UNIT;
      let power = 0;
      while (power < 6 && v % 1024n === 0n) { v /= 1024n; power++; }
      return `${v}${binarySuffixByPower[power]}`;
    }
  }
  // move factors of ten into the exponent, then lower it to a multiple of three
  let m = nanos;
  let e = -9;
  while (m % 10n === 0n) { m /= 10n; e++; }
  const r = ((e % 3) + 3) % 3;
  m *= pow10(r);
  e -= r;
  if (format === 'DecimalSI') {
    const s = decimalSuffixByExponent.get(e);
    // upstream prints no suffix at all beyond E (a bug that loses magnitude); the exponent form keeps the value
    return s !== undefined ? `${m}${s}` : `${m}e${e}`;
  }
  return e === 0 ? `${m}` : `${m}e${e}`;
}

/** Parses a quantity; throws QuantityParseError with upstream's message when it is not one. */
export function parseQuantity(s: string): Quantity {
  return Quantity.parse(s);
}

/** Like parseQuantity but returns the error message instead of throwing, for validation code. */
export function tryParseQuantity(s: string): { quantity: Quantity } | { error: string } {
  try {
    return { quantity: Quantity.parse(s) };
  } catch (e) {
    if (e instanceof QuantityParseError) return { error: e.message };
    throw e;
  }
}
