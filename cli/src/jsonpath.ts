// kubectl's JSONPath templates (`-o jsonpath=...`): text with `{...}` actions: field paths (`.a.b`, `$`, `@`,
// `..name`, `.*`, `['k.with.dots']`, `a\.b`), list steps (`[*]`, `[0]`, `[-1]`, `[1:3]`, `[0,2]`,
// `[?(@.f=="v")]`), `{range EXPR}...{end}`, quoted literals (`{"\n"}`). Missing keys print nothing, as
// `kubectl get -o jsonpath` (it allows missing keys). Several results of one action are joined by spaces.
import { CliError } from './errors';

type Step =
  | { t: 'field'; name: string } | { t: 'recursive'; name: string } | { t: 'wild' }
  | { t: 'index'; list: number[] } | { t: 'slice'; start?: number; end?: number; step?: number }
  | { t: 'keys'; list: string[] } | { t: 'filter'; path: Path; op?: string; value?: unknown };
interface Path { from: 'root' | 'current'; steps: Step[] }
type Node = { t: 'text'; s: string } | { t: 'expr'; path: Path } | { t: 'range'; path: Path; body: Node[] };

const unescape = (s: string) => s.replace(/\\([ntr\\])/g, (_, c) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[c]);

function bad(template: string, why: string): never {
  throw new CliError(`error parsing jsonpath ${template}, ${why}`);
}

