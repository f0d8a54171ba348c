import assert from 'node:assert/strict';
import { ID_BLOCK_IDS, IdBlock } from '../../../actors/store/id-block.js';

describe('id block', () => {
  it('stores a reservation a block ahead, again in every commit until one is durable, then none within the block', () => {
    const ids = new IdBlock(0);
    assert.equal(ids.reservationToStore(), undefined, 'no id handed out: nothing to store');
    assert.equal(ids.next(), 1);
    assert.equal(ids.reservationToStore(), 1 + ID_BLOCK_IDS);
    assert.equal(ids.next(), 2);
    assert.equal(ids.reservationToStore(), 1 + ID_BLOCK_IDS, 'the first is not known durable yet (it may fail)');
    ids.committed(1 + ID_BLOCK_IDS);
    for (let n = 3; n <= 1 + ID_BLOCK_IDS; n++) {
      ids.next();
      assert.equal(ids.reservationToStore(), undefined, `id ${n} is inside the durable reservation`);
    }
    assert.equal(ids.next(), 2 + ID_BLOCK_IDS);
    assert.equal(ids.reservationToStore(), 2 + 2 * ID_BLOCK_IDS);
  });

  it('goes on after the stored reservation (or, in a store from before blocks, after the stored last id)', () => {
    assert.equal(new IdBlock(1_001).next(), 1_002);
  });
});
