// The shape every controller here has (kubernetes/sample-controller): informers feed a rate-limited workqueue of
// keys; workers run an idempotent sync(key) that reads the cache, compares desired with observed and writes the
// difference. A sync that fails is retried with per-key backoff.
import { Queue, Logger } from '@mk8s/apimachinery';

export abstract class Controller {
  readonly queue: Queue<string>;
  constructor(readonly name: string, protected readonly log: Logger) {
    this.queue = new Queue<string>({ name });
  }

  /** Reconcile one key; return a delay (ms) to look again later although nothing failed. */
  protected abstract sync(key: string): Promise<number | void>;

  enqueue(key: string) { this.queue.add(key); }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  private async worker() {
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      const key = item.key;
      try {
        const again = await this.sync(key);
        this.queue.forget(key);
        if (typeof again === 'number' && again > 0) this.queue.addAfter(key, again);
      } catch (e) {
        this.log.warn('sync failed, will retry', { controller: this.name, key, error: (e as Error).message, retries: this.queue.numRequeues(key) });
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
