// CoalescingWriter: frames go straight out while the stream takes them; once it reports a full buffer they queue
// and go out together, in order, split at the size cap, when it drains; the end follows everything queued; a
// cancelled stream takes nothing more.
import { CoalescingWriter, framedWatchEvent, encodeWatchEvent } from './server';
import { decodeWatchEvent } from '@mk8s/proto';
import { grpcwire } from '@mk8s/apimachinery';

class FakeCall {
  cancelled = false;
  sent: string[][] = [];
  ended = false;
  /** write() answers false (buffer full) while this is set. */
  full = false;
  drain?: () => void;
  writeFramed(b: Buffer): boolean {
    if (this.ended) throw new Error('write after end');
    // one whole gRPC message: the prefix's length is the body's
    expect(b[0]).toBe(0);
    expect(b.readUInt32BE(1)).toBe(b.length - grpcwire.MESSAGE_HEADER_BYTES);
    this.sent.push(decodeWatchEvent(b.subarray(grpcwire.MESSAGE_HEADER_BYTES)).frames.map(String));
    return !this.full;
  }
  onDrain(cb: () => void): void { this.drain = cb; }
  end(): void { this.ended = true; }
  drained(): void { this.full = false; this.drain!(); }
}
const ev = (s: string) => framedWatchEvent(s);

describe('CoalescingWriter', () => {
  it('writes each frame as it comes while the stream keeps up', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call);
    w.write(ev('a')); w.write(ev('b'));
    expect(call.sent).toEqual([['a'], ['b']]);
  });

  it('queues frames once the buffer is full and sends them as one message when it drains', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call);
    call.full = true;
    w.write(ev('a'));
    w.write(ev('b')); w.write(ev('c')); w.write(ev('d'));
    expect(call.sent).toEqual([['a']]);
    call.drained();
    expect(call.sent).toEqual([['a'], ['b', 'c', 'd']]);
    w.write(ev('e'));
    expect(call.sent).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('splits a long queue at the message size cap, keeping the order', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call);
    const big = 'x'.repeat(1024 * 1024);
    call.full = true;
    w.write(ev('first'));
    for (let i = 0; i < 9; i++) w.write(ev(`${i}${big}`));
    call.full = false;
    call.drained();
    const got = call.sent.slice(1);
    expect(got.length).toBeGreaterThan(2);
    expect(got.flat().map(f => f.slice(0, 1))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    for (const m of got) expect(m.reduce((a, f) => a + f.length, 0)).toBeLessThanOrEqual(CoalescingWriter.MAX_MESSAGE_BYTES);
  });

  it('stops flushing when the stream fills again, and goes on at the next drain', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call);
    const big = 'y'.repeat(3 * 1024 * 1024);
    call.full = true;
    w.write(ev('a'));
    w.write(ev(`1${big}`)); w.write(ev(`2${big}`)); w.write(ev('3'));
    call.drain!(); // still full: one message goes, the rest waits
    expect(call.sent.map(m => m.map(f => f[0]))).toEqual([['a'], ['1']]);
    call.drained();
    expect(call.sent.map(m => m.map(f => f[0]))).toEqual([['a'], ['1'], ['2', '3']]);
  });

  it('writes what is queued before ending, and nothing after', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call);
    call.full = true;
    w.write(ev('a')); w.write(ev('b')); w.write(ev('c'));
    w.end();
    expect(call.sent).toEqual([['a'], ['b', 'c']]);
    expect(call.ended).toBe(true);
    w.write(ev('late'));
    call.drained();
    expect(call.sent).toEqual([['a'], ['b', 'c']]);
  });

  it('drops frames once the client has cancelled', () => {
    const call = new FakeCall();
    const w = new CoalescingWriter(call);
    call.full = true;
    w.write(ev('a')); w.write(ev('b'));
    call.cancelled = true;
    call.drained();
    w.write(ev('c'));
    expect(call.sent).toEqual([['a']]);
  });

  it('frames a WatchEvent with its prefix around the plain encoding', () => {
    const f = framedWatchEvent('{"type":"ADDED"}\n');
    expect(f.subarray(grpcwire.MESSAGE_HEADER_BYTES)).toEqual(encodeWatchEvent('{"type":"ADDED"}\n'));
    expect(f.readUInt32BE(1)).toBe(f.length - grpcwire.MESSAGE_HEADER_BYTES);
  });
});
