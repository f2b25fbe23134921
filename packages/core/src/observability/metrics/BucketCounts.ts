import type { Metric } from 'prom-client';

/**
 * A histogram's counts kept as plain numbers: observing one value is a short walk over the bounds
 * and three additions, with no label lookup and no allocation (prom-client's own `observe` hashes
 * its labels on every call). Exported at scrape time by HistogramExport.
 */
export class BucketCounts {
  /** Observations per bucket: counts[i] took values in (bounds[i-1], bounds[i]]; the last, above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts as number[])[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }

  /** Prometheus' buckets: how many observations were at most each bound, then all (+Inf). */
  cumulative(): Array<{ le: string; count: number }> {
    let running = 0;
    return this.counts.map((n, i) => {
      running += n;
      return { le: i < this.bounds.length ? String(this.bounds[i]) : '+Inf', count: running };
    });
  }
}

/** One labelled series of a HistogramExport. */
export interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: BucketCounts;
}

/**
 * A histogram in a prom-client Registry whose counts are BucketCounts: `_bucket{le}`, `_sum` and
 * `_count` for each series `series()` lists, read when the registry is scraped.
 */
export class HistogramExport {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly series: () => Iterable<HistogramSeries>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: Array<{ metricName: string; labels: Record<string, string>; value: number }>;
  }> {
    const values: Array<{ metricName: string; labels: Record<string, string>; value: number }> = [];
    for (const { labels, buckets } of this.series()) {
      for (const { le, count } of buckets.cumulative())
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: buckets.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: buckets.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics() calls it; the counts are the app's, not the registry's, so nothing is reset. */
  reset(): void {}

  /** Registers it as prom-client registers its own metrics (by name, once). */
  static register(registry: { registerMetric(metric: Metric): void }, histogram: HistogramExport): HistogramExport {
    registry.registerMetric(histogram as unknown as Metric);
    return histogram;
  }
}
