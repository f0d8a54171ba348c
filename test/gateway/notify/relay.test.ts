import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../../../actors/runtime/types.js';
import { InProcessNotifier } from '../../../gateway/notify/in-process.js';
import { NotifyPublishError, type Notifier, type NotifyEvent } from '../../../gateway/notify/notifier.js';
import { OutboxRelay } from '../../../gateway/notify/relay.js';
import { LmdbTestOutbox } from '../../../testing/lmdb-outbox.js';
import { waitFor } from '../../../testing/wait.js';

/** Fails the first `failures` publishes, as a notifier whose backend is down would. */
function flaky(inner: Notifier, failures: number): Notifier & { attempts: number } {
  const wrapper = {
    attempts: 0,
    async publish(entries: readonly OutboxEntry[]) {
      wrapper.attempts++;
      if (wrapper.attempts <= failures) throw new NotifyPublishError('backend down (test)');
      await inner.publish(entries);
    },
    subscribe: inner.subscribe.bind(inner),
    get openStreams() {
      return inner.openStreams;
    },
    close: () => inner.close(),
  };
  return wrapper;
}

/** Holds every publish until the test settles it, so the relay's window and ack order can be driven exactly. */
class GatedNotifier implements Notifier {
  readonly calls: Array<{ ids: number[]; resolve: () => void; reject: (err: Error) => void }> = [];
  publish(entries: readonly OutboxEntry[]): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ ids: entries.map((e) => e.id), resolve, reject }));
  }
  subscribe(): never {
    throw new Error('not used');
  }
  readonly openStreams = 0;
  async close(): Promise<void> {}
}

