import assert from 'node:assert/strict';
import { leaveRefusal } from '../../../cluster/routing/quorum.js';

describe('cluster/routing/quorum leaveRefusal: when `quarry node leave` needs --force', () => {
  const table: Array<[string, string[], string[], boolean, RegExp | undefined]> = [
    ['the last serving member', ['a'], ['a'], true, /a is the last serving member/],
    ['one of two, both live: the other keeps 1 of 1', ['a', 'b'], ['a', 'b'], true, undefined],
    ['one of three, all live', ['a', 'b', 'c'], ['a', 'b', 'c'], true, undefined],
    ['one of three with another down (not yet confirmed): 1 of 2 left is no majority', ['a', 'b', 'c'], ['a', 'b'], true, /breaks quorum: 1 of the 2 other agreed members are live/],
    ['one of five with one other down: 3 of 4 left', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd'], true, undefined],
    ['one of five with two others down: 2 of 4 left', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c'], true, /breaks quorum: 2 of the 4/],
    ['a node that does not serve takes nothing away', ['a', 'b', 'c'], ['a'], false, undefined],
  ];
  for (const [what, agreed, live, serving, refused] of table) {
    it(`${what}: ${refused ? 'refused' : 'allowed'}`, () => {
      const r = leaveRefusal('a', new Set(agreed), new Set(live), serving);
      if (refused === undefined) assert.equal(r, undefined);
      else assert.match(r ?? '', refused);
    });
  }
});
