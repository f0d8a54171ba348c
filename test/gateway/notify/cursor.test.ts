import assert from 'node:assert/strict';
import { cursorFromSubscribeRequest, eventEnvelope, InvalidCursorError, subscribeCursorFields } from '../../../gateway/notify/cursor.js';

describe('gateway/notify cursor mapping', () => {
  const table: Array<[name: string, afterSeq: number, cursors: Array<{ channel: string; afterSeq: number }>, expected: Record<string, number>]> = [
    ['fresh stream', 0, [], { 'user.al': 0 }],
    ['personal only', 812, [], { 'user.al': 812 }],
    ['all and building', 812, [{ channel: 'all', afterSeq: 790 }, { channel: 'building.hq', afterSeq: 805 }], { 'user.al': 812, all: 790, 'building.hq': 805 }],
    ['own personal channel listed again: after_seq wins', 5, [{ channel: 'user.al', afterSeq: 9 }], { 'user.al': 5 }],
  ];
  for (const [name, afterSeq, cursors, expected] of table) {
    it(name, () => {
      assert.deepEqual(cursorFromSubscribeRequest({ playerId: 'al', afterSeq, cursors }), expected);
    });
  }

  it('rejects another player\'s channel and malformed channels', () => {
    assert.throws(() => cursorFromSubscribeRequest({ playerId: 'al', afterSeq: 0, cursors: [{ channel: 'user.bo', afterSeq: 1 }] }), InvalidCursorError);
    assert.throws(() => cursorFromSubscribeRequest({ playerId: 'al', afterSeq: 0, cursors: [{ channel: 'building.a.b', afterSeq: 1 }] }), /is not all/);
  });

  it('round-trips through the wire fields', () => {
    const cursor = { 'user.al': 3, all: 2, 'building.hq': 1 };
    assert.deepEqual(cursorFromSubscribeRequest({ playerId: 'al', ...subscribeCursorFields('al', cursor) }), cursor);
  });

  it('maps the envelope fields of an event', () => {
    assert.deepEqual(eventEnvelope({ channel: 'all', seq: 9, prevSeq: 4, atMs: 7, body: {} }), { seq: 9, atMs: 7, channel: 'all', prevSeq: 4 });
  });
});
