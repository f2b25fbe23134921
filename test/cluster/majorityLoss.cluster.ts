import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPublisher, type Publisher, PublishTimeoutError, type WarrenApp } from '@warren/core';
import { Tally, uniqueName, waitFor } from '@warren/testing';
import { consuming, Timeline, tallyWorker } from '../faults/harness.js';
import { startTestApp } from '../support/app.js';
import {
  CLUSTER_SKIP,
  deleteClusterQueues,
  everyNodeRunning,
  leaderOf,
  node,
  queueInfo,
  settled,
  startApp,
  stopApp,
} from '../support/cluster.js';

const BEFORE = 200;
const DURING = 20;
const AFTER = 200;
const TIMEOUT_MS = 2000;

/** Publishes `ids` to `queue` at once; each resolves to 'confirmed' or the error it failed with. */
function publishAll(publisher: Publisher, queue: string, ids: string[]): Promise<Array<'confirmed' | Error>> {
  return Promise.all(
    ids.map((id) =>
      publisher.send(queue, { id }, { messageId: id }).then(
        () => 'confirmed' as const,
        (error: Error) => error,
      ),
    ),
  );
}

describe('a majority of the nodes lost (quorum queue, 3 nodes)', { skip: CLUSTER_SKIP }, () => {
  it('no leader: publishes time out (written, maybe kept), nothing is delivered; a majority back, all goes on, nothing confirmed lost', async (t) => {
    const queue = uniqueName('cluster.majority');
    const tally = new Tally();
    const survivor = node(1);
    const [second, third] = [node(2), node(3)];
    let app: WarrenApp | undefined;
    let publisher: Publisher | undefined;
    try {
      // Worker and publisher on the node that stays up: only the queue loses its majority.
      app = await startTestApp(
        { name: queue, consumers: [tallyWorker(tally, new Timeline(), { queue, prefetch: 20 })], defaults: { queueType: 'quorum' } },
        { urls: [survivor.url] },
      );
      publisher = await createPublisher({ urls: [survivor.url], appName: `${queue}-producer`, timeoutMs: TIMEOUT_MS });
      const before = Array.from({ length: BEFORE }, (_, i) => `b${i}`);
      assert.ok((await publishAll(publisher, queue, before)).every((r) => r === 'confirmed'));
      await waitFor(`the first ${BEFORE} handled`, () => tally.seen.size === BEFORE, 30_000);

      const lostAt = Date.now();
      await Promise.all([stopApp(second), stopApp(third)]);
      const during = Array.from({ length: DURING }, (_, i) => `d${i}`);
      const results = await publishAll(publisher, queue, during);
      const timedOut = results.filter((r): r is PublishTimeoutError => r instanceof PublishTimeoutError);
      const handledWithoutMajority = tally.total - BEFORE;
      const state = app.consumers[0]?.state;

      await startApp(second);
      const majorityBackMs = Date.now() - lostAt;
      const leader = await leaderOf(queue);
      await consuming(app, 30_000);
      const after = Array.from({ length: AFTER }, (_, i) => `a${i}`);
      const afterResults = await publishAll(publisher, queue, after);
      await waitFor(`the ${AFTER} published after handled`, () => after.every((id) => tally.seen.has(id)), 30_000);
      await startApp(third);
      const end = await settled(queue);
      const arrived = during.filter((id) => tally.seen.has(id)).length;
      const info = await queueInfo(queue);
      const line =
        `[cluster] majority lost (2 of 3 apps stopped for ${majorityBackMs} ms): ${DURING} published without a majority -> ` +
        `${timedOut.length} PublishTimeoutError after ${TIMEOUT_MS} ms (written ${timedOut.filter((e) => e.written).length}), ` +
        `${arrived} of them handled once a majority was back; handled while no majority ${handledWithoutMajority}, consumer ${state}; ` +
        `after: leader ${leader.name}, ${afterResults.filter((r) => r === 'confirmed').length}/${AFTER} confirmed, ` +
        `handled ${tally.total} (distinct ${tally.seen.size}), lost (confirmed, never handled) ${tally.missing([...before, ...after]).length}, ` +
        `duplicates ${tally.duplicates()}, dlq ${end.dlq}, members online ${info.online.length}`;
      console.log(line);
      t.diagnostic(line);
      assert.equal(timedOut.length, DURING, 'every publish without a majority times out');
      assert.ok(
        timedOut.every((e) => e.written),
        'each was written: the broker may have it',
      );
      assert.equal(handledWithoutMajority, 0, 'nothing delivered without a leader');
      assert.ok(
        afterResults.every((r) => r === 'confirmed'),
        'publishing works again once a majority is back',
      );
      assert.deepEqual(tally.missing([...before, ...after]), [], 'nothing confirmed is lost');
      assert.equal(end.dlq, 0);
    } finally {
      await app?.stop(2000).catch(() => undefined);
      await publisher?.close().catch(() => undefined);
      await everyNodeRunning();
      await deleteClusterQueues(queue);
    }
  });
});
