// Field paths and sets of them, the ownership records of server-side apply (sigs.k8s.io/structured-merge-diff
// fieldpath): a path element is a field name, a list-map key, a set value or an index, serialized in the
// managedFields `fieldsV1` trie as `f:<name>`, `k:{"name":"x"}`, `v:<json>`, `i:<n>`, with `.` for the node itself.
import { Json, JsonObject, isObject } from './errors';

/** A path element in its serialized form (`f:spec`, `k:{"name":"c"}`, `v:"x"`, `i:0`); cheap to compare and hash. */
export type PE = string;
export type Path = PE[];

export const fieldPE = (name: string): PE => `f:${name}`;
export const indexPE = (i: number): PE => `i:${i}`;
export const valuePE = (v: Json): PE => `v:${JSON.stringify(v)}`;
/** Key fields must be sorted by name, as upstream sorts them. */
export const keyPE = (fields: Array<[string, Json]>): PE => {
  const sorted = [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const obj: JsonObject = {};
  for (const [k, v] of sorted) obj[k] = v;
  return `k:${JSON.stringify(obj)}`;
};

const typeRank = (pe: PE) => ({ f: 0, k: 1, v: 2, i: 3 } as Record<string, number>)[pe[0]] ?? 4;

function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5;
}

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A total order over JSON values (numbers < strings < bools < lists < maps < null), as upstream's value.Compare. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a), rb = valueRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return (a as number) - (b as number) < 0 ? -1 : a === b ? 0 : 1;
  if (typeof a === 'string') return cmpStr(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bl = b as unknown[];
    for (let i = 0; i < Math.min(a.length, bl.length); i++) { const c = compareValues(a[i], bl[i]); if (c) return c; }
    return a.length - bl.length;
  }
  if (isObject(a)) {
    const ka = Object.keys(a).sort(), kb = Object.keys(b as object).sort();
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = cmpStr(ka[i], kb[i]) || compareValues(a[ka[i]], (b as JsonObject)[kb[i]]);
      if (c) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}

/** Path element order of upstream: fields < keys < values < indexes, each by content. */
export function comparePE(a: PE, b: PE): number {
  const ta = typeRank(a), tb = typeRank(b);
  if (ta !== tb) return ta - tb;
  const ca = a.slice(2), cb = b.slice(2);
  switch (a[0]) {
    case 'f': return cmpStr(ca, cb);
    case 'i': return Number(ca) - Number(cb);
    case 'v': return compareValues(JSON.parse(ca), JSON.parse(cb));
    case 'k': {
      const ea = Object.entries(JSON.parse(ca) as JsonObject), eb = Object.entries(JSON.parse(cb) as JsonObject);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const c = cmpStr(ea[i][0], eb[i][0]) || compareValues(ea[i][1], eb[i][1]);
        if (c) return c;
      }
      return ea.length - eb.length;
    }
    default: return cmpStr(a, b);
  }
}

/** Go's %q rendering of a string (JSON quoting is the same for what appears in field paths). */
const goQuote = (s: string) => JSON.stringify(s);

function valueToString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isObject(v)) return Object.entries(v).map(([k, x]) => `${k}=${valueToString(x)}`).join('');
  return String(v);
}

/** The human form used in conflict messages: `.spec.containers[name="app"].image`, `[=value]`, `[0]`. */
export function peToString(pe: PE): string {
  const body = pe.slice(2);
  switch (pe[0]) {
    case 'f': return `.${body}`;
    case 'i': return `[${body}]`;
    case 'v': return `[=${valueToString(JSON.parse(body) as Json)}]`;
    case 'k': return `[${Object.entries(JSON.parse(body) as JsonObject).map(([k, v]) => `${k}=${valueToString(v)}`).join(',')}]`;
    default: return '{{invalid path element}}';
  }
}
export const pathToString = (p: Path) => p.map(peToString).join('');

