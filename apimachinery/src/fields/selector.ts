// Field selectors (`?fieldSelector=metadata.name=x,spec.nodeName!=`): comma-joined `=`/`==`/`!=` terms whose
// values escape `\`, `,` and `=` with a backslash. Semantics and error texts follow
// k8s.io/apimachinery/pkg/fields/selector.go. Which fields a resource supports is the apiserver's business.
import { errors } from '../api/errors';

export interface FieldRequirement { readonly field: string; readonly op: '=' | '!='; readonly value: string }

export interface FieldSelector {
  /** `get(field)` returns the object's value of a field; a missing field counts as the empty string. */
  matches(get: (field: string) => string | undefined): boolean;
  /** Sorted as upstream sorts the raw terms. */
  readonly requirements: readonly FieldRequirement[];
  empty(): boolean;
  /** `a=b,c!=d` with values re-escaped. */
  toString(): string;
  /** The value `field` must equal, if the selector has an `=` term for it. */
  requiresExactMatch(field: string): string | undefined;
}

/** Backslash-escapes `\`, `,` and `=` so any literal can be a field selector value. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, c => `\\${c}`);
}

/** Undoes escapeFieldValue; rejects unknown escapes and bare `,`/`=` as upstream does. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // upstream prints the rune with %v, i.e. its code point
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw errors.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not backslash-escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') { terms.push(s.slice(start, i)); start = i + 1; }
  }
  terms.push(s.slice(start));
  return terms;
}

// `==` before `=` so no `=` is left on the value; the first position where any operator starts wins.
const termOperators = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: (typeof termOperators)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

class TermsSelector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  matches(get: (field: string) => string | undefined): boolean {
    return this.requirements.every(r => ((get(r.field) ?? '') === r.value) === (r.op === '='));
  }
  empty(): boolean { return this.requirements.length === 0; }
  toString(): string { return this.requirements.map(r => `${r.field}${r.op}${escapeFieldValue(r.value)}`).join(','); }
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find(r => r.field === field && r.op === '=')?.value;
  }
}

/** Parses a field selector; throws badRequest (400) with upstream's message on bad syntax. */
export function parseFieldSelector(s: string): FieldSelector {
  if (typeof s !== 'string') throw errors.badRequest(`field selector must be a string, got ${typeof s}`);
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort(byteOrder)) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    reqs.push(Object.freeze({ field: t.lhs, op: t.op === '!=' ? '!=' : '=', value: unescapeFieldValue(t.rhs) }));
  }
  return new TermsSelector(Object.freeze(reqs));
}

/** A selector requiring each field to equal its value (as upstream's fields.SelectorFromSet). */
export function fieldSelectorFromSet(set: Record<string, string> | undefined | null): FieldSelector {
  const reqs = Object.entries(set ?? {}).map(([field, value]) => Object.freeze({ field, op: '=' as const, value }));
  return new TermsSelector(Object.freeze(reqs));
}

export const everythingFields = (): FieldSelector => new TermsSelector([]);
