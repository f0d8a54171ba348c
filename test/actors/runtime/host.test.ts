import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { ActorHost } from '../../../actors/runtime/host.js';
import { fakeClock } from '../../../actors/runtime/clock.js';
import { memoryLogger } from '../../../actors/runtime/logger.js';
import { ActivationError, AskTimeoutError, HandlerError, MailboxFullError } from '../../../actors/runtime/errors.js';
import { defineKind } from '../../../actors/runtime/types.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { openLmdbDatabases } from '../../../actors/store/lmdb-store.js';
import { CorruptSnapshotError } from '../../../actors/store/errors.js';
import type { HostOptions } from '../../../actors/runtime/options.js';
import { tempDir } from '../store/support.js';
import { waitFor } from '../../../testing/wait.js';
import { counter, recorder, sender } from './kinds.js';

const MINUTE = 60_000;

describe('ActorHost (real LMDB, fake clock)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LmdbSnapshotStore;
  let fake: FakeTimers.Clock;
  let logger: ReturnType<typeof memoryLogger>;
  let host: ActorHost;

  function startHost(extra: Partial<HostOptions> = {}): ActorHost {
    host = new ActorHost({ store, clock: fakeClock(fake), logger, passivationIdleMs: MINUTE, passivationTickMs: 1_000, ...extra });
    return host;
  }

  async function restart(extra: Partial<HostOptions> = {}): Promise<ActorHost> {
    await host.close();
    await store.close();
    store = openLmdbStore({ path: dir.path, auditRetentionDays: 1 });
    return startHost(extra);
  }

  /** Records the op types of every store commit from now on (and calls `onCommit`, if given, as each starts). */
  function spyCommits(onCommit?: () => void): string[][] {
    const commits: string[][] = [];
    const commit = store.commit.bind(store);
    store.commit = (ops) => {
      onCommit?.();
      commits.push(ops.map((o) => o.t));
      return commit(ops);
    };
    return commits;
  }

  async function passivated(phase: string): Promise<void> {
    await waitFor(() => host.activeActorCount === 0, { phase, expected: 'no active actors', seen: () => host.activeActors() });
  }

  beforeEach(() => {
    dir = tempDir('host');
    store = openLmdbStore({ path: dir.path, auditRetentionDays: 1 });
    fake = FakeTimers.createClock(1_700_000_000_000);
    logger = memoryLogger();
    startHost();
  });

  afterEach(async () => {
    await host.close();
    await store.close();
    dir.remove();
  });

  it('activates, passivates after the idle time with a snapshot, and reactivates from it', async () => {
    const ref = host.ref(counter, 'a');
    for (let i = 0; i < 5; i++) await host.ask(ref, { type: 'inc', by: 1 });
    assert.equal(host.metrics(ref)?.activationCount, 1);
    fake.tick(MINUTE - 1_000);
    assert.equal(host.activeActorCount, 1, 'still active before the idle time');
    fake.tick(2_000);
    await passivated('passivation of counter/a');
    assert.equal(store.readSnapshot('counter', 'a')?.seq, 5);
    assert.deepEqual(store.readJournal('counter', 'a', 0), [], 'journal pruned up to the snapshot');
    assert.equal(await host.ask(ref, { type: 'get' }), 5);
    const m = host.metrics(ref)!;
    assert.equal(m.activationCount, 2);
    assert.equal(m.seq, 5);
    assert.equal(m.passivationDueMs, m.lastActivityMs + MINUTE);
  });

  it('deactivate (handoff) handles the queued messages, commits the snapshot, and leaves the actor out of memory', async () => {
    const ref = host.ref(counter, 'd');
    for (let i = 0; i < 3; i++) host.tell(ref, { type: 'inc', by: 1 });
    await host.deactivate(ref);
    assert.equal(host.metrics(ref), undefined, 'not active');
    assert.equal(store.readSnapshot('counter', 'd')?.seq, 3, 'queued increments handled and snapshotted');
    await host.deactivate(ref); // not active: resolves at once
    assert.equal(await host.ask(ref, { type: 'get' }), 3);
    assert.equal(host.metrics(ref)?.activationCount, 2);
  });

  it('handles a message that arrives during passivation exactly once, in the next activation', async () => {
    const ref = host.ref(counter, 'a');
    for (let i = 0; i < 5; i++) await host.ask(ref, { type: 'inc', by: 1 });
    fake.tick(MINUTE + 1_000); // passivation starts: its snapshot commit is now in flight
    assert.equal(host.activeActorCount, 1, 'the passivating actor is still registered while its snapshot commits');
    const reply = host.ask(ref, { type: 'inc', by: 1 });
    assert.equal(await reply, 6);
    assert.equal(host.metrics(ref)?.activationCount, 2, 'handled by the next activation');
    assert.equal(host.metrics(ref)?.messagesHandled, 1);
    await restart();
    assert.equal(await host.ask(host.ref(counter, 'a'), { type: 'get' }), 6, 'exactly once: not lost, not doubled');
  });

  it('keeps per-sender order under load, across many senders and actors', async () => {
    startHost({ mailboxCapacity: 100_000 });
    const senders = 10;
    const perSender = 2_000;
    const targets = ['t0', 't1', 't2'];
    const asks: Promise<unknown>[] = [];
    for (const t of targets) for (let s = 0; s < senders; s++) asks.push(host.ask(host.ref(sender, `${t}-s${s}`), { n: perSender, target: t }));
    // Messages from the test itself, interleaved with the actors' own.
    for (let i = 0; i < perSender; i++) for (const t of targets) host.tell(host.ref(recorder, t), { sender: 'main', i });
    await Promise.all(asks);
    await host.flush();
    for (const t of targets) {
      const report = await host.ask(host.ref(recorder, t), { type: 'report' });
      assert.equal(report.outOfOrder, 0, `recorder ${t} saw messages out of order`);
      assert.equal(report.next.main, perSender);
      for (let s = 0; s < senders; s++) assert.equal(report.next[`${t}-s${s}`], perSender, `recorder ${t}, sender ${s}`);
    }
  });

  it('refuses a corrupt snapshot with an error naming the actor, and keeps serving other actors', async () => {
    await host.ask(host.ref(counter, 'bad'), { type: 'inc', by: 3 });
    await host.ask(host.ref(counter, 'good'), { type: 'inc', by: 4 });
    await host.close();
    await store.close();
    const dbs = openLmdbDatabases(dir.path, 64);
    const bytes = Buffer.from(dbs.snapshots.getBinary(['counter', 'bad'])!);
    bytes[bytes.length - 1] ^= 0xff;
    dbs.snapshots.putSync(['counter', 'bad'], bytes);
    await dbs.root.close();
    store = openLmdbStore({ path: dir.path });
    startHost();
    const err = await host.ask(host.ref(counter, 'bad'), { type: 'get' }).then(
      () => assert.fail('a corrupt snapshot was loaded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ActivationError, String(err));
    assert.ok(err.cause instanceof CorruptSnapshotError);
    assert.match(err.message, /counter\/bad/);
    assert.equal(host.activeActors().some((r) => r.key === 'bad'), false);
    assert.equal(await host.ask(host.ref(counter, 'good'), { type: 'get' }), 4);
  });

  it('fails sends past mailboxCapacity with MailboxFullError and accepts again once drained', async () => {
    startHost({ mailboxCapacity: 3 });
    const ref = host.ref(counter, 'm');
    const first = [host.ask(ref, { type: 'get' }), host.ask(ref, { type: 'get' }), host.ask(ref, { type: 'get' })];
    assert.throws(() => host.tell(ref, { type: 'get' }), MailboxFullError);
    await assert.rejects(host.ask(ref, { type: 'get' }), MailboxFullError);
    assert.equal(host.metrics(ref)?.mailboxDepth, 3);
    await Promise.all(first);
    assert.equal(await host.ask(ref, { type: 'inc', by: 1 }), 1);
  });

  it('expires the session part after its TTL while the permanent state stays', async () => {
    const ref = host.ref(counter, 's');
    await host.ask(ref, { type: 'inc', by: 7 });
    assert.equal(await host.ask(ref, { type: 'hits' }), 2);
    fake.tick(MINUTE + 1_000);
    await passivated('passivation before the session TTL');
    const stored = store.readSession('counter', 's');
    assert.ok(stored, 'session written on passivation');
    assert.equal(await host.ask(ref, { type: 'hits' }), 3, 'session survives a passivation inside its TTL');
    fake.tick(MINUTE + 1_000);
    await passivated('second passivation');
    fake.tick(31 * MINUTE);
    await host.sweepNow(); // may be a sweep the timer started at an earlier fake time
    await host.sweepNow();
    assert.equal(store.readSession('counter', 's'), undefined, 'expired session swept from its database');
    assert.equal(await host.ask(ref, { type: 'hits' }), 1, 'a fresh session');
    assert.equal(await host.ask(ref, { type: 'get' }), 7, 'permanent state intact');
  });

  it('restarts an active actor\'s session after its TTL without a passivation', async () => {
    startHost({ passivationIdleMs: 24 * 60 * MINUTE });
    const ref = host.ref(counter, 'live');
    await host.ask(ref, { type: 'inc', by: 2 });
    fake.tick(29 * MINUTE);
    assert.equal(await host.ask(ref, { type: 'hits' }), 2);
    fake.tick(31 * MINUTE);
    assert.equal(await host.ask(ref, { type: 'hits' }), 1);
    assert.equal(await host.ask(ref, { type: 'get' }), 2);
  });

  it('deletes audit entries older than the retention, per actor queryable until then', async () => {
    const ref = host.ref(counter, 'au');
    await host.ask(ref, { type: 'inc', by: 1 });
    await host.ask(ref, { type: 'inc', by: 2 });
    assert.deepEqual(store.readAudit('counter', 'au', 10).map((a) => a.entry), [{ by: 1 }, { by: 2 }]);
    fake.tick(12 * 60 * MINUTE);
    await host.ask(ref, { type: 'inc', by: 3 });
    fake.tick(13 * 60 * MINUTE); // first two are now 25 h old, the third 13 h
    await host.sweepNow();
    await host.sweepNow();
    assert.deepEqual(store.readAudit('counter', 'au', 10).map((a) => a.entry), [{ by: 3 }]);
    assert.equal(await host.ask(ref, { type: 'get' }), 6);
  });

  it('commits outbox entries with the journal entry they belong to, and answers after the commit', async () => {
    const ref = host.ref(counter, 'o');
    let commits = 0;
    const off = host.outbox.onCommit(() => commits++);
    assert.equal(await host.ask(ref, { type: 'emit', channel: 'user.o' }), 1);
    // The reply came after the commit: both are readable now.
    assert.deepEqual(store.readJournal('counter', 'o', 0).map((j) => j.seq), [1]);
    const pending = host.outbox.readPending(0, 10);
    assert.equal(pending.length, 1);
    assert.deepEqual({ ...pending[0], committedAtMs: 0 }, { id: 1, channel: 'user.o', body: { n: 1 }, dedupId: 'counter/o/1/0', committedAtMs: 0 });
    assert.equal(commits, 1);
    off();
    await host.outbox.ack(1);
    assert.deepEqual(host.outbox.readPending(0, 10), []);
  });

  it('isolates a throwing handler: logged with the actor id, rejected to the asker, the actor and the host go on', async () => {
    const ref = host.ref(counter, 'h');
    await host.ask(ref, { type: 'inc', by: 1 });
    const err = await host.ask(ref, { type: 'boom' }).catch((e: unknown) => e);
    assert.ok(err instanceof HandlerError);
    assert.equal((err.cause as Error).message, 'boom');
    const asyncErr = await host.ask(ref, { type: 'asyncBoom' }).catch((e: unknown) => e);
    assert.ok(asyncErr instanceof HandlerError);
    host.tell(ref, { type: 'boom' }); // a tell's failure is only logged
    assert.equal(await host.ask(ref, { type: 'inc', by: 1 }), 2);
    assert.equal(await host.ask(host.ref(counter, 'other'), { type: 'inc', by: 5 }), 5);
    const logged = logger.entries.filter((e) => e.level === 'error').map((e) => (e.obj as { actor?: string }).actor);
    assert.deepEqual(logged, ['counter/h', 'counter/h', 'counter/h']);
  });

  it('times out an ask on the injected clock and supports async handlers', async () => {
    let release!: (v: string) => void;
    const slow = defineKind<null, string, string>({
      name: 'slow',
      initialState: () => null,
      handle: (msg) => (msg === 'wait' ? new Promise<string>((r) => (release = r)) : `echo ${msg}`),
    });
    const ref = host.ref(slow, 'x');
    const waiting = host.ask(ref, 'wait', { timeoutMs: 1_000 });
    const queued = host.ask(ref, 'after', { timeoutMs: 10 * MINUTE });
    await waitFor(() => release !== undefined, { phase: 'async handler started', expected: 'release set', seen: () => 'unset' });
    fake.tick(1_000);
    await assert.rejects(waiting, AskTimeoutError);
    release('late');
    assert.equal(await queued, 'echo after');
  });

  it('commits an async handler\'s writes after its await (journal and emit together) before the next event-loop turn', async () => {
    const order: string[] = [];
    const commits = spyCommits(() => order.push('commit'));
    const visitor = defineKind<{ n: number }, 'go', number, { n: number }>({
      name: 'visitor',
      initialState: () => ({ n: 0 }),
      apply: (state, e) => ({ n: state.n + e.n }),
      handle: async (_msg, ctx) => {
        const n = (await ctx.ask(host.ref(counter, 'c'), { type: 'get' })) as number;
        // Queued before the writes: with a drain scheduled for the commit instead, this would run first.
        setImmediate(() => order.push('next turn'));
        ctx.persist({ n: n + 1 });
        ctx.emit('user.v', { n });
        return n;
      },
    });
    assert.equal(await host.ask(host.ref(visitor, 'v'), 'go'), 0);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order.slice(0, 2), ['commit', 'next turn']);
    assert.deepEqual(commits, [['journal', 'outbox']], 'one commit with the journal entry and its emit');
  });

  it('keeps an async message\'s writes in one commit when the handler awaits a nextTick-settled promise between them', async () => {
    const commits = spyCommits();
    const ticker = defineKind<{ n: number }, 'go', number, { n: number }>({
      name: 'ticker',
      initialState: () => ({ n: 0 }),
      apply: (state, e) => ({ n: state.n + e.n }),
      handle: async (_msg, ctx) => {
        await Promise.resolve();
        ctx.persist({ n: 1 });
        await new Promise<void>((r) => process.nextTick(r));
        ctx.emit('user.t', { n: ctx.state.n });
        return ctx.state.n;
      },
    });
    assert.equal(await host.ask(host.ref(ticker, 't'), 'go'), 1);
    assert.deepEqual(commits, [['journal', 'outbox']]);
  });

  it('snapshots every snapshotEveryMessages events, prunes the journal, and replays the tail after a restart', async () => {
    startHost({ snapshotEveryMessages: 3 });
    const ref = host.ref(counter, 'j');
    for (let i = 0; i < 7; i++) await host.ask(ref, { type: 'inc', by: 1 });
    assert.equal(store.readSnapshot('counter', 'j')?.seq, 6);
    assert.deepEqual(store.readJournal('counter', 'j', 0).map((j) => j.seq), [7]);
    // Restart without the close-time snapshot: drop the host, reopen the store.
    await store.close();
    store = openLmdbStore({ path: dir.path });
    const fresh = new ActorHost({ store, clock: fakeClock(fake), logger });
    assert.equal(await fresh.ask(fresh.ref(counter, 'j'), { type: 'get' }), 7);
    await fresh.close();
  });
});
