/**
 * The relay against the runtime's own outbox: an actor's `ctx.emit` is committed with its persisted event by
 * a real ActorHost on real LMDB, relayed, and streamed to the player; with NATS down in between for JetStream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorHost } from '../../../actors/runtime/host.js';
import { defineKind } from '../../../actors/runtime/types.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { InProcessNotifier } from '../../../gateway/notify/in-process.js';
import { JetStreamNotifier } from '../../../gateway/notify/jetstream.js';
import type { Notifier, NotifyEvent } from '../../../gateway/notify/notifier.js';
import { OutboxRelay } from '../../../gateway/notify/relay.js';
import { startNatsServer, type NatsServer } from '../../../testing/nats.js';
import { waitFor } from '../../../testing/wait.js';

/** Awards points: persists the award and tells the player, in one commit. */
const scorer = defineKind<{ points: number }, { award: number }, number, { points: number }>({
  name: 'scorer',
  initialState: () => ({ points: 0 }),
  apply: (state, event) => ({ points: state.points + event.points }),
  handle(msg, ctx) {
    ctx.persist({ points: msg.award });
    ctx.emit(`user.${ctx.self.key}`, { award: msg.award, total: ctx.state.points });
    return ctx.state.points;
  },
});

describe('gateway/notify relay on the runtime outbox (ActorHost, real LMDB)', () => {
  let dir: string;
  let store: LmdbSnapshotStore;
  let host: ActorHost;
  let nats: NatsServer | undefined;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-notify-runtime-'));
    store = openLmdbStore({ path: dir, auditRetentionDays: 1 });
    host = new ActorHost({ store });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await host.close();
    await store.close();
    await nats?.close();
    nats = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function streamAwards(notifier: Notifier, n: number, between?: () => Promise<void>): Promise<NotifyEvent[]> {
    const relay = new OutboxRelay({ source: host.outbox, notifier, flushIntervalMs: 20, maxBackoffMs: 200 });
    relay.start();
    closers.push(() => relay.stop());
    const got: NotifyEvent[] = [];
    const stream = notifier.subscribe('ivy', {}, (e) => got.push(e));
    closers.push(async () => stream.unsubscribe());
    const ref = host.ref(scorer, 'ivy');
    await host.ask(ref, { award: 1 });
    await waitFor(() => got.length === 1, { phase: 'first award', expected: '1 event', seen: () => JSON.stringify(got.map((e) => e.body)) });
    await between?.();
    for (let i = 2; i <= n; i++) await host.ask(ref, { award: i });
    return got;
  }

  it('delivers each committed emit once, in commit order (in-process notifier)', async () => {
    const notifier = new InProcessNotifier();
    closers.push(() => notifier.close());
    const got = await streamAwards(notifier, 10);
    await waitFor(() => got.length === 10, { phase: 'awards', expected: '10 events', seen: () => String(got.length) });
    assert.deepEqual(got.map((e) => (e.body as { total: number }).total), [1, 3, 6, 10, 15, 21, 28, 36, 45, 55]);
  });

  it('holds committed emits in the runtime outbox while NATS is down and delivers each once after it returns', async function () {
    this.timeout(30_000);
    nats = await startNatsServer();
    const server = nats;
    const notifier = await JetStreamNotifier.connect({ servers: server.url, publishTimeoutMs: 500 });
    closers.push(() => notifier.close());
    const got = await streamAwards(notifier, 8, () => server.stop());
    assert.equal(got.length, 1, 'nothing delivered while NATS is down');
    await server.start();
    await waitFor(() => got.length >= 8, { phase: 'after restart', expected: '8 events', seen: () => JSON.stringify(got.map((e) => e.body)), timeoutMs: 20_000 });
    assert.deepEqual(got.map((e) => (e.body as { award: number }).award), [1, 2, 3, 4, 5, 6, 7, 8]);
    await waitFor(() => host.outbox.readPending(0, 10).length === 0, { phase: 'outbox drained', expected: 'no pending entries', seen: () => String(host.outbox.readPending(0, 10).length) });
  });
});
