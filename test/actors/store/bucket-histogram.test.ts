import assert from 'node:assert/strict';
import { BucketHistogram } from '../../../actors/store/bucket-histogram.js';
import { histogramSamples } from '../../../ops/metrics/prometheus.js';

describe('BucketHistogram and its Prometheus samples', () => {
  it('counts each value in the first bucket whose bound is at least it; above the last goes to +Inf', () => {
    const h = new BucketHistogram([0.001, 0.01, 0.1]);
    for (const v of [0.0005, 0.001, 0.002, 0.01, 0.05, 0.2, 3]) h.observe(v);
    const s = h.snapshot();
    assert.deepEqual(s.counts, [2, 2, 1, 2]);
    assert.equal(s.count, 7);
    assert.ok(Math.abs(s.sumS - 3.2635) < 1e-9, String(s.sumS));
  });

  it('exports cumulative _bucket series with le, +Inf equal to _count, then _sum and _count', () => {
    const h = new BucketHistogram([0.001, 0.01]);
    for (const v of [0.0005, 0.005, 0.005, 1]) h.observe(v);
    assert.deepEqual(
      histogramSamples('x_seconds', { kind: 'player' }, h.snapshot()).map((s) => [s.metricName, s.labels.le ?? '', s.value]),
      [
        ['x_seconds_bucket', '0.001', 1],
        ['x_seconds_bucket', '0.01', 3],
        ['x_seconds_bucket', '+Inf', 4],
        ['x_seconds_sum', '', 1.0105],
        ['x_seconds_count', '', 4],
      ],
    );
  });
});
