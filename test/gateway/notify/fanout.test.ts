import assert from 'node:assert/strict';
import { LocalFanout, type ChannelReader } from '../../../gateway/notify/fanout.js';
import { InvalidChannelError, type NotifyEvent } from '../../../gateway/notify/notifier.js';
import { waitFor } from '../../../testing/wait.js';

/** A backend log the test controls: `hold()` makes the next reads wait until `release()`. */
class FakeReader implements ChannelReader {
  readonly log: NotifyEvent[] = [];
  reads: Array<[string, number]> = [];
  failNext = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  add(channel: string, seq: number, body: unknown = seq): NotifyEvent {
    const prev = this.log.filter((e) => e.channel === channel).at(-1)?.seq ?? 0;
    const event = { channel, seq, prevSeq: prev, atMs: 0, body };
    this.log.push(event);
    return event;
  }
  async isAhead(seq: number): Promise<boolean> {
    return seq > Math.max(0, ...this.log.map((e) => e.seq));
  }
  /** Retention: forgets `channel`'s events up to `seq` (oldest first, as JetStream and the in-process log do). */
  drop(channel: string, seq: number): void {
    for (let i = this.log.length - 1; i >= 0; i--) if (this.log[i]!.channel === channel && this.log[i]!.seq <= seq) this.log.splice(i, 1);
  }
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  async readAfter(channel: string, afterSeq: number): Promise<NotifyEvent[]> {
    this.reads.push([channel, afterSeq]);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('backend down');
    }
    const snapshot = this.log.filter((e) => e.channel === channel && e.seq > afterSeq);
    // A real backend answers on a later turn; this also keeps a read loop from starving the timers.
    await new Promise((resolve) => setImmediate(resolve));
    await this.gate;
    return snapshot;
  }
}

const options = { retryBaseMs: 1, retryMaxMs: 5, catchUpBufferEvents: 100, maxConcurrentReads: 2 };
const seqs = (events: NotifyEvent[]): number[] => events.map((e) => e.seq);

