import assert from 'node:assert/strict';
import { SnapshotsInFlight } from '../../../actors/store/snapshots-in-flight.js';

describe('snapshots in flight', () => {
  it('keeps an actor\'s highest queued seq until every one of its writes has settled', () => {
    const inFlight = new SnapshotsInFlight();
    inFlight.add('p', 'a', 9);
    inFlight.add('p', 'a', 4);
    assert.equal(inFlight.seqOf('p', 'a'), 9);
    inFlight.settle('p', 'a');
    assert.equal(inFlight.seqOf('p', 'a'), 9, 'one write of the actor is still queued');
    inFlight.settle('p', 'a');
    assert.equal(inFlight.seqOf('p', 'a'), undefined);
    assert.equal(inFlight.size, 0);
  });

  it('tells actors apart whatever characters their kinds and keys hold', () => {
    const inFlight = new SnapshotsInFlight();
    inFlight.add('p/a', 'b', 7);
    assert.equal(inFlight.seqOf('p', 'a/b'), undefined);
    assert.equal(inFlight.seqOf('p/a', 'b'), 7);
  });
});
