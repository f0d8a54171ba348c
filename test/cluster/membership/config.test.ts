import assert from 'node:assert/strict';
import {
  lanDefaults,
  localDefaults,
  MembershipConfigError,
  retransmitLimit,
  soonestDeathMs,
  suspicionTimeoutMs,
  validateMembershipConfig,
  worstCaseDetectionMs,
} from '../../../cluster/membership/config.js';

describe('membership/config', () => {
  it('soonestDeathMs (the stall limit of a node is three of them) = probe timeout + minimum suspicion: 1.7 s LAN, 0.9 s local', () => {
    assert.equal(soonestDeathMs(lanDefaults()), 1_700);
    assert.equal(soonestDeathMs(localDefaults()), 900);
  });

  it('suspicionTimeoutMs = mult * max(1, log10 N) * interval (memberlist util.go)', () => {
    const table: Array<[mult: number, n: number, intervalMs: number, expected: number]> = [
      [3, 1, 500, 1_500],
      [3, 5, 500, 1_500],
      [3, 10, 500, 1_500],
      [3, 50, 500, 2_548],
      [3, 100, 500, 3_000],
      [3, 1_000, 500, 4_500],
      [4, 5, 200, 800],
      [4, 0, 1_000, 4_000],
    ];
    for (const [mult, n, interval, expected] of table) assert.equal(suspicionTimeoutMs(mult, n, interval), expected, `mult=${mult} n=${n}`);
  });

  it('retransmitLimit = mult * ceil(log10(N + 1))', () => {
    const table: Array<[mult: number, n: number, expected: number]> = [
      [4, 0, 0],
      [4, 1, 4],
      [4, 9, 4],
      [4, 10, 8],
      [4, 50, 8],
      [4, 99, 8],
      [4, 100, 12],
      [3, 5, 3],
    ];
    for (const [mult, n, expected] of table) assert.equal(retransmitLimit(mult, n), expected, `mult=${mult} n=${n}`);
  });

  it('worst-case detection: LAN preset 10.4 s at N=5, 59.99 s at N=50; local preset 5.35 s at N=5', () => {
    assert.equal(worstCaseDetectionMs(lanDefaults(), 5), 4_000 + 6_000 + 400);
    assert.equal(worstCaseDetectionMs(lanDefaults(), 50), 49_000 + 4 * 2_548 + 800);
    assert.equal(worstCaseDetectionMs(localDefaults(), 5), 1_600 + 3 * 800 + 150);
  });

  it('validation names the key and the rule', () => {
    const table: Array<[patch: object, key: string, rule: RegExp]> = [
      [{ probeIntervalMs: 0 }, 'probeIntervalMs', /positive integer/],
      [{ gossipNodes: 1.5 }, 'gossipNodes', /positive integer/],
      [{ probeTimeoutMs: 500 }, 'probeTimeoutMs', /less than probeIntervalMs/],
      [{ suspicionMult: 1 }, 'suspicionMult', /at least 2/],
      [{ maxPacketBytes: 100 }, 'maxPacketBytes', /512\.\.65000/],
    ];
    for (const [patch, key, rule] of table) {
      assert.throws(
        () => validateMembershipConfig({ ...lanDefaults(), ...patch }),
        (e: unknown) => e instanceof MembershipConfigError && e.key === key && rule.test(e.message) && e.message.includes(key),
        key,
      );
    }
    assert.deepEqual(validateMembershipConfig(localDefaults()), localDefaults());
  });
});
