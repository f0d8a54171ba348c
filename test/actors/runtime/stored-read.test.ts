import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { ActorHost } from '../../../actors/runtime/host.js';
import { fakeClock } from '../../../actors/runtime/clock.js';
import { memoryLogger } from '../../../actors/runtime/logger.js';
import { HandlerError, ReadOnlyMessageError } from '../../../actors/runtime/errors.js';
import { defineKind } from '../../../actors/runtime/types.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { tempDir } from '../store/support.js';

const MINUTE = 60_000;
const SESSION_TTL_MS = 30 * MINUTE;

type Msg =
  | { type: 'inc'; by: number }
  | { type: 'note'; text: string }
  | { type: 'get' }
  | { type: 'getPersists' }
  | { type: 'getEmits' }
  | { type: 'getAudits' }
  | { type: 'getThrows' };

interface View {
  n: number;
  note: string;
}

/** A persisted counter whose session holds a note; every `get*` message is declared read-only. */
const peeked = defineKind<{ n: number }, Msg, View, { by: number }, { note: string }>({
  name: 'peeked',
  initialState: () => ({ n: 0 }),
  apply: (state, event) => {
    state.n += event.by;
    return state;
  },
  session: { ttlMs: SESSION_TTL_MS, initial: () => ({ note: '' }) },
  readOnly: (msg) => msg.type.startsWith('get'),
  handle(msg, ctx) {
    switch (msg.type) {
      case 'inc':
        ctx.persist({ by: msg.by });
        break;
      case 'note':
        ctx.session.note = msg.text;
        break;
      case 'getPersists':
        ctx.persist({ by: 100 });
        break;
      case 'getEmits':
        ctx.emit('all', { n: ctx.state.n });
        break;
      case 'getAudits':
        ctx.audit({ read: true });
        break;
      case 'getThrows':
        throw new Error('read failed');
    }
    return { n: ctx.state.n, note: ctx.session.note };
  },
});

describe('ActorHost read-only messages answered from the store (KindDef.readOnly; real LMDB, fake clock)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LmdbSnapshotStore;
  let fake: FakeTimers.Clock;
  let host: ActorHost;

  beforeEach(() => {
    dir = tempDir('stored-read');
    store = openLmdbStore({ path: dir.path, auditRetentionDays: 1 });
    fake = FakeTimers.createClock(1_700_000_000_000);
    host = new ActorHost({ store, clock: fakeClock(fake), logger: memoryLogger(), passivationIdleMs: MINUTE, passivationTickMs: 1_000 });
  });

  afterEach(async () => {
    await host.close();
    await store.close();
    dir.remove();
  });

  it('a never-seen actor: answers from its initial state and session, and activates nothing', async () => {
    const ref = host.ref(peeked, 'fresh');
    assert.deepEqual(await host.ask(ref, { type: 'get' }), { n: 0, note: '' });
    assert.equal(host.activeActorCount, 0);
    assert.equal(host.metrics(ref), undefined);
  });

  it('a passivated actor: answers from its snapshot, journal and stored session without activating it', async () => {
    const ref = host.ref(peeked, 'a');
    await host.ask(ref, { type: 'inc', by: 3 });
    await host.ask(ref, { type: 'note', text: 'in hq' });
    await host.ask(ref, { type: 'inc', by: 4 });
    await host.deactivate(ref);
    assert.equal(host.activeActorCount, 0, 'deactivated before the read');
    assert.deepEqual(await host.ask(ref, { type: 'get' }), { n: 7, note: 'in hq' });
    assert.equal(host.activeActorCount, 0, 'still not active after the read');
    // The next ordinary message activates it as before, with the same state (the read changed nothing).
    assert.deepEqual(await host.ask(ref, { type: 'inc', by: 1 }), { n: 8, note: 'in hq' });
    assert.equal(host.metrics(ref)?.activationCount, 2);
  });

  it('an active actor: the read-only message is handled in its mailbox order, after what was sent before it', async () => {
    const ref = host.ref(peeked, 'b');
    await host.ask(ref, { type: 'inc', by: 1 });
    host.tell(ref, { type: 'inc', by: 10 });
    host.tell(ref, { type: 'note', text: 'annex' });
    assert.deepEqual(await host.ask(ref, { type: 'get' }), { n: 11, note: 'annex' });
    assert.equal(host.metrics(ref)?.messagesHandled, 4);
  });

  it('a stored session past its TTL reads as the initial session, as an activation would see it', async () => {
    const ref = host.ref(peeked, 'c');
    await host.ask(ref, { type: 'note', text: 'old' });
    await host.deactivate(ref);
    fake.tick(SESSION_TTL_MS + 1_000);
    assert.deepEqual(await host.ask(ref, { type: 'get' }), { n: 0, note: '' });
    assert.equal(host.activeActorCount, 0);
  });

  it('a write from stored state fails the ask with ReadOnlyMessageError and stores nothing', async () => {
    const ref = host.ref(peeked, 'd');
    await host.ask(ref, { type: 'inc', by: 2 });
    await host.deactivate(ref);
    for (const type of ['getPersists', 'getEmits', 'getAudits'] as const) {
      await assert.rejects(host.ask(ref, { type }), (err: unknown) => err instanceof ReadOnlyMessageError && err.actorId === 'peeked/d', type);
    }
    await assert.rejects(host.ask(ref, { type: 'getThrows' }), (err: unknown) => err instanceof HandlerError && (err.cause as Error).message === 'read failed');
    assert.equal(host.activeActorCount, 0);
    assert.deepEqual(store.outbox.readPending(0, 10), [], 'no emit reached the outbox');
    // An activation replays what is stored: the refused persist is not there.
    assert.deepEqual(await host.ask(ref, { type: 'inc', by: 0 }), { n: 2, note: '' });
  });
  it('a readOnly predicate that throws rejects the ask (a promise, never a synchronous throw)', async () => {
    const picky = defineKind<{ n: number }, Msg, View>({
      name: 'picky',
      initialState: () => ({ n: 0 }),
      readOnly: () => {
        throw new Error('predicate failed');
      },
      handle: (_msg, ctx) => ({ n: ctx.state.n, note: '' }),
    });
    let answer: Promise<View> | undefined;
    assert.doesNotThrow(() => (answer = host.ask(host.ref(picky, 'e'), { type: 'get' })));
    await assert.rejects(answer!, /predicate failed/);
  });
});
