import assert from 'node:assert/strict';
import { HuntOptionsError, resolveHuntOptions } from '../../../actors/hunt/options.js';

describe('hunt: options', () => {
  it('defaults: 30-minute sessions, 1 s leaderboard staleness, 16 shards', () => {
    const o = resolveHuntOptions();
    assert.deepEqual([o.sessionTtlMinutes, o.leaderboardStalenessMs, o.leaderboardShards, o.leaderboardMaxTopN], [30, 1_000, 16, 100]);
    assert.deepEqual(o.hysteresis, { marginM: 1.5, confirmFixes: 3, maxDistanceM: 15 });
    assert.deepEqual(o.smoothing, { alpha: 0.3, staleAfterMs: 10_000, maxBeacons: 8 });
  });

  const bad: Array<[input: Parameters<typeof resolveHuntOptions>[0], key: string, message: string]> = [
    [{ sessionTtlMinutes: 0 }, 'sessionTtlMinutes', 'hunt option sessionTtlMinutes: must be > 0 (got 0)'],
    [{ leaderboardStalenessMs: 2_001 }, 'leaderboardStalenessMs', 'hunt option leaderboardStalenessMs: must be in (0, 2000] (got 2001)'],
    [{ leaderboardShards: 1.5 }, 'leaderboardShards', 'hunt option leaderboardShards: must be an integer >= 1 (got 1.5)'],
    [{ smoothing: { alpha: 0 } }, 'smoothing.alpha', 'hunt option smoothing.alpha: must be in (0, 1] (got 0)'],
    [{ hysteresis: { confirmFixes: 0 } }, 'hysteresis.confirmFixes', 'hunt option hysteresis.confirmFixes: must be an integer >= 1 (got 0)'],
    [{ fixLimits: { minRssiDbm: 0, maxRssiDbm: 0 } }, 'fixLimits.minRssiDbm', 'hunt option fixLimits.minRssiDbm: must be < fixLimits.maxRssiDbm (got 0)'],
    [{ sessionTtlMinutes: NaN }, 'sessionTtlMinutes', 'hunt option sessionTtlMinutes: must be > 0 (got NaN)'],
  ];
  for (const [input, key, message] of bad) {
    it(`refuses ${JSON.stringify(input)} naming ${key}`, () => {
      assert.throws(() => resolveHuntOptions(input), (err: unknown) => err instanceof HuntOptionsError && err.key === key && err.message === message);
    });
  }
});
