// Label selectors: the string syntax of `?labelSelector=` / `kubectl -l` and the metav1.LabelSelector form of
// spec.selector. Grammar, ordering, String() form and error texts follow k8s.io/apimachinery/pkg/labels/selector.go.
import { errors } from '../api/errors';
import { isQualifiedName, isValidLabelValue } from './validation';

/** selection.LabelOperator values, spelled as upstream. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

export type LabelMap = Record<string, string> | undefined | null;

export interface LabelSelector {
  /** True when every requirement holds for these labels (a missing map is an empty one). */
  matches(labels: LabelMap): boolean;
  /** True when the selector does not restrict anything (`Everything`). The `Nothing` selector is not empty. */
  empty(): boolean;
  toString(): string;
  /** Requirements sorted by key. Empty for both Everything and Nothing. */
  readonly requirements: readonly Requirement[];
  /** False only for the selector that matches nothing (from a null metav1.LabelSelector). */
  readonly selectable: boolean;
  /** The single value `key` must equal (for `=`, `==`, or `in` with one value), if the selector demands one. */
  requiresExactMatch(key: string): string | undefined;
  /** A new selector with these requirements added (re-sorted by key). */
  add(...reqs: Requirement[]): LabelSelector;
}

/** metav1.LabelSelector. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

// ---- field-error rendering as field.Error.Error() / utilerrors aggregate ----

/** Go's %q for strings (close enough for the ASCII texts selectors contain). */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function invalidText(path: string, value: unknown, detail: string): string {
  const shown = typeof value === 'string' ? goQuote(value) : JSON.stringify(value ?? null);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several de-duplicated in brackets. */
function aggregate(msgs: string[]): string {
  const seen = [...new Set(msgs)];
  return seen.length === 1 ? seen[0] : `[${seen.join(', ')}]`;
}

const validOperators: LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!'];
const binaryOperators = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const int64Re = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

function parseInt64(s: string): bigint | undefined {
  if (!int64Re.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** Problems with a requirement, as upstream's NewRequirement reports them; empty when valid. */
function requirementProblems(key: string, op: LabelOperator, values: readonly string[] | null, keyPath: string,
                             valuesPath: string): string[] {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(invalidText(keyPath, key, keyErrs.join('; ')));
  const vals = values ?? [];
  switch (op) {
    case 'in': case 'notin':
      if (vals.length === 0) errs.push(invalidText(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (vals.length !== 1) errs.push(invalidText(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (vals.length !== 0) errs.push(invalidText(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (vals.length !== 1) errs.push(invalidText(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalidText(`${valuesPath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${goQuote(String(op))}: supported values: ${validOperators.map(o => goQuote(o)).join(', ')}`);
  }
  vals.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(invalidText(`${valuesPath}[${i}][${key}]`, v, vErrs.join('; ')));
  });
  return errs;
}

/** A validated requirement; throws badRequest with upstream's message when invalid. */
export function newRequirement(key: string, operator: LabelOperator, values: readonly string[] | null = []): Requirement {
  const errs = requirementProblems(key, operator, values, 'key', 'values');
  if (errs.length) throw errors.badRequest(aggregate(errs));
  return Object.freeze({ key, operator, values: Object.freeze([...(values ?? [])]) });
}

export function requirementMatches(r: Requirement, labels: LabelMap): boolean {
  const has = labels != null && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels![r.key] : '';
  switch (r.operator) {
    case 'in': case '=': case '==':
      return has && r.values.includes(value);
    case 'notin': case '!=':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt': case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const got = parseInt64(value), want = parseInt64(r.values[0]);
      if (got === undefined || want === undefined) return false;
      return r.operator === 'gt' ? got > want : got < want;
    }
    default:
      return false;
  }
}

const sortedCopy = (vals: readonly string[]) => [...vals].sort();

export function requirementString(r: Requirement): string {
  const vals = r.values.length === 1 ? r.values[0] : sortedCopy(r.values).join(',');
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${vals})`;
    case 'notin': return `${r.key} notin (${vals})`;
    case 'gt': return `${r.key}>${vals}`;
    case 'lt': return `${r.key}<${vals}`;
    default: return `${r.key}${r.operator}${vals}`;
  }
}

class RequirementsSelector implements LabelSelector {
  readonly selectable = true;
  readonly requirements: readonly Requirement[];
  constructor(reqs: Requirement[]) {
    this.requirements = Object.freeze([...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  matches(labels: LabelMap): boolean { return this.requirements.every(r => requirementMatches(r, labels)); }
  empty(): boolean { return this.requirements.length === 0; }
  toString(): string { return this.requirements.map(requirementString).join(','); }
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find(x => x.key === key);
    if (!r) return undefined;
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
    return undefined;
  }
  add(...reqs: Requirement[]): LabelSelector { return new RequirementsSelector([...this.requirements, ...reqs]); }
}

class NothingSelector implements LabelSelector {
  readonly selectable = false;
  readonly requirements: readonly Requirement[] = Object.freeze([]);
  matches(): boolean { return false; }
  empty(): boolean { return false; }
  toString(): string { return ''; }
  requiresExactMatch(): string | undefined { return undefined; }
  add(): LabelSelector { return this; }
}

export const everythingSelector = (): LabelSelector => new RequirementsSelector([]);
export const nothingSelector = (): LabelSelector => new NothingSelector();

// ---- lexer ----

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'ident' | 'in' | '<' | '!=' | 'notin' | '(';
interface Item { tok: Tok; lit: string }
const literalTokens: Record<string, Tok> = {
  ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', in: 'in', '<': '<', '!=': '!=', notin: 'notin', '(': '(',
};
const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string) => '=!(),><'.includes(ch) && ch !== '';
const END = '\0'; // upstream's lexer reads byte 0 as end of input

function lex(s: string): Item[] {
  let pos = 0;
  const read = () => (pos < s.length ? s[pos++] : (pos++, END));
  const unread = () => { pos--; };
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === END) { items.push({ tok: 'eos', lit: '' }); return items; }
    unread();
    if (isSpecial(ch)) {
      let buf = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === END) break;
        if (!isSpecial(c)) { unread(); break; }
        buf += c;
        const t = literalTokens[buf];
        if (t) last = { tok: t, lit: buf };
        else if (last) { unread(); break; }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      for (;;) {
        const c = read();
        if (c === END) break;
        if (isSpecial(c) || isWhitespace(c)) { unread(); break; }
        buf += c;
      }
      items.push({ tok: literalTokens[buf] ?? 'ident', lit: buf });
    }
  }
}

// ---- parser ----

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In a values context the keywords `in`/`notin` are plain identifiers (`x in (in)`). */
  private asValue(it: Item): Item { return it.tok === 'in' || it.tok === 'notin' ? { tok: 'ident', lit: it.lit } : it; }
  private lookahead(values = true): Item { const it = this.items[this.pos]; return values ? this.asValue(it) : it; }
  private consume(values = true): Item { const it = this.items[this.pos++]; return values ? this.asValue(it) : it; }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead();
      if (tok === 'ident' || tok === '!') {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        const t = this.consume();
        if (t.tok === 'eos') return reqs;
        if (t.tok === ',') {
          const t2 = this.lookahead();
          if (t2.tok !== 'ident' && t2.tok !== '!') throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return reqs;
      } else {
        throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    let t = this.consume();
    let notExists = false;
    if (t.tok === '!') { notExists = true; t = this.consume(); }
    if (t.tok !== 'ident') throw new ParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    // upstream validates the key here against a nil field path, which prints as `<nil>`
    if (keyErrs.length) throw new ParseError(invalidText('<nil>', key, keyErrs.join('; ')));
    const next = this.lookahead().tok;
    if (notExists || next === 'eos' || next === ',') {
      // `!key` only stands alone; anything else after it is reported by the caller
      return this.build(key, notExists ? '!' : 'exists', []);
    }
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return this.build(key, op, [...new Set(values)].sort());
  }

  private build(key: string, op: LabelOperator, values: string[]): Requirement {
    const errs = requirementProblems(key, op, values, 'key', 'values');
    if (errs.length) throw new ParseError(aggregate(errs));
    return Object.freeze({ key, operator: op, values: Object.freeze(values) });
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case 'in': return 'in';
      case 'notin': return 'notin';
      case '=': return '=';
      case '==': return '==';
      case '!=': return '!=';
      case '>': return 'gt';
      case '<': return 'lt';
      default: throw new ParseError(`found '${lit}', expected: ${binaryOperators.join(', ')}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume();
    if (open.tok !== '(') throw new ParseError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead();
    if (tok === 'ident' || tok === ',') {
      const s = this.parseIdentifiersList();
      if (this.consume().tok !== ')') throw new ParseError(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ')') { this.consume(); return ['']; }
    throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  /** A comma-separated list where empty entries stand for the empty value: `(a,,b)`, `(,a)`, `(a,)`. */
  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume();
      if (tok === 'ident') {
        s.add(lit);
        const t2 = this.lookahead();
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return [...s];
        throw new ParseError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.lookahead().tok;
        if (t2 === ')') { s.add(''); return [...s]; }
        if (t2 === ',') { this.consume(); s.add(''); }
      } else {
        throw new ParseError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const la = this.lookahead().tok;
    if (la === 'eos' || la === ',') return [''];
    const { tok, lit } = this.consume();
    if (tok === 'ident') return [lit];
    throw new ParseError(`found '${lit}', expected: identifier`);
  }
}

/** Parses `a=b,c!=d,e in (x,y),!f,g`; throws badRequest (400) with upstream's message on bad syntax. */
export function parseLabelSelector(s: string): LabelSelector {
  if (typeof s !== 'string') throw errors.badRequest(`label selector must be a string, got ${typeof s}`);
  try {
    return new RequirementsSelector(new Parser(lex(s)).parse());
  } catch (e) {
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

/** A selector that requires exactly these labels (no validation, as upstream's SelectorFromSet). */
export function selectorFromSet(labels: Record<string, string> | undefined | null): LabelSelector {
  if (!labels) return everythingSelector();
  return new RequirementsSelector(Object.entries(labels).map(([key, v]) =>
    Object.freeze({ key, operator: '=' as const, values: Object.freeze([v]) })));
}

const exprOperators: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, `{}` matches everything; throws badRequest for
 * an unknown operator or an invalid requirement.
 */
export function selectorFromLabelSelector(sel: LabelSelectorSpec | undefined | null): LabelSelector {
  if (sel == null) return nothingSelector();
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everythingSelector();
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) reqs.push(newRequirement(k, '=', [v]));
  for (const e of exprs) {
    const op = exprOperators[e?.operator];
    if (!op) throw errors.badRequest(`${goQuote(String(e?.operator ?? ''))} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, e.values ?? null));
  }
  return new RequirementsSelector(reqs);
}

/** metav1.FormatLabelSelector, as kubectl prints a selector: `app=x,tier in (a,b)`, `<none>`, `<error>`. */
export function formatLabelSelector(sel: LabelSelectorSpec | undefined | null): string {
  let s: string;
  try {
    s = selectorFromLabelSelector(sel).toString();
  } catch {
    return '<error>';
  }
  return s.length === 0 ? '<none>' : s;
}
