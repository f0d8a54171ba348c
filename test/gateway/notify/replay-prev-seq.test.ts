import assert from 'node:assert/strict';
import { replayPrevSeq } from '../../../gateway/notify/replay-prev-seq.js';

describe('gateway/notify replayPrevSeq (JetStream replay head)', () => {
  const table: Array<[string, number, number, boolean, number]> = [
    ['cursor 0: whatever is retained, no loss claimed', 0, 9, false, 0],
    ['adjacent seqs: nothing can lie between', 4, 5, false, 4],
    ['cursor message still stored: nothing between was dropped', 4, 9, true, 4],
    ['cursor message gone and seqs between: possible loss, beyond the cursor', 4, 9, false, 8],
    ['cursor gone, one seq between', 4, 6, false, 5],
  ];
  for (const [what, afterSeq, firstSeq, cursorStored, expected] of table) {
    it(`${what}: (${afterSeq}, ${firstSeq}, ${cursorStored}) -> ${expected}`, () => {
      assert.equal(replayPrevSeq(afterSeq, firstSeq, cursorStored), expected);
    });
  }
});