describe('gateway/notify OutboxRelay (real LMDB outbox)', () => {
  let dir: string;
  let outbox: LmdbTestOutbox;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-relay-'));
    outbox = LmdbTestOutbox.open(dir);
  });
  afterEach(async () => {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An in-process notifier with `player`'s stream recording what it delivers; `close` ends both. */
  function listening(player: string) {
    const notifier = new InProcessNotifier();
    const got: NotifyEvent[] = [];
    const stream = notifier.subscribe(player, {}, (e) => got.push(e));
    return {
      notifier,
      got,
      close: async () => {
        stream.unsubscribe();
        await notifier.close();
      },
    };
  }

  /** The LMDB outbox as the relay's source, with `ack` replaced (to fail, hold or record acks). */
  function sourceWithAck(ack: (uptoId: number) => Promise<void>) {
    return {
      readPending: (afterId: number, limit: number) => outbox.readPending(afterId, limit),
      onCommit: (listener: () => void) => outbox.onCommit(listener),
      ack,
    };
  }

  /** An ack that waits until the test releases it (pushed to `held`), then acks in the outbox. */
  function heldAck(held: Array<{ uptoId: number; release: () => void }>, acked: number[] = []) {
    return async (uptoId: number) => {
      await new Promise<void>((release) => held.push({ uptoId, release }));
      await outbox.ack(uptoId);
      acked.push(uptoId);
    };
  }

  it('retries with backoff while publishing fails, then delivers every committed event once and drains the outbox', async () => {
    const { notifier, got, close } = listening('amy');
    const backend = flaky(notifier, 3);
    const relay = new OutboxRelay({ source: outbox, notifier: backend, flushIntervalMs: 5, maxBackoffMs: 20 });
    relay.start();
    for (let i = 1; i <= 10; i++) await outbox.commit('user.amy', i, `amy/${i}`);
    await waitFor(() => got.length === 10 && outbox.pendingCount() === 0, { phase: 'relay', expected: '10 delivered, outbox empty', seen: () => `${got.length} delivered, ${outbox.pendingCount()} pending` });
    await relay.stop();
    assert.deepEqual(got.map((e) => e.body), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(relay.stats.failedAttempts, 3);
    assert.equal(relay.stats.published, 10);
    await close();
  });

  it('pipelines a backlog (bounded window), acks strictly in order, and after a failed batch acks nothing past it and retries from it', async () => {
    for (let i = 1; i <= 12; i++) await outbox.commit('user.cy', i, `cy/${i}`);
    const gated = new GatedNotifier();
    const relay = new OutboxRelay({ source: outbox, notifier: gated, batchEntries: 4, maxInFlightBatches: 2, flushIntervalMs: 5, maxBackoffMs: 20 });
    const calls = (): string => JSON.stringify(gated.calls.map((c) => c.ids));
    relay.start();
    await waitFor(() => gated.calls.length === 2, { phase: 'window', expected: '2 batches in flight', seen: calls });
    assert.deepEqual(gated.calls.map((c) => c.ids), [[1, 2, 3, 4], [5, 6, 7, 8]]);
    gated.calls[0]!.resolve();
    await waitFor(() => gated.calls.length === 3 && relay.stats.ackedId === 4, { phase: 'slide', expected: 'batch 9-12 sent, 1-4 acked', seen: () => `${calls()} acked ${relay.stats.ackedId}` });
    gated.calls[2]!.resolve(); // a later batch succeeds first: still not acked before 5-8
    gated.calls[1]!.reject(new NotifyPublishError('batch 5-8 failed (test)'));
    await waitFor(() => relay.stats.failedAttempts === 1, { phase: 'failure', expected: '1 failed attempt', seen: () => JSON.stringify(relay.stats) });
    assert.equal(relay.stats.ackedId, 4, 'nothing acked past the failed batch');
    assert.equal(outbox.pendingCount(), 8);
    await waitFor(() => gated.calls.length === 5, { phase: 'retry', expected: 'batches 5-8 and 9-12 again', seen: calls });
    assert.deepEqual(gated.calls.slice(3).map((c) => c.ids), [[5, 6, 7, 8], [9, 10, 11, 12]]);
    gated.calls[4]!.resolve();
    gated.calls[3]!.resolve();
    await waitFor(() => outbox.pendingCount() === 0 && relay.stats.ackedId === 12, { phase: 'drained', expected: '0 pending, acked 12', seen: () => `${outbox.pendingCount()} pending, ${JSON.stringify(relay.stats)}` });
    await relay.stop();
  });

  it('under a light load sends one partial batch at a time, so commits made meanwhile go out together', async () => {
    await outbox.commit('user.di', 1, 'di/1');
    const gated = new GatedNotifier();
    const relay = new OutboxRelay({ source: outbox, notifier: gated, batchEntries: 4, maxInFlightBatches: 2, flushIntervalMs: 5 });
    const calls = (): string => JSON.stringify(gated.calls.map((c) => c.ids));
    relay.start();
    await waitFor(() => gated.calls.length === 1, { phase: 'first', expected: '1 batch', seen: calls });
    for (let i = 2; i <= 3; i++) await outbox.commit('user.di', i, `di/${i}`);
    assert.equal(gated.calls.length, 1, 'a partial batch in flight holds the next read back');
    gated.calls[0]!.resolve();
    await waitFor(() => gated.calls.length === 2, { phase: 'second', expected: '2 batches', seen: calls });
    assert.deepEqual(gated.calls[1]!.ids, [2, 3]);
    gated.calls[1]!.resolve();
    await waitFor(() => outbox.pendingCount() === 0, { phase: 'drained', expected: '0 pending', seen: () => String(outbox.pendingCount()) });
    await relay.stop();
  });

  it('re-publishes entries whose ack failed (crash between publish and ack) and the notifier drops the repeats', async () => {
    const { notifier, got, close } = listening('ben');
    let ackFailures = 1;
    const source = sourceWithAck(async (uptoId) => {
      if (ackFailures-- > 0) throw new Error('ack lost (test)');
      await outbox.ack(uptoId);
    });
    const relay = new OutboxRelay({ source, notifier, flushIntervalMs: 5, maxBackoffMs: 20 });
    for (let i = 1; i <= 3; i++) await outbox.commit('user.ben', i, `ben/${i}`);
    relay.start();
    await waitFor(() => outbox.pendingCount() === 0, { phase: 'ack retry', expected: 'outbox empty', seen: () => `${outbox.pendingCount()} pending` });
    await relay.stop();
    assert.deepEqual(got.map((e) => e.body), [1, 2, 3]);
    await close();
  });

  it('publishes new commits while an earlier batch\'s ack is still waiting for its disk flush, and acks in order', async () => {
    const { notifier, got, close } = listening('eve');
    const heldAcks: Array<{ uptoId: number; release: () => void }> = [];
    const acked: number[] = [];
    const source = sourceWithAck(heldAck(heldAcks, acked));
    const relay = new OutboxRelay({ source, notifier, flushIntervalMs: 5 });
    relay.start();
    await outbox.commit('user.eve', 1, 'eve/1');
    await waitFor(() => got.length === 1 && heldAcks.length === 1, { phase: 'first batch', expected: '1 event, its ack held', seen: () => `${got.length} events, ${heldAcks.length} acks held` });
    await outbox.commit('user.eve', 2, 'eve/2');
    await waitFor(() => got.length === 2, { phase: 'second batch behind a held ack', expected: '2 events while the first ack is held', seen: () => `${got.length} events, ${heldAcks.length} acks held` });
    assert.deepEqual(acked, [], 'nothing acked yet');
    for (let i = 0; i < 2; i++) {
      await waitFor(() => heldAcks.length > i, { phase: `ack ${i + 1}`, expected: 'requested', seen: () => `${heldAcks.length} acks held` });
      heldAcks[i]!.release();
    }
    await waitFor(() => outbox.pendingCount() === 0, { phase: 'acks released', expected: 'outbox empty', seen: () => `${outbox.pendingCount()} pending, acked ${acked.join(',')}` });
    await relay.stop();
    assert.deepEqual(acked, heldAcks.map((a) => a.uptoId), 'acks in outbox order');
    assert.deepEqual(got.map((e) => e.body), [1, 2]);
    await close();
  });

  it('coalesces acks: batches published while an ack waits for its flush are acked together by the next one', async () => {
    const { notifier, got, close } = listening('fay');
    const heldAcks: Array<{ uptoId: number; release: () => void }> = [];
    const source = sourceWithAck(heldAck(heldAcks));
    const relay = new OutboxRelay({ source, notifier, flushIntervalMs: 5 });
    relay.start();
    await outbox.commit('user.fay', 1, 'fay/1');
    await waitFor(() => got.length === 1 && heldAcks.length === 1, { phase: 'first batch', expected: '1 event, its ack held', seen: () => `${got.length} events, ${heldAcks.length} acks held` });
    // Three more batches, one commit each, while the first ack is held.
    for (let i = 2; i <= 4; i++) {
      await outbox.commit('user.fay', i, `fay/${i}`);
      await waitFor(() => got.length === i, { phase: `batch ${i}`, expected: `${i} events`, seen: () => `${got.length} events` });
    }
    assert.equal(heldAcks.length, 1, 'no second ack while the first is in flight');
    heldAcks[0]!.release();
    await waitFor(() => heldAcks.length === 2, { phase: 'second ack', expected: 'requested', seen: () => `${heldAcks.length} acks` });
    assert.equal(heldAcks[1]!.uptoId, 4, 'one ack covers the three batches published meanwhile');
    heldAcks[1]!.release();
    await waitFor(() => outbox.pendingCount() === 0 && relay.stats.ackedId === 4, { phase: 'drained', expected: 'outbox empty', seen: () => `${outbox.pendingCount()} pending, ${JSON.stringify(relay.stats)}` });
    await relay.stop();
    assert.equal(heldAcks.length, 2);
    assert.equal(relay.stats.published, 4);
    await close();
  });

  it('acks at most once per ackIntervalMs while events keep coming, and acks the rest at once on stop', async () => {
    const { notifier, got, close } = listening('gus');
    const acks: number[] = [];
    const source = sourceWithAck(async (uptoId) => {
      acks.push(uptoId);
      await outbox.ack(uptoId);
    });
    const relay = new OutboxRelay({ source, notifier, flushIntervalMs: 5, ackIntervalMs: 60_000 });
    relay.start();
    for (let i = 1; i <= 10; i++) {
      await outbox.commit('user.gus', i, `gus/${i}`);
      await waitFor(() => got.length === i && acks.length > 0, { phase: `commit ${i}`, expected: `${i} events, an ack`, seen: () => `${got.length} events, ${acks.length} acks` });
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(acks, [1], 'one ack, then the interval holds the next');
    const stopping = performance.now();
    await relay.stop();
    assert.ok(performance.now() - stopping < 5_000, 'stop does not wait out the interval');
    assert.deepEqual(acks, [1, 10], 'stop acks everything published');
    assert.equal(outbox.pendingCount(), 0);
    await close();
  });

  it('acks a backlog past maxInFlightBatches full batches at once instead of waiting out the interval', async () => {
    for (let i = 1; i <= 40; i++) await outbox.commit('user.hal', i, `hal/${i}`);
    const notifier = new InProcessNotifier();
    const relay = new OutboxRelay({ source: outbox, notifier, batchEntries: 4, maxInFlightBatches: 2, flushIntervalMs: 5, ackIntervalMs: 60_000 });
    relay.start();
    await waitFor(() => outbox.pendingCount() <= 8, { phase: 'backlog', expected: 'at most 2 batches unacked', seen: () => `${outbox.pendingCount()} pending, ${JSON.stringify(relay.stats)}` });
    await relay.stop();
    assert.equal(outbox.pendingCount(), 0);
    await notifier.close();
  });

  it('stops promptly while idle and resumes from the outbox on the next start', async () => {
    const notifier = new InProcessNotifier();
    const relay = new OutboxRelay({ source: outbox, notifier, flushIntervalMs: 60_000 });
    relay.start();
    await relay.stop();
    await outbox.commit('user.cy', 'later', 'cy/1');
    const next = new OutboxRelay({ source: outbox, notifier, flushIntervalMs: 60_000 });
    next.start();
    await waitFor(() => outbox.pendingCount() === 0, { phase: 'restart', expected: 'outbox empty', seen: () => `${outbox.pendingCount()} pending` });
    await next.stop();
    assert.deepEqual((await notifier.readAfter('user.cy', 0)).map((e) => e.body), ['later']);
    await notifier.close();
  });
});
