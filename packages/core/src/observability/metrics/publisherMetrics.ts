import { Counter, type Gauge, type Registry } from 'prom-client';
import type { PublisherStats } from '../../publisher/PublisherEvents.js';
import { BucketCounts, HistogramExport } from './BucketCounts.js';
import { type MetricsSource, scrapedGauge, seconds } from './MetricsSource.js';

/** Confirm latency buckets, in seconds: a local broker confirms in about a ms; a blocked one, never. */
const CONFIRM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ROUND_TRIP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Counts = Omit<PublisherStats, 'requests'>;
/** Publisher counters read from its stats at scrape time: name, help, and the stat. */
const COUNTERS: Array<[string, string, keyof Counts]> = [
  ['warren_publisher_writes_total', 'Messages written to the confirm channel, re-sends included', 'published'],
  ['warren_publisher_confirmed_total', 'Publishes the broker confirmed (basic.ack)', 'confirmed'],
  ['warren_publisher_nacks_total', 'Publishes the broker refused (basic.nack) through an exchange', 'nacked'],
  ['warren_publisher_returns_total', 'Mandatory publishes the broker returned as unroutable', 'returned'],
  ['warren_publisher_timeouts_total', 'Publishes failed with PublishTimeoutError (written or not)', 'timedOut'],
  ['warren_publisher_unconfirmed_total', 'Publishes failed with PublishUnconfirmedError: written, fate unknown', 'unconfirmed'],
  [
    'warren_publisher_rejected_blocked_total',
    'Publishes refused with BrokerBlockedError (fail-fast, or the buffer full)',
    'rejectedBlocked',
  ],
  [
    'warren_publisher_downstream_full_total',
    'Publishes failed with DownstreamFullError (a queue at its mark, or refusing)',
    'downstreamFull',
  ],
  ['warren_publisher_republished_total', 'Unconfirmed messages written again on a new channel', 'republished'],
  [
    'warren_publisher_direct_replies_total',
    'Replies to direct reply-to written without a confirm (a confirm there tells nothing)',
    'directReplies',
  ],
];
const REQUEST_OUTCOMES = [
  ['reply', 'replies'],
  ['remote_error', 'remoteErrors'],
  ['timeout', 'timedOut'],
  ['cancelled', 'cancelled'],
  ['no_responder', 'noResponder'],
  ['reply_lost', 'repliesLost'],
] as const;

/**
 * The app publisher's metrics: what it holds (unconfirmed, buffered, held at a mark) and its
 * counters from stats() at scrape time; confirm latency and request round trips as they happen,
 * through Publisher.observe (a write is timed only while it is set). Request/reply: requests by
 * outcome and the round trip of the answered ones. `limits` targets: the depth the publisher last
 * read, its mark, and what it holds for them.
 */
export function registerPublisherMetrics(source: MetricsSource, registry: Registry): () => void {
  const registers = [registry];
  const publisher = source.publisher;
  const stats = (): PublisherStats => publisher.stats();

  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>) => void): void =>
    scrapedGauge(registry, name, help, labelNames, fill);
  gauge('warren_publisher_in_flight', 'Publishes written and not yet confirmed', [], (g) => g.set(stats().inFlight));
  gauge('warren_publisher_buffered_messages', 'Publishes waiting to be written (blocked, reconnecting, window full)', [], (g) =>
    g.set(stats().buffered),
  );
  gauge('warren_publisher_buffered_bytes', 'Bytes of the publishes waiting to be written', [], (g) => g.set(stats().bufferedBytes));
  gauge('warren_publisher_held_messages', 'Publishes held for room in a queue at its limits mark', [], (g) => g.set(stats().held));
  gauge('warren_publisher_ready', '1 while the publisher can write (state ready), else 0', [], (g) =>
    g.set(publisher.state === 'ready' ? 1 : 0),
  );
  gauge('warren_publisher_limit_mark', "A limited queue's mark in force (maxReady, or lower while the queue refuses)", ['queue'], (g) => {
    for (const v of publisher.limits()) g.set({ queue: v.queue }, v.mark);
  });
  gauge('warren_publisher_limit_held', 'Publishes held for room in this limited queue', ['queue'], (g) => {
    for (const v of publisher.limits()) g.set({ queue: v.queue }, v.held);
  });
  gauge('warren_publisher_limit_full', '1 while the limited queue is at its mark (publishes to it wait or fail)', ['queue'], (g) => {
    for (const v of publisher.limits()) g.set({ queue: v.queue }, v.full ? 1 : 0);
  });

  for (const [name, help, key] of COUNTERS) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(stats()[key] as number);
      },
    });
  }
  new Counter<'outcome'>({
    name: 'warren_rpc_requests_total',
    help: 'Requests made with request(), by how they ended (pending ones are not counted yet; failed: a publish error)',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const r = stats().requests;
      if (r === undefined) return;
      let ended = 0;
      for (const [outcome, key] of REQUEST_OUTCOMES) {
        this.inc({ outcome }, r[key]);
        ended += r[key];
      }
      this.inc({ outcome: 'failed' }, Math.max(0, r.requests - ended - r.pending));
    },
  });
  gauge('warren_rpc_requests_pending', 'Requests waiting for their reply', [], (g) => g.set(stats().requests?.pending ?? 0));
  new Counter({
    name: 'warren_rpc_late_replies_total',
    help: 'Replies that came after their request had ended (dropped)',
    registers,
    collect() {
      this.reset();
      this.inc(stats().requests?.lateReplies ?? 0);
    },
  });

  // Counted in plain numbers as confirms and replies come (one per publish), exported when scraped.
  const confirms = new BucketCounts(CONFIRM_BUCKETS);
  const replied = new BucketCounts(ROUND_TRIP_BUCKETS);
  const failed = new BucketCounts(ROUND_TRIP_BUCKETS);
  HistogramExport.register(
    registry,
    new HistogramExport('warren_publisher_confirm_duration_seconds', 'Seconds from writing a publish to its confirm (basic.ack)', () => [
      { labels: {}, buckets: confirms },
    ]),
  );
  HistogramExport.register(
    registry,
    new HistogramExport('warren_rpc_round_trip_seconds', 'Seconds from request() to its answer, by outcome (reply, remote_error)', () => [
      { labels: { outcome: 'reply' }, buckets: replied },
      { labels: { outcome: 'remote_error' }, buckets: failed },
    ]),
  );
  publisher.observe({
    confirmed: (ms) => confirms.observe(seconds(ms)),
    answered: (ms, ok) => (ok ? replied : failed).observe(seconds(ms)),
  });
  return () => publisher.observe(undefined);
}