/** A set of field paths stored as a trie: `members` end here, `children` continue. */
export class FieldSet {
  readonly members = new Set<PE>();
  readonly children = new Map<PE, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      let child = node.children.get(path[i]);
      if (!child) { child = new FieldSet(); node.children.set(path[i], child); }
      node = child;
    }
    node.members.add(path[path.length - 1]);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]);
    return !!node && node.members.has(path[path.length - 1]);
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** The subset below `pe` (paths relative to it). */
  withPrefix(pe: PE): FieldSet {
    return this.children.get(pe) ?? new FieldSet();
  }

  copy(): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) s.members.add(m);
    for (const [pe, c] of this.children) s.children.set(pe, c.copy());
    return s;
  }

  union(o: FieldSet): FieldSet {
    const s = this.copy();
    for (const m of o.members) s.members.add(m);
    for (const [pe, c] of o.children) s.children.set(pe, s.children.has(pe) ? s.children.get(pe)!.union(c) : c.copy());
    return s.pruned();
  }

  intersection(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) s.members.add(m);
    for (const [pe, c] of this.children) { const oc = o.children.get(pe); if (oc) s.children.set(pe, c.intersection(oc)); }
    return s.pruned();
  }

  /** Paths of this set that are not in `o` (exact paths only; members of `o` do not remove subtrees). */
  difference(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) s.members.add(m);
    for (const [pe, c] of this.children) { const oc = o.children.get(pe); s.children.set(pe, oc ? c.difference(oc) : c.copy()); }
    return s.pruned();
  }

  /** Removes paths in `o` and every path below a member of `o`. */
  recursiveDifference(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) s.members.add(m);
    for (const [pe, c] of this.children) {
      if (o.members.has(pe)) continue;
      const oc = o.children.get(pe);
      s.children.set(pe, oc ? c.recursiveDifference(oc) : c.copy());
    }
    return s.pruned();
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).empty() && o.difference(this).empty();
  }

  private pruned(): FieldSet {
    for (const [pe, c] of [...this.children]) if (c.empty()) this.children.delete(pe);
    return this;
  }

  /** Every path, members before children at each level, each group in path-element order (upstream Iterate). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const m of [...this.members].sort(comparePE)) out.push([...prefix, m]);
    for (const pe of [...this.children.keys()].sort(comparePE)) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** The managedFields `fieldsV1` object. */
  toFieldsV1(): JsonObject {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): JsonObject {
    const out: JsonObject = {};
    const keys = new Set<PE>([...this.members, ...[...this.children].filter(([, c]) => !c.empty()).map(([pe]) => pe)]);
    if (includeSelf && keys.size > 0) out['.'] = {};
    for (const pe of [...keys].sort(comparePE)) {
      const child = this.children.get(pe);
      out[pe] = child && !child.empty() ? child.emit(this.members.has(pe)) : {};
    }
    return out;
  }

  /** Parses a `fieldsV1` object; throws on anything that is not one. */
  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    s.read(v, []);
    return s;
  }

  private read(v: unknown, prefix: Path): void {
    if (!isObject(v)) throw new Error(`fieldsV1 must be an object at ${pathToString(prefix) || 'the root'}`);
    for (const [k, child] of Object.entries(v)) {
      if (k === '.') { if (prefix.length > 0) this.insert(prefix); continue; }
      const pe = parsePE(k);
      const path = [...prefix, pe];
      if (!isObject(child)) throw new Error(`fieldsV1 entry ${k} must be an object`);
      if (Object.keys(child).length === 0) this.insert(path);
      else this.read(child, path);
    }
  }
}

/** Validates one serialized path element and returns it in canonical form. */
export function parsePE(k: string): PE {
  const body = k.slice(2);
  if (k.length < 2 || k[1] !== ':') throw new Error(`invalid path element ${JSON.stringify(k)}`);
  switch (k[0]) {
    case 'f': return k;
    case 'i': if (!/^\d+$/.test(body)) throw new Error(`invalid index in ${JSON.stringify(k)}`); return indexPE(Number(body));
    case 'v': return valuePE(JSON.parse(body) as Json);
    case 'k': {
      const obj = JSON.parse(body) as unknown;
      if (!isObject(obj)) throw new Error(`invalid key in ${JSON.stringify(k)}`);
      return keyPE(Object.entries(obj));
    }
    default: throw new Error(`invalid path element ${JSON.stringify(k)}`);
  }
}
