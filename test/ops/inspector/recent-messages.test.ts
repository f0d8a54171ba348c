import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorHost, defineKind, memoryLogger } from '../../../actors/runtime/index.js';
import { openLmdbStore } from '../../../actors/store/index.js';
import { RecentMessages } from '../../../ops/inspector/recent-messages.js';

const rec = (key: string, n: number) => ({ kind: 'k', key, msg: { n }, before: { n: n - 1 }, after: { n }, atMs: n, failed: false });

describe('inspector RecentMessages', () => {
  it('keeps the last perActor messages of an actor, newest last, each with its diff', () => {
    const r = new RecentMessages({ perActor: 2 });
    for (let n = 1; n <= 3; n++) r.handled(rec('a', n));
    assert.deepEqual(r.recent('k', 'a'), [
      { atMs: 2, msg: { n: 2 }, failed: false, diff: [{ op: 'change', path: ['n'], before: 1, after: 2 }] },
      { atMs: 3, msg: { n: 3 }, failed: false, diff: [{ op: 'change', path: ['n'], before: 2, after: 3 }] },
    ]);
  });

  it('drops the least recently active actor beyond maxActors', () => {
    const r = new RecentMessages({ maxActors: 2 });
    r.handled(rec('a', 1));
    r.handled(rec('b', 1));
    r.handled(rec('a', 2));
    r.handled(rec('c', 1));
    assert.deepEqual([r.recent('k', 'a').length, r.recent('k', 'b').length, r.recent('k', 'c').length], [2, 0, 1]);
  });

  it('rejects a non-positive bound naming it', () => {
    assert.throws(() => new RecentMessages({ perActor: 0 }), /perActor must be a positive integer, got 0/);
  });

  describe('installed on a real ActorHost (LMDB)', () => {
    let dir: string;
    let store: ReturnType<typeof openLmdbStore>;
    let host: ActorHost;
    const counter = defineKind<{ n: number; tags: string[] }, { add: number } | { fail: true }, number, { add: number }>({
      name: 'counter',
      initialState: () => ({ n: 0, tags: [] }),
      apply: (s, e) => ({ n: s.n + e.add, tags: [...s.tags, `+${e.add}`] }),
      handle(msg, ctx) {
        if ('fail' in msg) throw new Error('boom');
        ctx.persist({ add: msg.add });
        return ctx.state.n;
      },
    });
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'quarry-recent-'));
      store = openLmdbStore({ path: dir, mapSizeMb: 16, auditRetentionDays: 1 });
      host = new ActorHost({ store, logger: memoryLogger(), kinds: [counter] });
    });
    afterEach(async () => {
      await host.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('records each handled message with the diff it made, only for wanted actors, and nothing after uninstall', async () => {
      const r = new RecentMessages({ wants: (_kind, key) => key !== 'ignored' });
      const uninstall = host.observeHandled(r);
      assert.throws(() => host.observeHandled(new RecentMessages()), /already installed/);
      await host.ask(host.ref(counter, 'c1'), { add: 5 });
      await host.ask(host.ref(counter, 'ignored'), { add: 1 });
      await assert.rejects(host.ask(host.ref(counter, 'c1'), { fail: true }));
      uninstall();
      await host.ask(host.ref(counter, 'c1'), { add: 7 });
      assert.deepEqual(
        r.recent('counter', 'c1').map(({ msg, failed, diff }) => ({ msg, failed, diff })),
        [
          { msg: { add: 5 }, failed: false, diff: [{ op: 'change', path: ['n'], before: 0, after: 5 }, { op: 'add', path: ['tags', 0], after: '+5' }] },
          { msg: { fail: true }, failed: true, diff: [] },
        ],
      );
      assert.deepEqual(r.recent('counter', 'ignored'), []);
    });
  });
});
