import assert from 'node:assert/strict';
import { InProcessNotifier } from '../../../gateway/notify/in-process.js';
import { NotifyConfigError } from '../../../gateway/notify/notifier.js';
import { CONTRACT_RETAIN_EVENTS, notifierContract } from './support/contract.js';

notifierContract('in-process', async () => {
  const notifier = new InProcessNotifier({ replayRetainEvents: CONTRACT_RETAIN_EVENTS });
  return { pub: notifier, sub: notifier, close: () => notifier.close() };
});

describe('gateway/notify in-process specifics', () => {
  it('forgets a dedupId after dedupWindowMs (injected clock)', async () => {
    let nowMs = 1_000;
    const notifier = new InProcessNotifier({ dedupWindowMs: 100, now: () => nowMs });
    const entry = { id: 1, channel: 'user.a', body: 'x', dedupId: 'd1', committedAtMs: 0 };
    await notifier.publish([entry]);
    nowMs += 99;
    await notifier.publish([entry]);
    assert.equal((await notifier.readAfter('user.a', 0)).length, 1, 'still inside the window');
    nowMs += 1;
    await notifier.publish([entry]);
    assert.deepEqual((await notifier.readAfter('user.a', 0)).map((e) => [e.seq, e.prevSeq]), [[1, 0], [2, 1]]);
    await notifier.close();
  });

  it('stops replaying events older than replayMaxAgeMs (injected clock)', async () => {
    let nowMs = 0;
    const notifier = new InProcessNotifier({ replayMaxAgeMs: 1_000, now: () => nowMs });
    await notifier.publish([{ id: 1, channel: 'user.old', body: 'old', dedupId: 'o1', committedAtMs: 0 }]);
    nowMs = 900;
    await notifier.publish([{ id: 2, channel: 'user.new', body: 'a', dedupId: 'n1', committedAtMs: 0 }]);
    nowMs = 1_000;
    await notifier.publish([{ id: 3, channel: 'user.new', body: 'b', dedupId: 'n2', committedAtMs: 0 }]);
    assert.deepEqual((await notifier.readAfter('user.old', 0)).map((e) => e.body), []);
    assert.deepEqual((await notifier.readAfter('user.new', 0)).map((e) => e.body), ['a', 'b']);
    await notifier.close();
  });

  it('drops entries whose channel is not all, user.<id> or building.<id>, keeping the rest', async () => {
    const notifier = new InProcessNotifier();
    await notifier.publish([
      { id: 1, channel: 'user.a.b', body: 1, dedupId: 'x1', committedAtMs: 0 },
      { id: 2, channel: 'other', body: 2, dedupId: 'x2', committedAtMs: 0 },
      { id: 3, channel: 'user.a', body: 3, dedupId: 'x3', committedAtMs: 0 },
    ]);
    assert.deepEqual((await notifier.readAfter('user.a', 0)).map((e) => e.body), [3]);
    await notifier.close();
  });

  it('rejects a non-positive setting naming its key', () => {
    assert.throws(() => new InProcessNotifier({ replayRetainEvents: 0 }), (err: Error) => err instanceof NotifyConfigError && /notify\.replayRetainEvents/.test(err.message));
    assert.throws(() => new InProcessNotifier({ dedupWindowMs: 1.5 }), /notify\.dedupWindowMs must be a positive integer/);
  });
});
