import assert from 'node:assert/strict';
import { formatKinds, formatPlan, formatRing, formatShare, formatStatus, formatTable } from '../../../ops/admin/format.js';
import { exitCodeOf, EXIT } from '../../../scripts/commands/cluster.js';
import { status } from '@grpc/grpc-js';

const member = (id: string, share: number, extra: Partial<Record<string, unknown>> = {}) => ({
  id, address: `10.0.0.${id.slice(1)}:7946`, state: 'alive', incarnation: 3, ringShare: share, activeActorsByKind: { player: 2, beacon: 1 }, eventLoopLagMs: 1.25, unreachableReason: '', adminAddress: '', ...extra,
});

describe('admin format', () => {
  it('formatTable pads every column but the last', () => {
    assert.equal(formatTable(['A', 'BB'], [['xyz', '1'], ['q', '22']]), 'A    BB\n---  --\nxyz  1\nq    22');
  });
  it('formatKinds sorts kinds and shows - for none', () => {
    assert.equal(formatKinds({ player: 2, beacon: 1 }), 'beacon=1 player=2');
    assert.equal(formatKinds({}), '-');
  });
  it('formatShare', () => assert.equal(formatShare(0.3333), '33.3%'));
  it('formatStatus marks the asked node and unreachable members', () => {
    const text = formatStatus({ nodeId: 'n1', ringChecksum: 'abc', members: [member('n1', 0.5), member('n2', 0.5, { unreachableReason: 'UNAVAILABLE: x' })] });
    assert.equal(
      text,
      [
        'MEMBER  STATE  INC  ADDRESS        RING   ACTIVE ACTORS                 LOOP LAG P99',
        '------  -----  ---  -------------  -----  ----------------------------  ------------',
        'n1*     alive  3    10.0.0.1:7946  50.0%  beacon=1 player=2             1.3ms',
        'n2      alive  3    10.0.0.2:7946  50.0%  unreachable (UNAVAILABLE: x)  -',
        'ring abc (* = node asked)',
      ].join('\n'),
    );
  });
  it('formatRing sorts by share and omits members without one', () => {
    assert.equal(formatRing({ nodeId: 'n1', ringChecksum: 'c', members: [member('n1', 0.25), member('n2', 0.75), member('n3', 0, { state: 'left' })] }), 'MEMBER  STATE  SHARE\n------  -----  -----\nn2      alive  75.0%\nn1      alive  25.0%\nchecksum c');
  });
  it('formatPlan totals the actors', () => {
    assert.equal(formatPlan({ actorsByKind: { player: 3, beacon: 2 }, bytes: 0 }), 'KIND    ACTORS\n------  ------\nbeacon  2\nplayer  3\n5 actor(s) would move');
  });
});

describe('quarry admin exit codes', () => {
  const err = (code: status) => Object.assign(new Error('x'), { code, details: 'x', metadata: undefined });
  const table: Array<[string, unknown, number]> = [
    ['unauthenticated', err(status.UNAUTHENTICATED), EXIT.unauthenticated],
    ['unavailable', err(status.UNAVAILABLE), EXIT.unavailable],
    ['deadline', err(status.DEADLINE_EXCEEDED), EXIT.unavailable],
    ['not found', err(status.NOT_FOUND), EXIT.failure],
    ['invalid argument', err(status.INVALID_ARGUMENT), EXIT.usage],
    ['plain error', new Error('x'), EXIT.failure],
  ];
  for (const [name, e, code] of table) it(name, () => assert.equal(exitCodeOf(e), code));
  it('codes are the documented ones', () => assert.deepEqual(EXIT, { ok: 0, failure: 1, usage: 2, unauthenticated: 3, unavailable: 4, interrupted: 130 }));
});
