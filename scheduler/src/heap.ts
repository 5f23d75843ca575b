// A binary heap keyed by string with O(log n) update and delete of any item (the scheduling queue's
// activeQ and backoffQ, upstream backend/heap).
export class Heap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly keyOf: (t: T) => string, private readonly less: (a: T, b: T) => boolean) {}

  get size(): number { return this.items.length; }
  has(key: string): boolean { return this.index.has(key); }
  get(key: string): T | undefined { const i = this.index.get(key); return i === undefined ? undefined : this.items[i]; }
  peek(): T | undefined { return this.items[0]; }
  list(): T[] { return [...this.items]; }

  /** Adds or replaces (re-positioning) the item with this key. */
  addOrUpdate(t: T): void {
    const k = this.keyOf(t);
    const i = this.index.get(k);
    if (i !== undefined) { this.items[i] = t; this.fix(i); return; }
    this.items.push(t);
    this.index.set(k, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0];
    this.removeAt(0);
    return top;
  }

  delete(key: string): T | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const t = this.items[i];
    this.removeAt(i);
    return t;
  }

  private removeAt(i: number) {
    const last = this.items.length - 1;
    this.index.delete(this.keyOf(this.items[i]));
    if (i !== last) {
      this.items[i] = this.items[last];
      this.index.set(this.keyOf(this.items[i]), i);
      this.items.pop();
      this.fix(i);
    } else this.items.pop();
  }

  private fix(i: number) { if (!this.up(i)) this.down(i); }

  private swap(a: number, b: number) {
    const t = this.items[a]; this.items[a] = this.items[b]; this.items[b] = t;
    this.index.set(this.keyOf(this.items[a]), a); this.index.set(this.keyOf(this.items[b]), b);
  }

  private up(i: number): boolean {
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[parent])) break;
      this.swap(i, parent); i = parent;
    }
    return i !== start;
  }

  private down(i: number) {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1; const r = l + 1;
      let m = i;
      if (l < n && this.less(this.items[l], this.items[m])) m = l;
      if (r < n && this.less(this.items[r], this.items[m])) m = r;
      if (m === i) return;
      this.swap(i, m); i = m;
    }
  }
}
