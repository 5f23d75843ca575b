// Shared bits of the client e2e tests (test/e2e/client-*.test.ts): comparing what two transports returned,
// waiting for conditions, collecting watch events.
import { KubeClient, Resource, StatusError, WatchEvent } from '@mk8s/apimachinery';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls cond every intervalMs until it is true; throws with `what` after timeoutMs. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// Fields that differ between two separately created objects even when every request was the same.
const PER_OBJECT = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'time', 'continue',
  'lastTransitionTime', 'lastUpdateTime', 'firstTimestamp', 'lastTimestamp']);

/**
 * A copy of v with per-object values (uid, RVs, timestamps, continue tokens) replaced by a marker saying they
 * were there, and each `from` string replaced by `to` inside every string (namespace names in messages).
 */
export function normalize(v: unknown, replace: [string, string][] = []): unknown {
  if (typeof v === 'string') {
    let s = v;
    for (const [from, to] of replace) s = s.split(from).join(to);
    return s;
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, replace));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = PER_OBJECT.has(k) && x !== '' && x !== null && x !== undefined ? '<set>' : normalize(x, replace);
    }
    return out;
  }
  return v;
}

/** What one call gave: its value or the Status of its error (other errors are rethrown: they are bugs). */
export type Outcome = { ok: unknown } | { status: ReturnType<StatusError['toStatus']> };

export async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await p };
  } catch (e) {
    if (e instanceof StatusError) return { status: e.toStatus() };
    throw e;
  }
}

/** Collects the events of one watch until closed; `until` resolves once n events (optionally of a type) arrived. */
export class WatchLog {
  readonly events: WatchEvent[] = [];
  closed = false;
  closeError?: Error;
  private handle?: { stop(): void };

  start(kube: KubeClient, r: Resource, ns: string | undefined, q: Parameters<KubeClient['watch']>[2]): this {
    this.handle = kube.watch(r, ns, q, (ev) => this.events.push(ev), (err) => {
      this.closed = true;
      this.closeError = err;
    });
    return this;
  }

  async until(n: number, type?: string, timeoutMs = 20_000): Promise<WatchEvent[]> {
    const count = () => (type ? this.events.filter((e) => e.type === type).length : this.events.length);
    await waitFor(`${n} ${type ?? ''} watch events (have ${count()}: ${this.events.map((e) => e.type).join(',')})`, () => count() >= n, timeoutMs, 20);
    return this.events;
  }

  async closedNow(timeoutMs = 20_000): Promise<void> {
    await waitFor('the watch to close', () => this.closed, timeoutMs, 20);
  }

  stop(): void {
    this.handle?.stop();
  }
}

/** Percentile p (0..100) of numbers (nearest rank). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
