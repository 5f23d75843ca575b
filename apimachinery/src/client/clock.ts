// The time source of the client machinery, injectable so tests can drive queues, reflectors and leader election
// without real waiting.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock (the globals are looked up per call, so jest fake timers also apply). */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A manual clock for tests: time moves and timers fire only in `advance`/`advanceAsync`. */
export class FakeClock implements Clock {
  private t: number;
  private timers: { at: number; seq: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  constructor(start = Date.UTC(2024, 0, 1)) { this.t = start; }
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(0, ms), seq: id, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void { this.timers = this.timers.filter(x => x.id !== handle); }
  /** Number of timers not yet fired. */
  pending(): number { return this.timers.length; }
  /** Moves time forward synchronously, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.popDue(end); next; next = this.popDue(end)) { this.t = Math.max(this.t, next.at); next.fn(); }
    this.t = end;
  }
  /** Like advance, but lets promise callbacks run after each timer (for async code under test). */
  async advanceAsync(ms: number, step = ms): Promise<void> {
    const end = this.t + ms;
    await flushPromises();
    while (this.t < end) {
      const stepEnd = Math.min(end, this.t + step);
      for (let next = this.popDue(stepEnd); next; next = this.popDue(stepEnd)) {
        this.t = Math.max(this.t, next.at);
        next.fn();
        await flushPromises();
      }
      this.t = stepEnd;
      await flushPromises();
    }
  }
  /** Jumps the wall clock without firing timers (a suspended process resuming). */
  jump(ms: number): void { this.t += ms; }
  private popDue(end: number) {
    let best = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const x = this.timers[i];
      if (x.at <= end && (best < 0 || x.at < this.timers[best].at || (x.at === this.timers[best].at && x.seq < this.timers[best].seq))) best = i;
    }
    return best < 0 ? undefined : this.timers.splice(best, 1)[0];
  }
}

/** Lets queued promise callbacks run (a few macrotask turns). */
export async function flushPromises(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>(r => setImmediate(r));
}
