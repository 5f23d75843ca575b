// The JSON text forms Go gives metav1.Time (RFC3339, seconds), metav1.MicroTime (RFC3339, 6 fractional digits)
// and metav1.Duration (time.Duration.String, e.g. "1h0m30s"), and their parsers for the encoder.
// Calendar math by hand (days from civil date) so year 1 (Go's zero time) and years < 100 work, unlike Date.

import { ProtoError } from './wire';

// Read once: global lookups are slow inside vm sandboxes (jest), and these run for every timestamp.
const { floor } = Math;

/** Seconds from 0001-01-01T00:00:00Z to the Unix epoch: Go's zero time.Time in Unix seconds. */
export const GO_ZERO_TIME_UNIX = -62135596800;

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const d = doy - floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (n: number, w: number) => (w === 2 ? (n < 10 ? `0${n}` : `${n}`) : `${n}`.padStart(w, '0'));

/** RFC3339 in UTC; `fracDigits` 0 (Time) or 6 (MicroTime, truncated like Go's Format). */
let lastSeconds = NaN;
let lastText = '';
export function formatRFC3339(seconds: number, nanos: number, fracDigits: 0 | 6): string {
  // Objects repeat the same timestamp (creation, conditions, managedFields): remember the last one.
  if (fracDigits === 0 && seconds === lastSeconds) return lastText;
  const text = formatRFC3339Uncached(seconds, nanos, fracDigits);
  if (fracDigits === 0) { lastSeconds = seconds; lastText = text; }
  return text;
}

function formatRFC3339Uncached(seconds: number, nanos: number, fracDigits: 0 | 6): string {
  const days = floor(seconds / 86400);
  const rem = seconds - days * 86400;
  const [y, mo, d] = civilFromDays(days);
  if (y < 0 || y > 9999) throw new ProtoError(`time ${seconds}s is outside years 0-9999 (Go cannot print it as JSON)`);
  const h = floor(rem / 3600);
  const mi = floor((rem % 3600) / 60);
  const s = rem % 60;
  const frac = fracDigits === 6 ? `.${pad(floor(nanos / 1000), 6)}` : '';
  return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}Z`;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses what Go's time.Parse(time.RFC3339, s) accepts into Unix seconds and nanoseconds. */
export function parseRFC3339(text: string): { seconds: number; nanos: number } {
  const m = RFC3339_RE.exec(text);
  if (!m) throw new ProtoError(`time ${JSON.stringify(text)} is not in RFC3339 format (e.g. 2024-01-02T03:04:05Z)`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) {
    throw new ProtoError(`time ${JSON.stringify(text)} has a field out of range`);
  }
  let seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  if (m[9]) {
    const offset = (Number(m[10]) * 3600 + Number(m[11]) * 60) * (m[9] === '-' ? -1 : 1);
    seconds -= offset;
  }
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

/** Go's time.Duration.String for a count of nanoseconds. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    out = `${fraction(u % 60_000_000_000n, 9)}s`;
    u /= 60_000_000_000n; // minutes
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n; // hours
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** v / 10^prec printed with trailing fractional zeros dropped, as Go's fmtFrac+fmtInt do. */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const whole = v / scale;
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration: "1h30m", "1.5s", "-300ms", "0". */
export function parseGoDuration(text: string): bigint {
  const bad = () => new ProtoError(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') { neg = s[0] === '-'; s = s.slice(1); }
  if (s === '0') return 0n;
  if (s === '') throw bad();
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;
  while (s) {
    const m = re.exec(s);
    if (!m || (m[1] === '' && !m[2])) throw bad();
    const unit = UNIT_NS[m[3]];
    if (unit === undefined) throw new ProtoError(`time: unknown unit ${JSON.stringify(m[3])} in duration ${JSON.stringify(text)}`);
    total += BigInt(m[1] || '0') * unit;
    if (m[2]) total += (BigInt(m[2]) * unit) / 10n ** BigInt(m[2].length);
    s = s.slice(m[0].length);
  }
  return neg ? -total : total;
}
