/**
 * The Notifier contract, run against every implementation. `make` returns a publishing notifier and a
 * subscribing one (the same object in-process; two connections, i.e. two nodes, for JetStream).
 */
import assert from 'node:assert/strict';
import type { OutboxEntry } from '../../../../actors/runtime/types.js';
import type { Notifier, NotifyEvent } from '../../../../gateway/notify/notifier.js';
import { waitFor } from '../../../../testing/wait.js';

export interface ContractPair {
  pub: Notifier;
  sub: Notifier;
  close(): Promise<void>;
}

/** Retention every `make` must configure (notify.replayRetainEvents), so the retention test can rely on it. */
export const CONTRACT_RETAIN_EVENTS = 5;

let nextId = 1;
function entry(channel: string, body: unknown, dedupId = `test/${nextId}`): OutboxEntry {
  return { id: nextId++, channel, body, dedupId, committedAtMs: 1_700_000_000_000 + nextId };
}

function recorder(): { events: NotifyEvent[]; on: (e: NotifyEvent) => void; bodies: (channel?: string) => unknown[] } {
  const events: NotifyEvent[] = [];
  return {
    events,
    on: (e) => events.push(e),
    bodies: (channel) => events.filter((e) => channel === undefined || e.channel === channel).map((e) => e.body),
  };
}

function seen(events: NotifyEvent[]): () => string {
  return () => JSON.stringify(events.map((e) => [e.channel, e.seq, e.body]));
}

