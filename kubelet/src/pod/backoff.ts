// Crash-loop backoff per container (client-go flowcontrol.Backoff as the kubelet uses it): 10 s doubling to 5 min;
// an entry older than 2 x max (10 min) starts again at 10 s, so a container that ran that long starts fresh.
export class Backoff {
  private readonly entries = new Map<string, { backoffMs: number; lastUpdate: number }>();
  constructor(private readonly initialMs = 10_000, private readonly maxMs = 300_000, private readonly now = () => Date.now()) {}

  /** True while `eventTime` (the container's finishedAt) is within the current backoff window. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e.lastUpdate)) return false;
    return this.now() - eventTime < e.backoffMs;
  }

  /** Called when a restart happens: the next window doubles (capped), or restarts at the initial value. */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e.lastUpdate)) this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.now() });
    else { e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs); e.lastUpdate = this.now(); }
  }

  get(key: string): number { return this.entries.get(key)?.backoffMs ?? 0; }
  /** Remaining wait for a container that finished at eventTime. */
  remainingMs(key: string, eventTime: number): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, eventTime + e.backoffMs - this.now()) : 0;
  }

  /** Drops entries that can no longer matter (housekeeping). */
  gc(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.lastUpdate > 2 * this.maxMs) this.entries.delete(k);
  }

  private expired(eventTime: number, lastUpdate: number): boolean { return eventTime - lastUpdate > 2 * this.maxMs; }
}
