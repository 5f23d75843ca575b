// The standard cron parser CronJob validation uses upstream (robfig/cron/v3 ParseStandard): five fields or an
// @descriptor, with the library's own error texts, which the apiserver returns verbatim in `spec.schedule` errors.

interface Bounds { min: number; max: number; names?: Record<string, number> }
const minutes: Bounds = { min: 0, max: 59 };
const hours: Bounds = { min: 0, max: 23 };
const dom: Bounds = { min: 1, max: 31 };
const months: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const dow: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

class CronError extends Error {}

/** Go strconv.Atoi with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new CronError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) throw new CronError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}
function mustParseInt(expr: string): number {
  let n: number;
  try { n = atoi(expr); } catch (e) { throw new CronError(`failed to parse int from ${expr}: ${(e as Error).message}`); }
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}
function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

function checkRange(expr: string, r: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number; let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min; end = r.max;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (lowAndHigh.length === 1) end = r.max; // "N/step" means "N-max/step"
  } else if (rangeAndStep.length > 2) {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < r.min) throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
}

function checkField(f: string, r: Bounds): void {
  for (const expr of f.split(',').filter(x => x !== '')) checkRange(expr, r);
}

/** Go time.ParseDuration, enough to validate `@every <duration>`. */
function parseGoDuration(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  if (rest.startsWith('-') || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0;
  if (rest === '') throw new CronError(`time: invalid duration ${quoted}`);
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  while (rest !== '') {
    const num = /^([0-9]*(?:\.[0-9]*)?)/.exec(rest)![1];
    if (num === '' || num === '.') throw new CronError(`time: invalid duration ${quoted}`);
    rest = rest.slice(num.length);
    const unit = /^([^0-9.]*)/.exec(rest)![1];
    if (unit === '') throw new CronError(`time: missing unit in duration ${quoted}`);
    if (!(unit in unitMs)) throw new CronError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    total += parseFloat(num) * unitMs[unit];
    rest = rest.slice(unit.length);
  }
  return total;
}

const descriptors = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** True when `tz` names an IANA zone (Go's time.LoadLocation would find it). */
export function isKnownTimeZone(tz: string): boolean {
  if (tz === 'UTC' || tz === 'Local') return true;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    return resolved === tz || (Intl as any).supportedValuesOf?.('timeZone')?.includes(tz) || resolved.toLowerCase() === tz.toLowerCase() && /[A-Z]/.test(tz[0]);
  } catch {
    return false;
  }
}

/** cron.ParseStandard: the parser's error text for a bad schedule, or undefined when it parses. */
export function cronScheduleError(spec: string): string | undefined {
  try {
    if (spec.length === 0) throw new CronError('empty spec string');
    let s = spec;
    if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
      const i = s.indexOf(' ');
      const eq = s.indexOf('=');
      const name = i < 0 ? s.slice(eq + 1) : s.slice(eq + 1, i);
      if (!isKnownTimeZone(name)) throw new CronError(`provided bad location ${name}: unknown time zone ${name}`);
      s = i < 0 ? '' : s.slice(i).trim();
    }
    if (s.startsWith('@')) {
      if (descriptors.has(s)) return undefined;
      if (s.startsWith('@every ')) {
        try { parseGoDuration(s.slice('@every '.length)); } catch (e) { throw new CronError(`failed to parse duration ${s}: ${(e as Error).message}`); }
        return undefined;
      }
      throw new CronError(`unrecognized descriptor: ${s}`);
    }
    const fields = s.split(/\s+/).filter(x => x !== '');
    if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    checkField(fields[0], minutes);
    checkField(fields[1], hours);
    checkField(fields[2], dom);
    checkField(fields[3], months);
    checkField(fields[4], dow);
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}
