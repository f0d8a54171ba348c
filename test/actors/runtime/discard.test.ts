import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { ActorHost } from '../../../actors/runtime/host.js';
import { fakeClock } from '../../../actors/runtime/clock.js';
import { memoryLogger } from '../../../actors/runtime/logger.js';
import { defineKind } from '../../../actors/runtime/types.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { tempDir } from '../store/support.js';
import { counter } from './kinds.js';

/** The cluster's reason for a discard, as the router gives it (a retriable refusal in production). */
class NoQuorumHere extends Error {
  override readonly name = 'NoQuorumHere';
  constructor(readonly actorId: string) {
    super(`no quorum: ${actorId} dropped`);
  }
}

/** `inc` persists once, awaits the test's gate, then persists again: a handler the discard finds running. */
function gatedKind(gate: Promise<void>) {
  return defineKind<{ n: number }, { type: 'inc' }, number, { by: number }>({
    name: 'gated',
    initialState: () => ({ n: 0 }),
    apply: (state, event) => ({ n: state.n + event.by }),
    async handle(_msg, ctx) {
      ctx.persist({ by: 1 });
      await gate;
      ctx.persist({ by: 10 });
      return ctx.state.n;
    },
  });
}

describe('ActorHost.discardAll: memory dropped unhandled when the cluster says it cannot be trusted (real LMDB)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LmdbSnapshotStore;
  let logger: ReturnType<typeof memoryLogger>;
  let host: ActorHost;
  let commits: string[][];
  let fake: FakeTimers.Clock;

  beforeEach(() => {
    dir = tempDir('discard');
    store = openLmdbStore({ path: dir.path, auditRetentionDays: 1 });
    logger = memoryLogger();
    host = new ActorHost({ store, clock: fakeClock((fake = FakeTimers.createClock(1_700_000_000_000))), logger, passivationIdleMs: 60_000, passivationTickMs: 1_000 });
    commits = [];
    const commit = store.commit.bind(store);
    store.commit = (ops) => {
      commits.push(ops.map((o) => `${o.t}:${'key' in o ? o.key : ''}`));
      return commit(ops);
    };
  });

  afterEach(async () => {
    await host.close();
    await store.close();
    dir.remove();
  });

  it('rejects queued asks with the reason, drops queued tells, writes nothing, and the next message starts from the store', async () => {
    const a = host.ref(counter, 'a');
    assert.equal(await host.ask(a, { type: 'inc', by: 5 }), 5);
    await host.flush();
    const committedBefore = commits.length;
    host.tell(a, { type: 'inc', by: 100 });
    const queued = host.ask(a, { type: 'inc', by: 1_000 });
    const dropped = host.discardAll((id) => new NoQuorumHere(id));
    assert.equal(dropped, 1);
    assert.equal(host.activeActorCount, 0);
    await assert.rejects(queued, (err: unknown) => err instanceof NoQuorumHere && err.actorId === 'counter/a');
    await host.flush();
    assert.deepEqual(commits.slice(committedBefore), [], 'no final snapshot, no write of the queued messages');
    assert.ok(logger.entries.some((e) => e.level === 'warn' && (e.obj as { tellsDropped?: number }).tellsDropped === 1), 'the dropped tell is counted');
    assert.equal(await host.ask(a, { type: 'get' }), 5, 'a new activation from the committed state');
  });

  it('a handler running at the discard ends into nothing: its later writes are refused and its ask gets the reason', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const g = host.ref(gatedKind(gate), 'g');
    const running = host.ask(g, { type: 'inc' });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the handler's first write is committed; it waits at the gate
    assert.equal(host.discardAll((id) => new NoQuorumHere(id)), 1);
    const before = commits.length;
    open();
    await assert.rejects(running, NoQuorumHere);
    await host.flush();
    assert.deepEqual(commits.slice(before), [], 'the write after the discard never reaches the store');
    const errors = logger.entries.filter((e) => e.level === 'error');
    assert.deepEqual(errors, [], 'no handler failure logged');
  });

  it('an idle passivation in flight at the discard does not retire the key\'s next activation', async () => {
    const a = host.ref(counter, 'p');
    await host.ask(a, { type: 'inc', by: 2 });
    await host.flush();
    const before = commits.length;
    fake.tick(61_000); // idle past passivationIdleMs: its snapshot commit starts
    assert.equal(commits.length, before + 1, 'the passivation snapshot is in flight');
    host.discardAll((id) => new NoQuorumHere(id));
    assert.equal(await host.ask(a, { type: 'inc', by: 3 }), 5, 'the next activation reads what was committed');
    await host.flush();
    assert.equal(host.activeActorCount, 1, 'the new activation is still there after the old one\'s snapshot settled');
    assert.equal(await host.ask(a, { type: 'get' }), 5);
  });

});
