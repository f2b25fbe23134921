import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BrokerAdmin, Tally, uniqueName, waitFor } from '@warren/testing';
import { within } from '../faults/harness.js';
import { fixture, spawnWarren, watchStdout } from '../support/cli.js';
import { CLUSTER_SKIP, connections, deleteClusterQueues, NODES, node, readHandled, settled } from '../support/cluster.js';

const COUNT = 3000;
const PREFETCH = 10;

/** How many of `name`'s consume connections each node has (by its AMQP port). */
async function consumeConnectionsByNode(name: string): Promise<Record<string, number>> {
  const byNode: Record<string, number> = {};
  for (const c of await connections()) if (c.name === `${name}:consume`) byNode[`:${c.port}`] = (byNode[`:${c.port}`] ?? 0) + 1;
  return byNode;
}

describe('many workers on one quorum queue', { skip: CLUSTER_SKIP }, () => {
  it('three worker processes share it; one killed with SIGKILL mid-run, the other two take its share', async (t) => {
    const queue = uniqueName('cluster.many');
    const out = join(tmpdir(), `${queue}.log`);
    rmSync(out, { force: true });
    const ids = Array.from({ length: COUNT }, (_, i) => `w${i}`);
    const workers: Array<ReturnType<typeof spawnWarren>> = [];
    try {
      for (let i = 0; i < 3; i++) {
        workers.push(
          spawnWarren(['start', fixture('clusterApp'), '--grace', '5000'], {
            // In order: the app shuffles them, so the three spread over the nodes.
            WARREN_URL: NODES.map((n) => n.url).join(','),
            FIXTURE_QUEUE: queue,
            FIXTURE_NAME: queue,
            FIXTURE_PREFETCH: String(PREFETCH),
            FIXTURE_DELAY_MS: '50',
            FIXTURE_OUT: out,
          }),
        );
      }
      // Started together: the first declares the queue, the others find it declared the same.
      await Promise.all(
        workers.map((w) => watchStdout(w.child).until('the app running', (text) => text.includes('warren app running'), 60_000)),
      );
      const spread = await consumeConnectionsByNode(queue);
      const admin = await BrokerAdmin.open(node(2).url);
      try {
        await admin.sendMany(
          queue,
          ids.map((id) => ({ id })),
        );
      } finally {
        await admin.connection.close();
      }
      const pids = workers.map((w) => w.child.pid as number);
      const share = (lines: Array<{ pid: number }>) => pids.map((pid) => lines.filter((l) => l.pid === pid).length);
      await waitFor('each worker has handled 100', () => share(readHandled(out)).every((n) => n >= 100), 30_000, 10);
      const victim = workers[1] as ReturnType<typeof spawnWarren>;
      victim.child.kill('SIGKILL');
      const killed = await within(10_000, 'the killed worker to exit', victim.exited);
      assert.equal(killed.signal, 'SIGKILL');
      const atKill = share(readHandled(out));
      await waitFor(`all ${COUNT} handled`, () => new Set(readHandled(out).map((l) => l.id)).size >= COUNT, 60_000, 20);
      const stops = [workers[0], workers[2]].map((w) => {
        w?.child.kill('SIGTERM');
        return within(15_000, 'a worker to stop', (w as ReturnType<typeof spawnWarren>).exited);
      });
      const exits = await Promise.all(stops);
      const lines = readHandled(out);
      const tally = new Tally();
      for (const l of lines) tally.add(l.id);
      const atEnd = share(lines);
      const took = [0, 2].map((i) => (atEnd[i] ?? 0) - (atKill[i] ?? 0));
      const end = await settled(queue);
      const line =
        `[cluster] 3 workers, 1 SIGKILLed: sent ${COUNT}, handled ${tally.total} (distinct ${tally.seen.size}), lost ${tally.missing(ids).length}, ` +
        `duplicates ${tally.duplicates()} (allowed <= ${PREFETCH}), shares at the kill ${atKill.join('/')}, at the end ${atEnd.join('/')} ` +
        `(after the kill the others took ${took.join(' + ')}), consume connections by node ${JSON.stringify(spread)}, ` +
        `exits ${exits.map((e) => e.code).join('/')}, dlq ${end.dlq}, ready/unacked ${end.ready}/${end.unacked}`;
      console.log(line);
      t.diagnostic(line);
      assert.equal(
        Object.values(spread).reduce((a, b) => a + b, 0),
        3,
        'each worker has its consume connection on a node',
      );
      assert.deepEqual(tally.missing(ids).slice(0, 20), []);
      // What the killed worker had handled but not acked comes back: at most its prefetch window.
      assert.ok(tally.duplicates() <= PREFETCH, `${tally.duplicates()} duplicates`);
      assert.equal(atEnd[1], atKill[1], 'the killed worker handled nothing after the kill');
      assert.ok(
        took.every((n) => n > 0),
        'both survivors took more',
      );
      assert.deepEqual(
        exits.map((e) => e.code),
        [0, 0],
      );
      assert.equal(end.dlq, 0);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      rmSync(out, { force: true });
      await deleteClusterQueues(queue);
    }
  });
});
