import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPublisher, type Publisher, type WarrenApp } from '@warren/core';
import { Tally, uniqueName, waitFor } from '@warren/testing';
import { consuming, PacedProducer, Timeline, tallyWorker } from '../faults/harness.js';
import { startTestApp } from '../support/app.js';
import { CLUSTER_SKIP, deleteClusterQueues, everyNodeRunning, NODES, settled, startApp, stopApp } from '../support/cluster.js';

const FULL = process.env.WARREN_CLUSTER_FULL === '1';
// Trimmed by default to keep `npm test` short: the three restarts take about 10 s here, inside the
// producer's 15 s. WARREN_CLUSTER_FULL=1 runs 6,000 messages over 40 s.
const COUNT = FULL ? 6000 : 3000;
const PER_SECOND = FULL ? 150 : 200;
const PREFETCH = 20;

describe('a rolling restart of the three nodes', { skip: CLUSTER_SKIP }, () => {
  it('a two-stage pipeline runs through it: nothing lost, no stage stuck', async (t) => {
    const ingest = uniqueName('cluster.ingest');
    const store = uniqueName('cluster.store');
    const stored = new Tally();
    const ingested = new Tally();
    const timeline = new Timeline();
    let app: WarrenApp | undefined;
    let publisher: Publisher | undefined;
    let down: (typeof NODES)[number] | undefined;
    try {
      const stages = [
        tallyWorker(ingested, new Timeline(), { queue: ingest, name: 'Ingest', prefetch: PREFETCH, handlerMs: 5, forwardTo: store }),
        tallyWorker(stored, timeline, { queue: store, name: 'Store', prefetch: PREFETCH, handlerMs: 5 }),
      ];
      const urls = NODES.map((n) => n.url);
      // Both connections shuffled over the nodes, as a deployed app's are.
      app = await startTestApp({ name: ingest, consumers: stages, defaults: { queueType: 'quorum' } }, { urls, shuffle: true });
      // Several URLs: the producer re-sends what a node took down with it unconfirmed.
      publisher = await createPublisher({ urls, shuffle: true, appName: `${ingest}-producer`, timeoutMs: 60_000, maxInFlight: 200 });
      const producer = new PacedProducer(publisher, ingest, COUNT, PER_SECOND).start();
      await waitFor('500 stored before the first restart', () => stored.total >= 500, 30_000);

      const restarts: string[] = [];
      for (const n of NODES) {
        const at = Date.now();
        down = n;
        await stopApp(n);
        const storedBefore = stored.total;
        await consuming(app, 30_000);
        // Storing goes on with the node down (or all is stored already: slow restarts outlasted the producer).
        const allStored = () => producer.sent >= COUNT && stored.seen.size >= COUNT;
        await waitFor(`storing with ${n.name} down`, () => stored.total > storedBefore + 50 || allStored(), 30_000);
        await startApp(n);
        down = undefined;
        restarts.push(`${n.name.split('@')[0]} ${Date.now() - at} ms`);
      }
      const publishedByLastRestart = producer.sent;
      await producer.finished(60_000);
      await waitFor(`every id stored (${stored.seen.size}/${COUNT})`, () => stored.seen.size >= COUNT, 60_000);
      await consuming(app);
      const ends = [await settled(ingest), await settled(store)];
      const p = app.publisher.stats();
      const stats = app.consumers.map((c) => c.stats());
      const losses = Math.max(...stats.map((s) => s.channelOpens - 1));
      const allowed = losses * PREFETCH * 2 + producer.resent + p.republished + (publisher.stats().republished ?? 0);
      const lost = [ingested.missing(producer.ids).length, stored.missing(producer.ids).length];
      const line =
        `[cluster] rolling restart (${restarts.join(', ')}; all three done with ${publishedByLastRestart} of ${COUNT} published): ` +
        `published ${COUNT} at ${PER_SECOND}/s (producer re-sent ${producer.resent}, ` +
        `republished ${publisher.stats().republished}), ingested ${ingested.total} (distinct ${ingested.seen.size}), ` +
        `stored ${stored.total} (distinct ${stored.seen.size}), lost ${lost.join('/')}, duplicates ${ingested.duplicates()}/${stored.duplicates()} ` +
        `(allowed <= ${allowed}), channel opens ${stats.map((s) => s.channelOpens).join('/')}, app publisher republished ${p.republished}, ` +
        `dlq ${ends.map((e) => e.dlq).join('/')}, ready/unacked ${ends.map((e) => `${e.ready}/${e.unacked}`).join(' ')}`;
      console.log(line);
      t.diagnostic(line);
      assert.deepEqual(lost, [0, 0]);
      assert.ok(stored.duplicates() <= allowed, `${stored.duplicates()} duplicates stored, more than ${allowed}`);
      assert.deepEqual(
        app.consumers.map((c) => c.state),
        ['consuming', 'consuming'],
        'no stage stuck',
      );
      for (const e of ends) assert.equal(e.dlq, 0);
    } finally {
      await app?.stop(2000).catch(() => undefined);
      await publisher?.close().catch(() => undefined);
      if (down !== undefined) await startApp(down).catch(() => undefined);
      await everyNodeRunning();
      await deleteClusterQueues(ingest, store);
    }
  });
});