/** Splits a template into text and brace actions, honouring quotes inside braces. */
export function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  let text = '';
  const flush = () => { if (text) { stack[stack.length - 1].push({ t: 'text', s: unescape(text) }); text = ''; } };
  while (i < template.length) {
    const c = template[i];
    if (c !== '{') { text += c; i++; continue; }
    flush();
    let j = i + 1, quote = '';
    for (; j < template.length; j++) {
      const d = template[j];
      if (quote) { if (d === '\\') j++; else if (d === quote) quote = ''; }
      else if (d === '"' || d === "'") quote = d;
      else if (d === '}') break;
    }
    if (j >= template.length) bad(template, 'unclosed action');
    const action = template.slice(i + 1, j).trim();
    i = j + 1;
    if (action === 'end') {
      if (stack.length === 1) bad(template, 'not in range, nothing to end');
      stack.pop();
    } else if (/^range\s/.test(action)) {
      const body: Node[] = [];
      stack[stack.length - 1].push({ t: 'range', path: parsePath(action.slice(6).trim(), template), body });
      stack.push(body);
    } else if (/^(["']).*\1$/s.test(action)) {
      stack[stack.length - 1].push({ t: 'text', s: unescape(action.slice(1, -1)) });
    } else if (action === '') {
      bad(template, 'empty action');
    } else {
      stack[stack.length - 1].push({ t: 'expr', path: parsePath(action, template) });
    }
  }
  flush();
  if (stack.length > 1) bad(template, 'unclosed range (missing {end})');
  return root;
}

function parseLiteral(s: string): unknown {
  const t = s.trim();
  if (/^(["']).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && !isNaN(Number(t))) return Number(t);
  return t;
}

export function parsePath(expr: string, template = expr): Path {
  let s = expr;
  let from: Path['from'] = 'current';
  if (s.startsWith('$')) { from = 'root'; s = s.slice(1); } else if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const name = (): string => {
    let n = '';
    while (i < s.length && s[i] !== '.' && s[i] !== '[') {
      if (s[i] === '\\' && i + 1 < s.length) { n += s[i + 1]; i += 2; continue; }
      n += s[i++];
    }
    return n;
  };
  while (i < s.length) {
    if (s.startsWith('..', i)) {
      i += 2;
      const n = name();
      if (!n) bad(template, `missing field name after ..`);
      steps.push(n === '*' ? { t: 'wild' } : { t: 'recursive', name: n });
    } else if (s[i] === '.') {
      i++;
      const n = name();
      if (!n) continue; // a bare `.` (the current object) or `.[0]`
      steps.push(n === '*' ? { t: 'wild' } : { t: 'field', name: n });
    } else if (s[i] === '[') {
      let j = i + 1, quote = '', depth = 1;
      for (; j < s.length; j++) {
        const d = s[j];
        if (quote) { if (d === quote) quote = ''; }
        else if (d === '"' || d === "'") quote = d;
        else if (d === '[') depth++;
        else if (d === ']' && --depth === 0) break;
      }
      if (j >= s.length) bad(template, `unterminated array`);
      const inner = s.slice(i + 1, j).trim();
      i = j + 1;
      steps.push(parseBracket(inner, template));
    } else {
      // a path may start without a dot: `{items[0]}`
      const n = name();
      if (!n) bad(template, `unrecognized character in action: ${JSON.stringify(s[i])}`);
      steps.push({ t: 'field', name: n });
    }
  }
  return { from, steps };
}

function parseBracket(inner: string, template: string): Step {
  if (inner === '*') return { t: 'wild' };
  if (inner.startsWith('?(') && inner.endsWith(')')) {
    const body = inner.slice(2, -1).trim();
    const m = body.match(/^(@[^<>=!\s]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$/);
    if (m) return { t: 'filter', path: parsePath(m[1], template), op: m[2], value: parseLiteral(m[3]) };
    if (body.startsWith('@')) return { t: 'filter', path: parsePath(body, template) };
    bad(template, `unrecognized filter ${JSON.stringify(inner)}`);
  }
  if (/^(["']).*\1(\s*,\s*(["']).*\3)*$/.test(inner)) {
    return { t: 'keys', list: inner.split(/\s*,\s*/).map(k => k.trim().slice(1, -1)) };
  }
  if (inner.includes(':')) {
    const parts = inner.split(':').map(p => p.trim());
    if (parts.length > 3 || parts.some(p => p !== '' && !/^-?\d+$/.test(p))) bad(template, `invalid array slice [${inner}]`);
    const num = (p?: string) => (p === undefined || p === '' ? undefined : Number(p));
    return { t: 'slice', start: num(parts[0]), end: num(parts[1]), step: num(parts[2]) };
  }
  const idx = inner.split(',').map(p => p.trim());
  if (idx.every(p => /^-?\d+$/.test(p))) return { t: 'index', list: idx.map(Number) };
  bad(template, `invalid array index [${inner}]`);
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b || String(a) === String(b);
    case '!=': return !(a === b || String(a) === String(b));
    default: {
      const x = typeof a === 'number' ? a : Number(a), y = typeof b === 'number' ? b : Number(b);
      if (isNaN(x) || isNaN(y)) return false;
      return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
    }
  }
}

function descend(v: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(v)) { for (const x of v) descend(x, name, out); return; }
  if (!isObj(v)) return;
  if (name in v) out.push(v[name]);
  for (const x of Object.values(v)) descend(x, name, out);
}

function step(values: unknown[], st: Step, root: unknown): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (st.t) {
      case 'field': if (isObj(v) && st.name in v) out.push(v[st.name]); break;
      case 'keys': if (isObj(v)) for (const k of st.list) if (k in v) out.push(v[k]); break;
      case 'recursive': descend(v, st.name, out); break;
      case 'wild': if (Array.isArray(v)) out.push(...v); else if (isObj(v)) out.push(...Object.values(v)); break;
      case 'index':
        if (Array.isArray(v)) for (const n of st.list) { const k = n < 0 ? v.length + n : n; if (k >= 0 && k < v.length) out.push(v[k]); }
        break;
      case 'slice': {
        if (!Array.isArray(v)) break;
        const len = v.length;
        const norm = (n: number | undefined, d: number) => (n === undefined ? d : n < 0 ? Math.max(0, len + n) : Math.min(n, len));
        const by = st.step ?? 1;
        if (by <= 0) break;
        for (let k = norm(st.start, 0); k < norm(st.end, len); k += by) out.push(v[k]);
        break;
      }
      case 'filter':
        if (Array.isArray(v)) for (const item of v) {
          const got = evalPath(st.path, root, item);
          if (st.op === undefined ? got.length > 0 && got[0] !== false && got[0] !== null : got.some(g => compare(g, st.op!, st.value))) out.push(item);
        }
        break;
    }
  }
  return out;
}

function evalPath(p: Path, root: unknown, current: unknown): unknown[] {
  let values = [p.from === 'root' ? root : current];
  for (const st of p.steps) values = step(values, st, root);
  return values;
}

const show = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

function run(nodes: Node[], root: unknown, current: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.s;
    else if (n.t === 'expr') out += evalPath(n.path, root, current).map(show).join(' ');
    else {
      let items = evalPath(n.path, root, current);
      // `range .items` (no [*]) walks the list itself, as kubectl does
      if (items.length === 1 && Array.isArray(items[0])) items = items[0] as unknown[];
      for (const item of items) out += run(n.body, root, item);
    }
  }
  return out;
}

/** Renders a template against an object; a template without braces is taken as one action, as kubectl. */
export function jsonpath(template: string, obj: unknown): string {
  const t = template.includes('{') ? template : `{${template}}`;
  return run(parseTemplate(t), obj, obj);
}