describe('gateway/notify LocalFanout', () => {
  it('catches up a live gap from the reader, then delivers the buffered live events once, in order', async () => {
    const reader = new FakeReader();
    const fanout = new LocalFanout(reader, options);
    const got: NotifyEvent[] = [];
    fanout.subscribe('a', {}, (e) => got.push(e));
    await waitFor(() => reader.reads.length === 1, { phase: 'initial read', expected: '1 read', seen: () => String(reader.reads.length) });
    fanout.dispatch(reader.add('user.a', 1));
    reader.add('user.a', 3); // never arrives live: lost
    reader.hold();
    fanout.dispatch(reader.add('user.a', 5)); // prevSeq 3 > 1: gap
    fanout.dispatch(reader.add('user.a', 8)); // arrives while catching up
    reader.release();
    await waitFor(() => got.length === 4, { phase: 'gap', expected: 'seqs 1,3,5,8', seen: () => JSON.stringify(seqs(got)) });
    assert.deepEqual(seqs(got), [1, 3, 5, 8]);
    assert.deepEqual(reader.reads.at(-1), ['user.a', 1]);
    fanout.close();
  });

  it('retries a failed catch-up, reports the error, and still delivers everything', async () => {
    const reader = new FakeReader();
    reader.add('user.b', 2);
    reader.failNext = 2;
    const fanout = new LocalFanout(reader, options);
    const got: NotifyEvent[] = [];
    const errors: Error[] = [];
    fanout.subscribe('b', {}, (e) => got.push(e), { onError: (err) => errors.push(err) });
    await waitFor(() => got.length === 1, { phase: 'retry', expected: 'seq 2', seen: () => JSON.stringify(seqs(got)) });
    assert.equal(errors.length, 2);
    fanout.close();
  });

  it('resyncAll reads each channel once and delivers events missed while disconnected', async () => {
    const reader = new FakeReader();
    const fanout = new LocalFanout(reader, options);
    const got = new Map<string, NotifyEvent[]>([['a', []], ['b', []]]);
    for (const id of ['a', 'b']) fanout.subscribe(id, { all: 0 }, (e) => got.get(id)!.push(e));
    await waitFor(() => reader.reads.length === 4, { phase: 'initial reads', expected: '4 reads', seen: () => JSON.stringify(reader.reads) });
    reader.add('all', 4);
    reader.add('user.b', 6);
    reader.reads = [];
    await fanout.resyncAll();
    assert.deepEqual(reader.reads.map(([c]) => c).sort(), ['all', 'user.a', 'user.b']);
    assert.deepEqual(seqs(got.get('a')!), [4]);
    assert.deepEqual(seqs(got.get('b')!).sort(), [4, 6]);
    fanout.close();
  });

  it('delivers a live event whose gap the backend no longer has, once, with prevSeq showing the loss (no endless re-reading)', async () => {
    const reader = new FakeReader();
    const fanout = new LocalFanout(reader, options);
    const got: NotifyEvent[] = [];
    fanout.subscribe('r', {}, (e) => got.push(e));
    await waitFor(() => reader.reads.length === 1, { phase: 'initial read', expected: '1 read', seen: () => String(reader.reads.length) });
    fanout.dispatch(reader.add('user.r', 1));
    reader.add('user.r', 3); // never arrives live
    const five = reader.add('user.r', 5);
    reader.drop('user.r', 5); // retention took 3 and 5 before the catch-up reads
    fanout.dispatch(five);
    await waitFor(() => got.length === 2 && fanout.catchingUp === 0, { phase: 'gap beyond retention', expected: 'seqs 1,5', seen: () => `${JSON.stringify(seqs(got))}, reads ${JSON.stringify(reader.reads)}` });
    assert.deepEqual(got.map((e) => [e.seq, e.prevSeq]), [[1, 0], [5, 3]]);
    assert.deepEqual(reader.reads, [['user.r', 0], ['user.r', 1]]);
    fanout.dispatch(reader.add('user.r', 7));
    assert.deepEqual(seqs(got), [1, 5, 7]);
    fanout.close();
  });

  it('resync after a reconnect passes on the loss a backend reports (first replayed prevSeq beyond the cursor)', async () => {
    const reader = new FakeReader();
    const fanout = new LocalFanout(reader, options);
    const got: NotifyEvent[] = [];
    fanout.subscribe('s', {}, (e) => got.push(e));
    await waitFor(() => reader.reads.length === 1, { phase: 'initial read', expected: '1 read', seen: () => String(reader.reads.length) });
    fanout.dispatch(reader.add('user.s', 1));
    for (const seq of [2, 3, 4, 5]) reader.add('user.s', seq); // published while this node was disconnected
    reader.drop('user.s', 3);
    await fanout.resyncAll();
    await waitFor(() => got.length === 3 && fanout.catchingUp === 0, { phase: 'resync', expected: 'seqs 1,4,5', seen: () => JSON.stringify(seqs(got)) });
    assert.deepEqual(got.map((e) => [e.seq, e.prevSeq]), [[1, 0], [4, 3], [5, 4]]);
    fanout.close();
  });

  it('runs at most maxConcurrentReads backend reads at once and serves every stream', async () => {
    const reader = new FakeReader();
    let inFlight = 0;
    let most = 0;
    const slow: ChannelReader = {
      isAhead: (seq) => reader.isAhead(seq),
      async readAfter(channel, afterSeq) {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return reader.readAfter(channel, afterSeq);
      },
    };
    for (let i = 0; i < 10; i++) reader.add(`user.q${i}`, i + 1);
    const fanout = new LocalFanout(slow, options);
    const got: NotifyEvent[] = [];
    for (let i = 0; i < 10; i++) fanout.subscribe(`q${i}`, {}, (e) => got.push(e));
    await waitFor(() => got.length === 10 && fanout.catchingUp === 0, { phase: 'limited reads', expected: '10 events', seen: () => `${got.length}` });
    assert.equal(most, 2);
    fanout.close();
  });

  it('rejects player and building ids that cannot be one subject token', () => {
    const fanout = new LocalFanout(new FakeReader(), options);
    assert.throws(() => fanout.subscribe('a.b', {}, () => {}), InvalidChannelError);
    const stream = fanout.subscribe('ok', {}, () => {});
    assert.throws(() => stream.follow('hq>'), /not a valid channel/);
    assert.throws(() => stream.follow(''), InvalidChannelError);
    stream.unsubscribe();
    fanout.close();
  });

  it('takes the first live event of an unlisted channel as its start and drops older or repeated seqs', async () => {
    const reader = new FakeReader();
    const fanout = new LocalFanout(reader, options);
    const got: NotifyEvent[] = [];
    const stream = fanout.subscribe('c', {}, (e) => got.push(e));
    stream.follow('hq');
    fanout.dispatch({ channel: 'building.hq', seq: 10, prevSeq: 7, atMs: 0, body: 'x' });
    fanout.dispatch({ channel: 'building.hq', seq: 10, prevSeq: 7, atMs: 0, body: 'x' });
    fanout.dispatch({ channel: 'building.hq', seq: 9, prevSeq: 7, atMs: 0, body: 'old' });
    fanout.dispatch({ channel: 'building.hq', seq: 12, prevSeq: 10, atMs: 0, body: 'y' });
    assert.deepEqual(got.map((e) => e.body), ['x', 'y']);
    assert.deepEqual(stream.cursor(), { 'user.c': 0, 'building.hq': 12 });
    stream.unsubscribe();
    assert.equal(fanout.streamCount, 0);
    fanout.close();
  });

  it('a channel going from one tap to several and back delivers to exactly the streams still on it', () => {
    const fanout = new LocalFanout(new FakeReader(), options);
    const got: Record<string, unknown[]> = { p: [], q: [], r: [] };
    const streams = Object.fromEntries(['p', 'q', 'r'].map((id) => [id, fanout.subscribe(id, {}, (e) => got[id]!.push(e.body))]));
    const send = (seq: number) => fanout.dispatch({ channel: 'building.hq', seq, prevSeq: seq - 1, atMs: 0, body: seq });
    streams['p']!.follow('hq');
    send(1);
    streams['q']!.follow('hq');
    streams['r']!.follow('hq');
    send(2);
    streams['q']!.unsubscribe();
    send(3);
    streams['r']!.unfollow();
    send(4);
    streams['q']!.follow('hq'); // after unsubscribe: ignored
    send(5);
    assert.deepEqual(got, { p: [1, 2, 3, 4, 5], q: [2], r: [2, 3] });
    assert.equal(fanout.streamCount, 2);
    assert.equal(fanout.listens('building.hq'), true);
    streams['p']!.unfollow();
    assert.equal(fanout.listens('building.hq'), false, 'the last tap leaves the channel');
    assert.deepEqual(streams['r']!.cursor(), { 'user.r': 0 });
    for (const s of Object.values(streams)) s.unsubscribe();
    assert.equal(fanout.streamCount, 0);
    assert.equal(fanout.listens('all'), false);
    fanout.close();
  });
});
