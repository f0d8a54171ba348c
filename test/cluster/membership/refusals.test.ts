import assert from 'node:assert/strict';
import { DEFAULT_REFUSAL_LOG_INTERVAL_MS, MAX_REFUSAL_SENDERS, RefusalLog, type RefusalReport } from '../../../cluster/membership/refusals.js';

describe('cluster/membership/refusals: refused gossip is logged per sender, rate-limited', () => {
  it('the first packet of a sender at once, then one report per interval with the count', () => {
    const reports: Array<RefusalReport & { atMs: number }> = [];
    let now = 0;
    const log = new RefusalLog((r) => reports.push({ ...r, atMs: now }));
    for (; now < DEFAULT_REFUSAL_LOG_INTERVAL_MS; now += 100) log.refused('10.0.0.9:7946', now);
    log.refused('10.0.0.7:7946', now);
    log.refused('10.0.0.9:7946', now);
    assert.deepEqual(reports, [
      { from: '10.0.0.9:7946', refused: 1, atMs: 0 },
      { from: '10.0.0.7:7946', refused: 1, atMs: DEFAULT_REFUSAL_LOG_INTERVAL_MS },
      { from: '10.0.0.9:7946', refused: DEFAULT_REFUSAL_LOG_INTERVAL_MS / 100, atMs: DEFAULT_REFUSAL_LOG_INTERVAL_MS },
    ]);
  });

  it('a flood from many addresses is one line for the senders past the bound', () => {
    const reports: RefusalReport[] = [];
    const log = new RefusalLog((r) => reports.push(r));
    for (let i = 0; i < MAX_REFUSAL_SENDERS + 500; i++) log.refused(`10.1.${i >> 8}.${i & 255}:1`, 1);
    assert.equal(reports.length, MAX_REFUSAL_SENDERS + 1);
    assert.deepEqual(reports.at(-1), { from: '*', refused: 1 });
  });
});
