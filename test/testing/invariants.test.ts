import assert from 'node:assert/strict';
import { ActivationWatch, checkTreasures, violations, type InvariantFigures } from '../../testing/netns/invariants.js';
import { nodeRuleset } from '../../testing/netns/nemesis.js';

const NONE: InvariantFigures = { lostAckedFixes: 0, lostAckedClaims: 0, overCapacityClaims: 0, duplicateClaims: 0, duplicateActivations: 0, unreadTreasureLists: 0, failuresByStatus: {} };
const actor = (key: string, messagesHandled: number) => ({ kind: 'player', key, messagesHandled });

describe('testing/netns: the invariants of a nemesis run (pure)', () => {
  describe('ActivationWatch', () => {
    it('counts a key two nodes both held at one poll and both handled before the next', () => {
      const w = new ActivationWatch();
      w.poll(new Map([['a', [actor('x', 1)]], ['b', [actor('x', 5)]]]));
      w.poll(new Map([['a', [actor('x', 2)]], ['b', [actor('x', 6)]]]));
      assert.deepEqual([...w.duplicates], [['player/x', ['a', 'b']]]);
    });

    it('a handoff (on a, then on b) is one activation at a time', () => {
      const w = new ActivationWatch();
      w.poll(new Map([['a', [actor('x', 1)]], ['b', []]]));
      w.poll(new Map([['a', []], ['b', [actor('x', 1)]]]));
      w.poll(new Map([['a', []], ['b', [actor('x', 3)]]]));
      assert.equal(w.duplicates.size, 0);
    });

    it('an idle copy left behind (nothing handled) is not a second activation', () => {
      const w = new ActivationWatch();
      w.poll(new Map([['a', [actor('x', 1)]], ['b', [actor('x', 4)]]]));
      w.poll(new Map([['a', [actor('x', 1)]], ['b', [actor('x', 9)]]]));
      assert.equal(w.duplicates.size, 0);
    });

    it('a node that missed a poll (paused) is compared only from its next answer on: what it did before it stopped is not doubled', () => {
      const w = new ActivationWatch();
      w.poll(new Map([['a', [actor('x', 1)]], ['b', []]]));
      w.poll(new Map([['a', undefined], ['b', [actor('x', 1)]]]));
      w.poll(new Map([['a', [actor('x', 3)]], ['b', [actor('x', 4)]]]));
      assert.equal(w.duplicates.size, 0, 'a handled 1 -> 3 across its pause');
      w.poll(new Map([['a', [actor('x', 4)]], ['b', [actor('x', 5)]]]));
      assert.deepEqual([...w.duplicates], [['player/x', ['a', 'b']]], 'both went on handling after it continued');
    });
  });

  describe('checkTreasures', () => {
    it('counts claims over capacity, players listed twice and acked claims missing from the lists', () => {
      const lists = [
        { id: 't1', capacity: 2, claimedBy: ['p1', 'p2', 'p3'] },
        { id: 't2', capacity: 3, claimedBy: ['p1', 'p1'] },
      ];
      assert.deepEqual(checkTreasures(lists, [['p1', 't1'], ['p4', 't1'], ['p2', 't9']]), { overCapacityClaims: 1, duplicateClaims: 1, lostAckedClaims: 2 });
      assert.deepEqual(checkTreasures(lists.slice(0, 1).map((t) => ({ ...t, claimedBy: ['p1'] })), [['p1', 't1']]), { overCapacityClaims: 0, duplicateClaims: 0, lostAckedClaims: 0 });
    });
  });

  describe('violations', () => {
    it('is empty when everything held and only documented retriable statuses were seen', () => {
      assert.deepEqual(violations({ ...NONE, failuresByStatus: { 'fix UNAVAILABLE': 3, 'stream DEADLINE_EXCEEDED': 1, 'probe RESOURCE_EXHAUSTED': 2 } }), []);
    });

    it('names each invariant that did not hold, and every status that is not retriable', () => {
      assert.deepEqual(violations({ ...NONE, lostAckedFixes: 2, overCapacityClaims: 1, duplicateActivations: 3, failuresByStatus: { 'fix INTERNAL': 4, 'fix UNAVAILABLE': 1 } }), [
        '2 acknowledged fixes lost',
        '1 treasure claims over capacity',
        '3 keys had two activations at once',
        '4 × fix INTERNAL: not a documented retriable status',
      ]);
    });
  });

  describe('nodeRuleset (the nft table of one node)', () => {
    it('with no fault, accepts everything (and replaces the previous table in the same transaction)', () => {
      const r = nodeRuleset([], undefined);
      assert.match(r, /^add table inet quarry_nemesis\ndelete table inet quarry_nemesis\ntable inet quarry_nemesis \{/);
      assert.doesNotMatch(r, /drop/);
    });

    it('drops packets from cut-off peers on the way in, and random loss both ways on the bridge interface only', () => {
      const r = nodeRuleset(['10.231.0.13', '10.231.0.12'], 30);
      assert.match(r, /iifname "eth0" ip saddr \{ 10\.231\.0\.12, 10\.231\.0\.13 \} drop/);
      assert.match(r, /iifname "eth0" numgen random mod 100 < 30 drop/);
      assert.match(r, /oifname "eth0" numgen random mod 100 < 30 drop/);
    });
  });
});
