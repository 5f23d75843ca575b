// A streaming call's messages as an async iterator, for callers that prefer `for await` to a handler.
// One reader at a time.
import type { StreamHandler } from './channel';
import type { GrpcError } from './status';

export class MessageQueue implements StreamHandler, AsyncIterable<Buffer> {
  private items: Buffer[] = [];
  private head = 0;
  private ended = false;
  private error: GrpcError | null = null;
  private waiter?: () => void;

  onMessage(msg: Buffer): void { this.items.push(msg); this.wake(); }
  onEnd(error: GrpcError | null): void { this.ended = true; this.error = error; this.wake(); }

  private wake(): void { const w = this.waiter; if (w) { this.waiter = undefined; w(); } }

  /** The next message, or undefined once the call ended OK; rejects with the call's GrpcError. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.head < this.items.length) {
        const m = this.items[this.head++];
        if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
        return m;
      }
      if (this.ended) { if (this.error) throw this.error; return undefined; }
      await new Promise<void>(r => { this.waiter = r; });
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (let m = await this.next(); m !== undefined; m = await this.next()) yield m;
  }
}
