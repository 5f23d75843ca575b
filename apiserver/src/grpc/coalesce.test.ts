// CoalescingWriter: one message in flight per watch stream; frames queued meanwhile go out together, in order,
// split at the size cap; the end follows everything queued; a cancelled stream takes nothing more.
import { CoalescingWriter, encodeWatchEvent } from './server';
import { decodeWatchEvent } from '@mk8s/proto';

class FakeCall {
  cancelled = false;
  sent: string[][] = [];
  ended = false;
  pending: (() => void)[] = [];
  write(b: Buffer, cb?: () => void): boolean {
    if (this.ended) throw new Error('write after end');
    this.sent.push(decodeWatchEvent(b).frames.map(String));
    if (cb) this.pending.push(cb);
    return true;
  }
  end(): void { this.ended = true; }
  /** The oldest write completes. */
  complete(): void { this.pending.shift()!(); }
}
const ev = (s: string) => encodeWatchEvent(s);

describe('CoalescingWriter', () => {
  it('sends the first frame at once and the frames queued while it is in flight as one message', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call as any);
    w.write(ev('a'));
    expect(call.sent).toEqual([['a']]);
    w.write(ev('b')); w.write(ev('c')); w.write(ev('d'));
    expect(call.sent).toEqual([['a']]);
    call.complete();
    expect(call.sent).toEqual([['a'], ['b', 'c', 'd']]);
    call.complete();
    w.write(ev('e'));
    expect(call.sent).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('splits a long queue at the message size cap, keeping the order', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call as any);
    const big = 'x'.repeat(1024 * 1024);
    w.write(ev('first'));
    for (let i = 0; i < 9; i++) w.write(ev(`${i}${big}`));
    while (call.pending.length) call.complete();
    const got = call.sent.slice(1);
    expect(got.length).toBeGreaterThan(2);
    expect(got.flat().map(f => f.slice(0, 1))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    for (const m of got) expect(m.reduce((a, f) => a + f.length, 0)).toBeLessThanOrEqual(CoalescingWriter.MAX_MESSAGE_BYTES);
  });

  it('writes what is queued before ending, and nothing after', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call as any);
    w.write(ev('a')); w.write(ev('b')); w.write(ev('c'));
    w.end();
    expect(call.sent).toEqual([['a'], ['b', 'c']]);
    expect(call.ended).toBe(true);
    w.write(ev('late'));
    while (call.pending.length) call.complete();
    expect(call.sent).toEqual([['a'], ['b', 'c']]);
  });

  it('drops frames once the client has cancelled', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call as any);
    w.write(ev('a')); w.write(ev('b'));
    call.cancelled = true;
    call.complete();
    w.write(ev('c'));
    expect(call.sent).toEqual([['a']]);
  });
});