export function notifierContract(label: string, make: () => Promise<ContractPair>): void {
  describe(`Notifier contract: ${label}`, function () {
    let pair: ContractPair;
    beforeEach(async () => {
      pair = await make();
    });
    afterEach(async () => {
      await pair.close();
    });

    it('streams personal, building and all events live with seq and per-channel prevSeq', async () => {
      const r = recorder();
      const stream = pair.sub.subscribe('alice', {}, r.on);
      stream.follow('hq');
      await waitFor(() => stream.cursor()['user.alice'] !== undefined, { phase: 'subscribe', expected: 'personal channel anchored', seen: () => JSON.stringify(stream.cursor()) });
      await pair.pub.publish([entry('user.alice', 'a1'), entry('building.hq', 'h1'), entry('all', 'x1'), entry('user.bob', 'b1'), entry('building.lab', 'l1'), entry('user.alice', 'a2')]);
      await waitFor(() => r.events.length >= 4, { phase: 'live', expected: '4 events for alice', seen: seen(r.events) });
      assert.deepEqual(r.bodies('user.alice'), ['a1', 'a2']);
      assert.deepEqual(r.bodies('building.hq'), ['h1']);
      assert.deepEqual(r.bodies('all'), ['x1']);
      const [a1, a2] = r.events.filter((e) => e.channel === 'user.alice');
      assert.ok(a2!.seq > a1!.seq, 'seq increases along a channel');
      assert.equal(a2!.prevSeq, a1!.seq, 'prevSeq links to the previous event on the channel');
      assert.equal(a1!.prevSeq, 0);
      stream.unsubscribe();
    });

    it('drops a duplicate publish (same dedupId), live and in replay', async () => {
      const r = recorder();
      const stream = pair.sub.subscribe('carol', {}, r.on);
      const once = entry('user.carol', 'c1', 'dup/1');
      await pair.pub.publish([once]);
      await pair.pub.publish([once, entry('user.carol', 'c2')]);
      await waitFor(() => r.events.length >= 2, { phase: 'live after duplicate', expected: '2 events', seen: seen(r.events) });
      const late = recorder();
      const replay = pair.sub.subscribe('carol', {}, late.on);
      await waitFor(() => late.events.length >= 2, { phase: 'replay after duplicate', expected: '2 events', seen: seen(late.events) });
      // Give a wrongly stored duplicate every chance to show up before asserting it did not.
      await pair.pub.publish([entry('user.carol', 'c3')]);
      await waitFor(() => r.events.length >= 3 && late.events.length >= 3, { phase: 'marker', expected: 'c3 on both streams', seen: seen(r.events) });
      assert.deepEqual(r.bodies(), ['c1', 'c2', 'c3']);
      assert.deepEqual(late.bodies(), ['c1', 'c2', 'c3']);
      stream.unsubscribe();
      replay.unsubscribe();
    });

    it('resumes from a per-channel cursor with exactly the missed events, in order, then live', async () => {
      const r = recorder();
      const first = pair.sub.subscribe('dave', {}, r.on);
      first.follow('hq');
      await waitFor(() => first.cursor()['user.dave'] !== undefined, { phase: 'subscribe', expected: 'anchored', seen: () => JSON.stringify(first.cursor()) });
      await pair.pub.publish([entry('user.dave', 'd1'), entry('all', 'x1'), entry('building.hq', 'h1')]);
      await waitFor(() => r.events.length >= 3, { phase: 'before disconnect', expected: '3 events', seen: seen(r.events) });
      const cursor = first.cursor();
      first.unsubscribe();
      await pair.pub.publish([entry('user.dave', 'd2'), entry('all', 'x2'), entry('building.hq', 'h2'), entry('user.dave', 'd3'), entry('building.hq', 'h3')]);
      const again = recorder();
      const second = pair.sub.subscribe('dave', cursor, again.on);
      second.follow('hq');
      await waitFor(() => again.events.length >= 5, { phase: 'resume', expected: '5 missed events', seen: seen(again.events) });
      await pair.pub.publish([entry('user.dave', 'd4'), entry('all', 'x3')]);
      await waitFor(() => again.events.length >= 7, { phase: 'live after resume', expected: '7 events', seen: seen(again.events) });
      assert.deepEqual(again.bodies('user.dave'), ['d2', 'd3', 'd4']);
      assert.deepEqual(again.bodies('all'), ['x2', 'x3']);
      assert.deepEqual(again.bodies('building.hq'), ['h2', 'h3']);
      assert.equal(again.events.length, 7, 'nothing delivered twice');
      for (const channel of ['user.dave', 'all', 'building.hq']) {
        const onChannel = again.events.filter((e) => e.channel === channel);
        assert.equal(onChannel[0]!.prevSeq, cursor[channel], `${channel} resumes right after the cursor`);
      }
      second.unsubscribe();
    });

    it('replays the retained personal events to a new stream; all and an unlisted building start live', async () => {
      const n = CONTRACT_RETAIN_EVENTS + 2;
      await pair.pub.publish(Array.from({ length: n }, (_, i) => entry('user.erin', `e${i}`)));
      // A witness stream sees the old broadcasts arrive on this node first, so they are history, not live.
      const witness = recorder();
      const watcher = pair.sub.subscribe('witness', {}, witness.on);
      watcher.follow('hq');
      await pair.pub.publish([entry('all', 'old'), entry('building.hq', 'old')]);
      await waitFor(() => witness.events.length >= 2, { phase: 'witness', expected: 'old broadcasts arrived', seen: seen(witness.events) });
      watcher.unsubscribe();
      const r = recorder();
      const stream = pair.sub.subscribe('erin', {}, r.on);
      stream.follow('hq');
      await waitFor(() => r.events.length >= CONTRACT_RETAIN_EVENTS, { phase: 'replay', expected: `${CONTRACT_RETAIN_EVENTS} retained`, seen: seen(r.events) });
      await pair.pub.publish([entry('all', 'new'), entry('building.hq', 'new')]);
      await waitFor(() => r.events.length >= CONTRACT_RETAIN_EVENTS + 2, { phase: 'live', expected: 'all and building live', seen: seen(r.events) });
      assert.deepEqual(r.bodies('user.erin'), Array.from({ length: CONTRACT_RETAIN_EVENTS }, (_, i) => `e${i + 2}`));
      assert.deepEqual(r.bodies('all'), ['new']);
      assert.deepEqual(r.bodies('building.hq'), ['new']);
      stream.unsubscribe();
    });

    it('signals events lost to retention: the first replayed event after the cursor has prevSeq beyond it', async () => {
      const r = recorder();
      const first = pair.sub.subscribe('hal', {}, r.on);
      await pair.pub.publish([entry('user.hal', 'h0')]);
      await waitFor(() => r.events.length >= 1, { phase: 'before disconnect', expected: 'h0', seen: seen(r.events) });
      const cursor = first.cursor();
      first.unsubscribe();
      const missed = CONTRACT_RETAIN_EVENTS + 2;
      await pair.pub.publish(Array.from({ length: missed }, (_, i) => entry('user.hal', `h${i + 1}`)));
      const again = recorder();
      const second = pair.sub.subscribe('hal', cursor, again.on);
      await waitFor(() => again.events.length >= CONTRACT_RETAIN_EVENTS, { phase: 'resume past retention', expected: `${CONTRACT_RETAIN_EVENTS} retained`, seen: seen(again.events) });
      await pair.pub.publish([entry('user.hal', 'marker')]);
      await waitFor(() => again.events.length >= CONTRACT_RETAIN_EVENTS + 1, { phase: 'live after resume', expected: 'marker', seen: seen(again.events) });
      assert.deepEqual(again.bodies(), [...Array.from({ length: CONTRACT_RETAIN_EVENTS }, (_, i) => `h${missed - CONTRACT_RETAIN_EVENTS + i + 1}`), 'marker']);
      const head = again.events[0]!;
      assert.ok(head.prevSeq > cursor['user.hal']! && head.prevSeq < head.seq, `loss shown: cursor ${cursor['user.hal']} < prevSeq ${head.prevSeq} < seq ${head.seq}`);
      for (let i = 1; i < again.events.length; i++) assert.equal(again.events[i]!.prevSeq, again.events[i - 1]!.seq, 'no loss signalled after the first');
      second.unsubscribe();
    });

    it('treats a cursor beyond every assigned seq as a reset history and replays that channel from the start', async () => {
      await pair.pub.publish([entry('user.gus', 'g1'), entry('user.gus', 'g2')]);
      const r = recorder();
      const stream = pair.sub.subscribe('gus', { 'user.gus': 1e12 }, r.on);
      await waitFor(() => r.events.length >= 2, { phase: 'reset cursor', expected: 'g1, g2', seen: seen(r.events) });
      assert.deepEqual(r.bodies(), ['g1', 'g2']);
      assert.equal(r.events[0]!.prevSeq, 0);
      stream.unsubscribe();
    });

    it('follows one building at a time and stops after unfollow and unsubscribe', async () => {
      const r = recorder();
      const stream = pair.sub.subscribe('fay', {}, r.on);
      stream.follow('hq');
      await pair.pub.publish([entry('building.hq', 'h1')]);
      await waitFor(() => r.events.length >= 1, { phase: 'follow hq', expected: 'h1', seen: seen(r.events) });
      stream.follow('lab');
      await pair.pub.publish([entry('building.hq', 'h2'), entry('building.lab', 'l1')]);
      await waitFor(() => r.events.length >= 2, { phase: 'follow lab', expected: 'l1', seen: seen(r.events) });
      stream.unfollow();
      await pair.pub.publish([entry('building.lab', 'l2'), entry('user.fay', 'f1')]);
      await waitFor(() => r.events.length >= 3, { phase: 'unfollow', expected: 'f1', seen: seen(r.events) });
      stream.unsubscribe();
      await pair.pub.publish([entry('user.fay', 'f2')]);
      const other = recorder();
      const check = pair.sub.subscribe('fay', { 'user.fay': r.events.at(-1)!.seq }, other.on);
      await waitFor(() => other.events.length >= 1, { phase: 'after unsubscribe', expected: 'f2 on a new stream', seen: seen(other.events) });
      assert.deepEqual(r.bodies(), ['h1', 'l1', 'f1']);
      check.unsubscribe();
    });

    it('fans one broadcast out to every subscribed player', async () => {
      const players = 200;
      const got = new Map<string, unknown[]>();
      const streams = Array.from({ length: players }, (_, i) => {
        const id = `p${i}`;
        got.set(id, []);
        return pair.sub.subscribe(id, {}, (e) => got.get(id)!.push(e.body));
      });
      await pair.pub.publish([entry('all', { winner: 'p7' })]);
      const reached = (): number => [...got.values()].filter((b) => b.length > 0).length;
      await waitFor(() => reached() === players, { phase: 'broadcast', expected: `${players} players`, seen: () => `${reached()} players` });
      for (const bodies of got.values()) assert.deepEqual(bodies, [{ winner: 'p7' }]);
      for (const s of streams) s.unsubscribe();
    });
  });
}
