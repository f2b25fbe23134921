import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createPublisher, getConsumerOptions, type Publisher, planTopology, resolveConsumerOptions, type WarrenApp } from '@warren/core';
import { BrokerAdmin, Tally, uniqueName, waitFor } from '@warren/testing';
import { consuming, PacedProducer, Timeline, tallyWorker } from '../faults/harness.js';
import { startTestApp } from '../support/app.js';
import {
  CLUSTER_SKIP,
  type ClusterNode,
  deleteClusterQueues,
  everyNodeRunning,
  leaderOf,
  NODES,
  node,
  settled,
  startApp,
  stopApp,
} from '../support/cluster.js';

const COUNT = 5000;
const PER_SECOND = 400;
const PREFETCH = 50;
/** The longest the worker may go without handling a message while a node is lost (stated in docs/scaling.md). */
const MAX_PAUSE_MS = 30_000;

interface Placement {
  /** The node the worker connects to first (its URL comes first; shuffle off). */
  worker: ClusterNode;
  /** The node the work queue (and its DLQ and retry queue) is declared on: its leader. */
  leader: ClusterNode;
  /** The producer's only URL. */
  producer: ClusterNode;
  /** The node whose application is stopped mid-run, then started again. */
  stopped: ClusterNode;
}

/** Declares the consumer's topology, exactly as Warren plans it, through `on`: the queues' leaders are there. */
async function declareOn(on: ClusterNode, worker: ReturnType<typeof tallyWorker>): Promise<void> {
  const raw = getConsumerOptions(worker);
  assert.ok(raw !== undefined);
  const plan = planTopology([resolveConsumerOptions(worker.name, raw, { queueType: 'quorum' })]);
  const admin = await BrokerAdmin.open(on.url);
  try {
    for (const q of plan.queues) await admin.channel.assertQueue(q.name, { durable: q.durable, arguments: q.arguments });
  } finally {
    await admin.connection.close();
  }
}

/** The longest time between two handler completions from `from` on. */
function longestPause(timeline: Timeline, from: number): number {
  let longest = 0;
  let last = from;
  for (const t of timeline.dones) {
    if (t < from) continue;
    longest = Math.max(longest, t - last);
    last = t;
  }
  return longest;
}

async function nodeLoss(t: TestContext, scenario: string, at: Placement): Promise<void> {
  const queue = uniqueName('cluster.loss');
  const tally = new Tally();
  const timeline = new Timeline();
  // 100 ms a message: about 25 in flight at any time, so the loss catches a window of unacked deliveries.
  const worker = tallyWorker(tally, timeline, { queue, prefetch: PREFETCH, handlerMs: 100 });
  let app: WarrenApp | undefined;
  let publisher: Publisher | undefined;
  let stoppedApp = false;
  try {
    await declareOn(at.leader, worker);
    assert.equal((await leaderOf(queue)).name, at.leader.name, 'the leader is where the queue was declared');
    const others = NODES.filter((n) => n !== at.worker).map((n) => n.url);
    app = await startTestApp({ name: queue, consumers: [worker], defaults: { queueType: 'quorum' } }, { urls: [at.worker.url, ...others] });
    const consume = app.connections.consume;
    const before = app.health().liveness.connections.consume?.node;
    assert.equal(before, `127.0.0.1:${at.worker.port}`, 'health names the node the consumer is on');

    publisher = await createPublisher({ urls: [at.producer.url], appName: `${queue}-producer`, timeoutMs: 60_000, maxInFlight: 200 });
    const producer = new PacedProducer(publisher, queue, COUNT, PER_SECOND).start();
    await waitFor('1000 handled before the fault', () => tally.total >= 1000, 30_000);

    let lostAt: number | undefined;
    consume.events.once('disconnected').then(() => {
      lostAt = Date.now();
    });
    const stopAt = Date.now();
    stoppedApp = true;
    await stopApp(at.stopped);
    const stoppedMs = Date.now() - stopAt;
    // Back to consuming: on another node if it lost its own, else on the same connection.
    await waitFor('the worker consuming again', () => consume.state === 'connected' && app?.consumers[0]?.state === 'consuming', 30_000);
    const handledBefore = tally.total;
    await waitFor('handling again while the node is down', () => tally.total > handledBefore, 30_000);
    const backMs = Date.now() - stopAt;
    const after = app.health().liveness.connections.consume?.node;
    if (at.stopped === at.worker) assert.notEqual(after, before, 'the worker moved to another node');
    else assert.equal(after, before, 'a worker on a live node keeps its connection');
    const newLeader = await leaderOf(queue);
    assert.notEqual(newLeader.name, at.stopped.name, 'the queue has a leader on a live node');

    await startApp(at.stopped);
    stoppedApp = false;
    await producer.finished(60_000);
    await waitFor(`every id handled (${tally.seen.size}/${COUNT})`, () => tally.seen.size >= COUNT, 60_000);
    await consuming(app);
    const end = await settled(queue);
    const stats = app.consumers[0]?.stats();
    const pauseMs = longestPause(timeline, stopAt);
    const missing = tally.missing(producer.ids);
    const allowed = PREFETCH + producer.resent;
    const line =
      `[cluster] ${scenario}: published ${COUNT} (confirmed ${producer.confirmed}, re-sent ${producer.resent}), handled ${tally.total} ` +
      `(distinct ${tally.seen.size}), lost ${missing.length}, duplicates ${tally.duplicates()} (allowed <= ${allowed}), dlq ${end.dlq}, ` +
      `ready/unacked ${end.ready}/${end.unacked}; stop_app took ${stoppedMs} ms, consuming and handling again ${backMs} ms after it began` +
      `${lostAt === undefined ? '' : ` (connection lost at +${lostAt - stopAt} ms)`}, longest pause in handling ${pauseMs} ms; ` +
      `consumer on ${before} -> ${after}, leader ${at.leader.name} -> ${newLeader.name}; acked ${stats?.acked}, isolations ${stats?.isolations}, channelOpens ${stats?.channelOpens}`;
    console.log(line);
    t.diagnostic(line);
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} ids never handled`);
    assert.ok(tally.duplicates() <= allowed, `${tally.duplicates()} duplicates, more than ${allowed}`);
    assert.equal(end.dlq, 0, 'nothing dead-lettered');
    assert.ok(pauseMs <= MAX_PAUSE_MS, `the worker went ${pauseMs} ms without handling a message`);
  } finally {
    await app?.stop(2000).catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    if (stoppedApp) await startApp(at.stopped).catch(() => undefined);
    await everyNodeRunning();
    await deleteClusterQueues(queue);
  }
}

describe('a node lost under load (quorum queue, 3 nodes)', { skip: CLUSTER_SKIP }, () => {
  it("the worker's own node: it reconnects to another and goes on; every id handled", (t) =>
    nodeLoss(t, "worker's node stopped", { worker: node(1), leader: node(3), producer: node(2), stopped: node(1) }));

  it("the node holding the queue's leader: a new leader is elected, the worker elsewhere goes on", (t) =>
    nodeLoss(t, "leader's node stopped", { worker: node(3), leader: node(1), producer: node(2), stopped: node(1) }));
});
