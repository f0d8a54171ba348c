/**
 * The router's local delivery of an ask (`ActorHost.deliverAskInto`): the answer, and every refusal, reach the
 * router's pending callbacks as they reach a plain `ask`'s promise. Real LMDB, fake clock, one host in process.
 */
import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { fakeClock } from '../../../actors/runtime/clock.js';
import { AskTimeoutError, HostClosedError, MailboxFullError, UnknownKindError } from '../../../actors/runtime/errors.js';
import { memoryLogger } from '../../../actors/runtime/logger.js';
import type { HostOptions } from '../../../actors/runtime/options.js';
import { defineKind } from '../../../actors/runtime/types.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { ActorHost } from '../../../actors/runtime/port.js';
import { counter } from '../../actors/runtime/kinds.js';
import { tempDir } from '../../actors/store/support.js';
import { waitFor } from '../../../testing/wait.js';

/** The outcome of one delivery, and whether it arrived before `deliverAskInto` returned. */
interface Outcome {
  value?: unknown;
  err?: unknown;
  sync: boolean;
}

describe('cluster/routing: ActorHost.deliverAskInto (the router delivering an ask locally)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LmdbSnapshotStore;
  let fake: FakeTimers.Clock;
  let host: ActorHost;

  const start = (extra: Partial<HostOptions> = {}) => {
    host = new ActorHost({ store, clock: fakeClock(fake), logger: memoryLogger(), passivationIdleMs: 60_000, passivationTickMs: 1_000, ...extra });
  };

  /** Delivers `msg` and resolves with what reached the callbacks. */
  function deliver(ref: { kind: string; key: string }, msg: unknown, timeoutMs = 10_000): Promise<Outcome> {
    let returned = false;
    return new Promise<Outcome>((settle) => {
      host.deliverAskInto(
        ref,
        msg,
        (value) => settle({ value, sync: !returned }),
        (err) => settle({ err, sync: !returned }),
        timeoutMs,
      );
      returned = true;
    });
  }

  beforeEach(() => {
    dir = tempDir('deliver-ask-into');
    store = openLmdbStore({ path: dir.path, auditRetentionDays: 1 });
    fake = FakeTimers.createClock(1_700_000_000_000);
    start();
  });

  afterEach(async () => {
    await host.close();
    await store.close();
    dir.remove();
  });

  it('answers into the callbacks once the message is handled (and its write committed)', async () => {
    const ref = host.ref(counter, 'a');
    const got = await deliver(ref, { type: 'inc', by: 2 });
    assert.deepEqual(got, { value: 2, sync: false });
    assert.equal(await host.ask(ref, { type: 'get' }), 2, 'the same state a plain ask sees');
  });

  it('refuses an unknown kind, a full mailbox and a closed host through reject, never a throw', async () => {
    const unknown = await deliver({ kind: 'nope', key: 'x' }, { type: 'get' });
    assert.ok(unknown.err instanceof UnknownKindError, String(unknown.err));
    assert.equal(unknown.sync, true, 'refused at once, as the router expects');

    await host.close();
    start({ mailboxCapacity: 1 });
    const ref = host.ref(counter, 'm');
    const first = deliver(ref, { type: 'get' });
    const full = await deliver(ref, { type: 'get' });
    assert.ok(full.err instanceof MailboxFullError, String(full.err));
    assert.deepEqual(await first, { value: 0, sync: false });

    await host.close();
    const closed = await deliver(ref, { type: 'get' });
    assert.ok(closed.err instanceof HostClosedError, String(closed.err));
  });

  it('times out on the injected clock after timeoutMs', async () => {
    let release: ((v: string) => void) | undefined;
    const slow = defineKind<null, string, string>({ name: 'slow', initialState: () => null, handle: () => new Promise<string>((r) => (release = r)) });
    const pending = deliver(host.ref(slow, 's'), 'wait', 1_000);
    await waitFor(() => release !== undefined, { phase: 'async handler started', expected: 'release set', seen: () => 'unset' });
    let settled = false;
    void pending.then(() => (settled = true));
    fake.tick(999);
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'nothing before timeoutMs');
    fake.tick(1);
    const got = await pending;
    assert.ok(got.err instanceof AskTimeoutError, String(got.err));
    release?.('late'); // the handler ends, so the host can close
  });
});
