import { strict as assert } from 'node:assert';
import { buildRing, ownerOf } from '../../../cluster/placement/ring.js';
import { planMoves } from '../../../cluster/routing/ownership-diff.js';
import { confirmedGone, hasQuorum, nextAgreed, rejoinAgreed, type PeerView } from '../../../cluster/routing/quorum.js';
import { decideRoute } from '../../../cluster/routing/route.js';
import { resolveRoutingOptions } from '../../../cluster/routing/options.js';
import { MSGPACK, decodeWith, encodeWith } from '../../../cluster/routing/wire-codec.js';
import { startTerm, exportActor, TERM_SEQ_GAP } from '../../../cluster/routing/handoff.js';
import { HandoffPendingError, UnavailableError } from '../../../cluster/routing/errors.js';
import { errorFromReply, errorToReply } from '../../../cluster/routing/replies.js';

const set = (...ids: string[]) => new Set(ids);

describe('cluster/routing: pure parts', () => {
  describe('hasQuorum / nextAgreed (keep-majority)', () => {
    const table: Array<[string[], string[], boolean]> = [
      [['a', 'b', 'c'], ['a', 'b', 'c'], true],
      [['a', 'b', 'c'], ['a', 'b'], true],
      [['a', 'b', 'c'], ['c'], false],
      [['a', 'b', 'c', 'd'], ['a', 'b'], false],
      [['a', 'b', 'c', 'd'], ['a', 'b', 'c'], true],
      [['a', 'b', 'c', 'd'], ['a'], false],
      [['a', 'b'], ['a'], false],
      [['a'], ['a'], true],
      [['a', 'b', 'c'], ['c', 'x', 'y'], false],
    ];
    for (const [agreed, live, want] of table) {
      it(`agreed [${agreed}] live [${live}] -> ${want}`, () => assert.equal(hasQuorum(new Set(agreed), new Set(live)), want));
    }
    it('the majority side drops a member once its failure is confirmed; the minority keeps the set', () => {
      assert.deepEqual([...nextAgreed(set('a', 'b', 'c'), set('a', 'b'), set(), set('c'))].sort(), ['a', 'b']);
      assert.deepEqual([...nextAgreed(set('a', 'b', 'c'), set('c'), set(), set('a', 'b'))].sort(), ['a', 'b', 'c']);
    });
    it('an unconfirmed failure keeps the member agreed (and on the ring)', () => {
      assert.deepEqual([...nextAgreed(set('a', 'b', 'c'), set('a', 'b'), set(), set())].sort(), ['a', 'b', 'c']);
    });
    it('a graceful leave drops out of the agreed set even when the rest is not a majority of the old set', () => {
      assert.deepEqual([...nextAgreed(set('a', 'b', 'c'), set('a'), set('b', 'c'), set())].sort(), ['a']);
    });
    it('a join grows the agreed set', () => {
      assert.deepEqual([...nextAgreed(set('a', 'b'), set('a', 'b', 'c'), set(), set())].sort(), ['a', 'b', 'c']);
    });
  });

  describe('confirmedGone (a failure leaves the agreed set only when a majority sees it)', () => {
    const v = (...e: Array<[string, string[]]>) => new Map<string, PeerView>(e.map(([id, live]) => [id, { serving: true, agreed: ['a', 'b', 'c'], live }]));
    const abc = set('a', 'b', 'c');
    it('c dead for a and b: confirmed', () => assert.deepEqual([...confirmedGone('a', abc, set('a', 'b'), v(['b', ['a', 'b']]))], ['c']));
    it('asymmetric partition: a cannot reach c, but b still sees c live: not confirmed', () => assert.deepEqual([...confirmedGone('a', abc, set('a', 'b'), v(['b', ['a', 'b', 'c']]))], []));
    it('no peer answered yet: not confirmed (this node alone is no majority of 3)', () => assert.deepEqual([...confirmedGone('a', abc, set('a', 'b'), v())], []));
    it('a peer that is not live here does not vote', () => assert.deepEqual([...confirmedGone('a', abc, set('a'), v(['b', ['a', 'b']]))], []));
    it('5 members, two gone: three votes confirm both', () =>
      assert.deepEqual([...confirmedGone('a', set('a', 'b', 'c', 'd', 'e'), set('a', 'b', 'c'), v(['b', ['a', 'b', 'c']], ['c', ['a', 'b', 'c']]))].sort(), ['d', 'e']));
  });

  describe('rejoinAgreed (a node that lost quorum serves again only with a whole view)', () => {
    const views = (...v: Array<[string, boolean, string[]]>) => new Map<string, PeerView>(v.map(([id, serving, agreed]) => [id, { serving, agreed, live: agreed }]));
    const sorted = (s: Set<string> | undefined) => (s === undefined ? undefined : [...s].sort());
    // p3 was cut off from p1 and p2 (they serve with agreed {p1, p2}); the heal reaches p3 one peer at a time.
    it('hearing one serving peer of two is not enough: its agreed set names a member not live here', () =>
      assert.equal(rejoinAgreed('p3', set('p1', 'p2', 'p3'), set('p1', 'p3'), views(['p1', true, ['p1', 'p2']])), undefined));
    it('a serving peer whose agreed members are all live here vouches: the live view becomes the agreed set', () =>
      assert.deepEqual(sorted(rejoinAgreed('p3', set('p1', 'p2', 'p3'), set('p1', 'p2', 'p3'), views(['p1', true, ['p1', 'p2']]))), ['p1', 'p2', 'p3']));
    it('a member that joined the serving side meanwhile must be live here too', () =>
      assert.equal(rejoinAgreed('p3', set('p1', 'p2', 'p3'), set('p1', 'p2', 'p3'), views(['p1', true, ['p1', 'p2', 'p4']])), undefined));
    it('a member of our stale agreed set that died meanwhile does not block: the serving side vouches without it', () =>
      assert.deepEqual(sorted(rejoinAgreed('p4', set('p1', 'p2', 'p3', 'p4', 'p5'), set('p1', 'p2', 'p4', 'p5'), views(['p1', true, ['p1', 'p2']]))), ['p1', 'p2', 'p4', 'p5']));
    it('nobody serves (the whole cluster lost quorum): every member of our agreed set live and answered', () =>
      assert.deepEqual(sorted(rejoinAgreed('a', set('a', 'b', 'c'), set('a', 'b', 'c'), views(['b', false, ['a', 'b', 'c']], ['c', false, ['b', 'c']]))), ['a', 'b', 'c']));
    it('nobody serves, but a live peer has not answered: wait', () =>
      assert.equal(rejoinAgreed('a', set('a', 'b', 'c'), set('a', 'b', 'c'), views(['b', false, ['a', 'b', 'c']])), undefined));
    it('nobody serves, but a member of our agreed set is not live: wait (it may be serving elsewhere)', () =>
      assert.equal(rejoinAgreed('a', set('a', 'b', 'c'), set('a', 'b'), views(['b', false, ['a', 'b', 'c']])), undefined));
    it('alone: wait', () => assert.equal(rejoinAgreed('a', set('a', 'b', 'c'), set('a'), views()), undefined));
  });

  describe('decideRoute (hop limits)', () => {
    const ring = buildRing(['a', 'b', 'c']);
    const key = 'k-7';
    const owner = ownerOf(ring, 'counter', key);
    const other = ['a', 'b', 'c'].find((x) => x !== owner)!;
    it('the owner delivers locally', () => assert.deepEqual(decideRoute(ring, owner, 'counter', key, 2, 3, true), { t: 'local' }));
    it('an entry node sends with hops 0', () => assert.deepEqual(decideRoute(ring, other, 'counter', key, undefined, 3, true), { t: 'remote', to: owner, hops: 0 }));
    it('a received message is forwarded with hops + 1', () => assert.deepEqual(decideRoute(ring, other, 'counter', key, 2, 3, true), { t: 'remote', to: owner, hops: 3 }));
    it('at maxForwardHops it fails instead', () => assert.deepEqual(decideRoute(ring, other, 'counter', key, 3, 3, true), { t: 'hopLimit', hops: 3 }));
    it('without quorum nothing is routed', () => assert.deepEqual(decideRoute(ring, owner, 'counter', key, undefined, 3, false), { t: 'unavailable' }));
  });

  describe('planMoves (dry-run of a join or leave)', () => {
    const actors = Array.from({ length: 1000 }, (_, i) => ({ kind: i % 2 === 0 ? 'player' : 'beacon', key: `k${i}`, bytes: 100 }));
    const two = buildRing(['a', 'b']);
    const three = buildRing(['a', 'b', 'c']);
    it('a join moves actors only to the new member, with exact counts and bytes', () => {
      const plan = planMoves(two, three, actors);
      const expected = actors.filter((x) => ownerOf(three, x.kind, x.key) === 'c');
      assert.equal(plan.totalActors, 1000);
      assert.equal(plan.movedActors, expected.length);
      assert.equal(plan.movedBytes, expected.length * 100);
      assert.deepEqual(Object.keys(plan.byRoute).every((r) => r.endsWith('->c')), true);
      assert.equal(plan.byKind.player!.actors + plan.byKind.beacon!.actors, expected.length);
    });
    it('the reverse leave moves exactly the same actors back', () => {
      const join = planMoves(two, three, actors);
      const leave = planMoves(three, two, actors);
      assert.equal(leave.movedActors, join.movedActors);
      assert.deepEqual(Object.keys(leave.byRoute).every((r) => r.startsWith('c->')), true);
    });
    it('an unchanged ring moves nothing', () => assert.deepEqual(planMoves(three, three, actors), { totalActors: 1000, movedActors: 0, movedBytes: 0, byKind: {}, byRoute: {} }));
  });

  describe('wire codec and options', () => {
    it('msgpack carries plain data, Date and Uint8Array; undefined is an empty payload', () => {
      const v = { a: 1, s: 'x', d: new Date(1700000000000), b: new Uint8Array([1, 2]), n: [1, null, 'z'] };
      assert.deepEqual(decodeWith(MSGPACK, 'k', 'message', encodeWith(MSGPACK, 'k', 'message', v)), v);
      assert.equal(encodeWith(MSGPACK, 'k', 'reply', undefined).length, 0);
      assert.equal(decodeWith(MSGPACK, 'k', 'reply', new Uint8Array(0)), undefined);
    });
    it('options name the key and the rule', () => {
      assert.throws(() => resolveRoutingOptions({ maxForwardHops: 0 }), /cluster\.maxForwardHops: must be a positive integer, got 0/);
      assert.throws(() => resolveRoutingOptions({ durability: 'x' as 'local' }), /cluster\.durability: must be local or replicated/);
    });
  });

  describe('errorFromReply (a peer\'s refusal rebuilt by the asker)', () => {
    const REASON = 'not heard from a majority of the agreed members within the lease (this node may be cut off)';
    const table: Array<[string, Error, string, string]> = [
      ['the peer asked refused', new UnavailableError('n2', REASON), 'n2', `node n2 is unavailable: ${REASON}`],
      ['the node the peer forwarded to refused', new UnavailableError('n3', REASON), 'n3', `node n3 is unavailable: ${REASON}`],
      ['a reason that itself mentions unavailability', new UnavailableError('n2', 'node n9 is unavailable: x'), 'n2', 'node n2 is unavailable: node n9 is unavailable: x'],
    ];
    for (const [what, refusal, nodeId, message] of table) {
      it(`${what}: the message names ${nodeId} once`, () => {
        const rebuilt = errorFromReply(errorToReply(refusal), 'n2', 'player/p1');
        assert.ok(rebuilt instanceof UnavailableError, rebuilt.name);
        assert.equal(rebuilt.nodeId, nodeId);
        assert.equal(rebuilt.message, message);
      });
    }
    it('a hand-off still pending on the peer: the message says so once', () => {
      const pending = new HandoffPendingError('player/p1', 'n3 did not release it in time');
      const rebuilt = errorFromReply(errorToReply(pending), 'n2', 'player/p1');
      assert.ok(rebuilt instanceof HandoffPendingError, rebuilt.name);
      assert.equal(rebuilt.message, 'actor player/p1 is still being handed over: n3 did not release it in time');
    });
  });

  describe('handoff terms', () => {
    it('the newest export wins and the term starts TERM_SEQ_GAP above it', async () => {
      const writes: unknown[] = [];
      const store = { readSnapshot: () => undefined, readJournal: () => [], commit: async (ops: unknown[]) => void writes.push(...ops) } as any;
      const def = { name: 'counter', initialState: () => ({ count: 0 }), apply: (s: { count: number }, e: { by: number }) => ({ count: s.count + e.by }), handle: () => undefined } as any;
      const empty = exportActor(store, def, 'k', 1_700_000_000_000);
      assert.deepEqual(empty, { seq: -1 });
      const { encodeSnapshot } = await import('../../../actors/store/snapshot-codec.js');
      const older = { seq: 5, snapshot: encodeSnapshot({ state: { count: 5 }, seq: 5, schemaVersion: 1, activationCount: 1 }) };
      const newer = { seq: 9, snapshot: encodeSnapshot({ state: { count: 9 }, seq: 9, schemaVersion: 1, activationCount: 2 }) };
      const seq = await startTerm(store, def, 'k', [older, empty, newer], 1_700_000_000_000);
      assert.equal(seq, 9 + TERM_SEQ_GAP);
      assert.equal(writes.length, 1);
      assert.equal((writes[0] as { seq: number }).seq, 9 + TERM_SEQ_GAP);
    });
  });
});
