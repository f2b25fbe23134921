import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { BucketCounts, HistogramExport } from './BucketCounts.js';

test('a value goes in the first bucket whose bound it does not pass (le: at most)', () => {
  const b = new BucketCounts([0.1, 1]);
  for (const v of [0, 0.1, 0.5, 1, 1.01, 99]) b.observe(v);
  assert.deepEqual(b.counts, [2, 2, 2]);
  assert.deepEqual(b.cumulative(), [
    { le: '0.1', count: 2 },
    { le: '1', count: 4 },
    { le: '+Inf', count: 6 },
  ]);
  assert.equal(b.count, 6);
  assert.ok(Math.abs(b.sum - 101.61) < 1e-9);
});

test('exported in Prometheus text like a prom-client histogram', async () => {
  const registry = new Registry();
  const b = new BucketCounts([0.5]);
  b.observe(0.25);
  b.observe(2);
  HistogramExport.register(registry, new HistogramExport('x_seconds', 'a test', () => [{ labels: { consumer: 'C' }, buckets: b }]));
  assert.equal(
    await registry.metrics(),
    [
      '# HELP x_seconds a test',
      '# TYPE x_seconds histogram',
      'x_seconds_bucket{consumer="C",le="0.5"} 1',
      'x_seconds_bucket{consumer="C",le="+Inf"} 2',
      'x_seconds_sum{consumer="C"} 2.25',
      'x_seconds_count{consumer="C"} 2',
      '',
    ].join('\n'),
  );
});
