#!/usr/bin/env node
// The second half of `npm start`: back-pressure end to end, through the three-stage pipeline of
// examples/pipeline (ingest -> enrich -> store, the last one slow). Each stage publishes to the next
// queue with the app's `limits` on it: a publish to a queue at its mark waits, the stage's prefetch
// window fills, and the stage before takes less. The demo shows, as the broker sees it, the first
// stage's intake falling to the last stage's rate and no queue growing past its mark. Plain Node
// ESM, from the built packages (`npm run build` first, which `npm start` does).
//
//   broker answers? -> clean leftovers -> spawn the worker (with /health) -> a burst of readings
//   through a publisher with a mark on the first queue -> a line every 500 ms -> every id stored
//   (or time limit) -> SIGTERM -> summary -> delete queues
//
// The demo is the pipeline's sink: it consumes the receipts the store stage sends to
// pipeline.stored, so it knows by id which readings made it through.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  deleteQueues,
  fail,
  HAS_RABBITMQCTL,
  inspectQueue as inspectQueueOn,
  logEntries,
  oneLine,
  pad,
  run,
  sleep,
  spawnWorker,
  stopWorker,
} from './demo-kit.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_DIR = join(ROOT, '.demo');
const WORKER_LOG = join(DEMO_DIR, 'pipeline-worker.log');
const CLI = join(ROOT, 'packages/cli/dist/bin.js');
const APP = join(ROOT, 'examples/pipeline/dist/app.js');

const READINGS = 2000;
const STAGES = [
  { name: 'ingest', queue: 'pipeline.ingest', consumer: 'IngestWorker' },
  { name: 'enrich', queue: 'pipeline.enrich', consumer: 'EnrichWorker' },
  { name: 'store', queue: 'pipeline.store', consumer: 'StoreWorker' },
];
const STORED = 'pipeline.stored';
/** The producer's mark on the first queue; the app's own marks on the others come from its /health. */
const INGEST_MARK = 500;
const TICK_MS = 500;
const DRAIN_LIMIT_MS = 60_000;
const STOP_LIMIT_MS = 20_000;

const requireFromCore = createRequire(join(ROOT, 'packages/core/package.json'));
const amqp = requireFromCore('amqplib');

const URLS = process.env.WARREN_URL ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const URL_ = URLS.split(',')[0].trim();

let worker;
let workerExit;
let connection;
let cleaning;
let watching = false;
let stopRequested;

main().catch(async (error) => {
  console.error(`\npipeline demo failed: ${error?.message ?? error}`);
  await cleanup();
  process.exit(1);
});

async function main() {
  for (const built of [CLI, APP, join(ROOT, 'packages/core/dist/index.js')]) {
    if (!existsSync(built)) fail(`${relative(ROOT, built)} is missing: run \`npm run build\` first (\`npm start\` does).`);
  }
  const core = await import(pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href);
  const shownUrl = core.redactUrl(URL_);
  try {
    connection = await amqp.connect(URL_, { timeout: 3000 });
  } catch (error) {
    console.error(`No RabbitMQ answers at ${shownUrl} (${oneLine(error)}): see README.md, "On a fresh clone".`);
    process.exit(1);
  }
  connection.on('error', () => undefined);
  process.on('SIGINT', () => void interrupted('SIGINT'));
  process.on('SIGTERM', () => void interrupted('SIGTERM'));

  console.log(`\nWarren demo: back-pressure through a three-stage pipeline (examples/pipeline) against ${shownUrl}`);

  // Start from empty queues, unless another worker is using them.
  for (const { queue } of STAGES) {
    const existing = await inspectQueue(queue);
    if (existing !== undefined && existing.consumerCount > 0) {
      fail(`"${queue}" already has ${existing.consumerCount} consumer(s): another worker is running. Stop it and try again.`);
    }
  }
  await deleteDemoQueues();

  // The sink: every receipt, by reading id (a count above 1 is a duplicate).
  const storedIds = new Map();
  const storedChannel = await connection.createChannel();
  storedChannel.on('error', () => undefined); // closed at cleanup, when its queue is deleted
  await storedChannel.assertQueue(STORED, { durable: true });
  await storedChannel.prefetch(100);
  await storedChannel.consume(STORED, (msg) => {
    if (msg === null) return;
    const id = JSON.parse(msg.content.toString()).id;
    storedIds.set(id, (storedIds.get(id) ?? 0) + 1);
    storedChannel.ack(msg);
  });

  // The worker, as a team runs it, with its health endpoint: the demo reads each stage's acked count there.
  mkdirSync(DEMO_DIR, { recursive: true });
  const healthPort = await freePort();
  const only = STAGES.map((s) => s.consumer).join(',');
  const args = ['--only', only, '--health-port', String(healthPort)];
  ({ worker, exit: workerExit } = spawnWorker({ root: ROOT, cli: CLI, app: APP, args, logPath: WORKER_LOG, urls: URLS }));
  console.log(
    `worker: node ${relative(ROOT, CLI)} start ${relative(ROOT, APP)} --only ${only} --health-port ${healthPort}  (pid ${worker.pid}, logs in ${relative(ROOT, WORKER_LOG)})`,
  );
  await waitForConsumers();
  const health = await waitForHealth(healthPort);
  const marks = { [STAGES[0].queue]: INGEST_MARK };
  for (const l of health.publisher.limits) marks[l.queue] = l.maxReady;
  const sampler = startBrokerSampler();

  // The burst: a producer with its own mark on the first queue, so even the backlog stays bounded.
  const publisher = await core.createPublisher({
    url: URL_,
    appName: 'warren-pipeline-demo',
    timeoutMs: 120_000,
    limits: { [STAGES[0].queue]: { maxReady: INGEST_MARK } },
  });
  const confirmedIds = new Set();
  let failedPublishes = 0;
  let producerHeldMax = 0;
  const started = Date.now();
  const publishing = Promise.all(
    Array.from({ length: READINGS }, (_, i) => {
      const reading = {
        id: `reading-${String(i + 1).padStart(5, '0')}`,
        sensorId: `sensor-${i % 40}`,
        value: Math.round(Math.sin(i / 50) * 1000) / 100,
        takenAt: new Date().toISOString(),
      };
      return publisher.send(STAGES[0].queue, reading).then(
        () => void confirmedIds.add(reading.id),
        () => void failedPublishes++,
      );
    }),
  );
  console.log(
    `publishing ${READINGS} readings at once; marks: ${Object.entries(marks)
      .map(([q, m]) => `${q} ${m}`)
      .join(', ')} (a publish to a queue at its mark waits)\n`,
  );
  console.log(`   time  producer     |  ingest             |  enrich             |  store              |  stored`);
  console.log(`         sent  held   |  ready unacked  in/s |  ready unacked  in/s |  ready unacked  in/s |`);

  // Watch: every 500 ms, each queue's depth (passive declare), unacked (rabbitmqctl) and each stage's intake (acked/s, from /health).
  const rows = [];
  const maxReady = Object.fromEntries(STAGES.map((s) => [s.queue, 0]));
  let before = { at: started, acked: [0, 0, 0] };
  let stopReason = 'time limit reached';
  watching = true;
  while (Date.now() - started < DRAIN_LIMIT_MS) {
    await sleep(TICK_MS);
    if (stopRequested !== undefined) {
      stopReason = `${stopRequested} received`;
      break;
    }
    if (worker.exitCode !== null || worker.signalCode !== null) {
      stopReason = 'the worker exited by itself';
      break;
    }
    const h = await fetchHealth(healthPort);
    const now = Date.now();
    const acked = STAGES.map((s) => h?.consumers.find((c) => c.queue === s.queue)?.acked ?? 0);
    const ready = [];
    for (const s of STAGES) {
      const r = (await inspectQueue(s.queue))?.messageCount ?? 0;
      ready.push(r);
      maxReady[s.queue] = Math.max(maxReady[s.queue], r);
    }
    const held = publisher.stats().held;
    producerHeldMax = Math.max(producerHeldMax, held);
    const rates = acked.map((a, i) => ((a - before.acked[i]) * 1000) / (now - before.at));
    rows.push({ at: now - started, acked, ready });
    before = { at: now, acked };
    const stage = (i) =>
      `${pad(ready[i], 6)} ${pad(sampler.unacked(STAGES[i].queue) ?? '?', 7)} ${pad(Math.round(Math.max(0, rates[i])), 5)}`;
    console.log(
      `${pad(((now - started) / 1000).toFixed(1), 6)}s ${pad(confirmedIds.size, 5)} ${pad(held, 5)}   | ${stage(0)} | ${stage(1)} | ${stage(2)} | ${pad(storedIds.size, 6)}`,
    );
    if (confirmedIds.size + failedPublishes === READINGS && storedIds.size >= confirmedIds.size) {
      const waiting = await waitingCount();
      if (waiting === 0 && [...confirmedIds].every((id) => storedIds.has(id))) {
        stopReason = 'every reading stored, nothing waiting';
        break;
      }
    }
  }
  await Promise.race([publishing, sleep(1000)]);
  await publisher.close(0);

  // Stop the worker the way an orchestrator does.
  if (stopRequested === 'SIGINT') await Promise.race([workerExit, sleep(2000)]);
  const signalled = worker.exitCode === null && worker.signalCode === null;
  console.log(`\n${stopReason}${signalled ? ': sending SIGTERM to the worker' : ''}`);
  const stopAt = Date.now();
  const exit = await stopWorker(worker, workerExit, STOP_LIMIT_MS);
  sampler.stop();
  const stopMs = Date.now() - stopAt;

  // The steady window: from a second after the store queue first reached its mark, until the
  // first stage had taken the whole backlog (then its intake stops while the rest drains).
  const storeMark = marks[STAGES[2].queue];
  const full = rows.find((r) => r.ready[2] >= storeMark * 0.9);
  const done = rows.find((r) => r.acked[0] >= READINGS);
  let steady;
  if (full !== undefined && done !== undefined) {
    const from = rows.find((r) => r.at >= full.at + 1000);
    if (from !== undefined && done.at - from.at >= 2000) {
      const rate = (i) => ((done.acked[i] - from.acked[i]) * 1000) / (done.at - from.at);
      steady = { from: from.at, to: done.at, first: rate(0), last: rate(2) };
    }
  }
  let peak = 0;
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1];
    const b = rows[i];
    peak = Math.max(peak, ((b.acked[0] - a.acked[0]) * 1000) / (b.at - a.at));
  }
  for (const s of STAGES) maxReady[s.queue] = Math.max(maxReady[s.queue], sampler.maxReady(s.queue) ?? 0);
  const underMarks = STAGES.every((s) => maxReady[s.queue] <= marks[s.queue]);
  let missing = 0;
  let duplicates = 0;
  for (const id of confirmedIds) if (!storedIds.has(id)) missing++;
  for (const n of storedIds.values()) duplicates += n - 1;
  const waiting = await waitingCount();
  const exitText =
    exit === undefined ? `killed after ${STOP_LIMIT_MS / 1000} s` : exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const ratio = steady === undefined ? undefined : steady.first / steady.last;
  const ratioOk = ratio !== undefined && ratio >= 0.8 && ratio <= 1.25;

  console.log(`
summary
  published       ${confirmedIds.size} confirmed by the broker${failedPublishes > 0 ? `, ${failedPublishes} failed` : ''}; the producer held up to ${producerHeldMax} at a time (mark ${INGEST_MARK} on ${STAGES[0].queue})
  stored          ${storedIds.size} (a receipt for each on ${STORED}); ${missing === 0 ? 'none missing' : `MISSING ${missing}`}, ${duplicates === 0 ? 'no duplicates' : `${duplicates} duplicate(s)`}; waiting ${waiting}
  intake          ${steady === undefined ? 'no steady window observed' : `from ${(steady.from / 1000).toFixed(1)} s to ${(steady.to / 1000).toFixed(1)} s: ingest took ${steady.first.toFixed(1)}/s, store ${steady.last.toFixed(1)}/s (ratio ${ratio.toFixed(2)}${ratioOk ? ', within 0.8–1.25' : ', OUTSIDE 0.8–1.25'})`}; ingest's peak before the marks filled: ${Math.round(peak)}/s
  max ready       ${STAGES.map((s) => `${s.queue} ${maxReady[s.queue]}/${marks[s.queue]}`).join(', ')}${underMarks ? '  (no queue past its mark)' : '  (A QUEUE PASSED ITS MARK)'}${HAS_RABBITMQCTL ? '' : ' (passive declares only: no rabbitmqctl)'}
  worker stop     ${signalled ? `${exitText} ${stopMs} ms after SIGTERM` : `${exitText} (not signalled by the demo)`}
  total           ${((Date.now() - started) / 1000).toFixed(1)} s; worker log: ${relative(ROOT, WORKER_LOG)}`);
  const errors = readWorkerErrors();
  if (errors.length > 0) console.log(`  worker errors   ${errors.slice(0, 3).join(' | ')}`);

  await cleanup();
  if (stopRequested !== undefined) process.exit(130);
  const ok =
    missing === 0 &&
    duplicates === 0 &&
    waiting === 0 &&
    underMarks &&
    ratioOk &&
    failedPublishes === 0 &&
    exit !== undefined &&
    exit.code === 0;
  process.exit(ok ? 0 : 1);
}

function inspectQueue(name) {
  return inspectQueueOn(connection, name);
}

/** Ready messages anywhere in the pipeline, receipts included. */
async function waitingCount() {
  let n = 0;
  for (const q of [...STAGES.map((s) => s.queue), STORED]) n += (await inspectQueue(q))?.messageCount ?? 0;
  return n;
}

/**
 * rabbitmqctl's view of the three queues, sampled in the background (about 0.8 s a call): unacked
 * for the live line, and ready for the summary's maximum next to the demo's own passive declares.
 */
function startBrokerSampler() {
  const latest = new Map();
  const max = new Map();
  let stopped = false;
  if (HAS_RABBITMQCTL) {
    (async () => {
      while (!stopped) {
        const out = await run('rabbitmqctl', [
          '-q',
          'list_queues',
          'name',
          'messages_ready',
          'messages_unacknowledged',
          '--no-table-headers',
        ]);
        for (const line of out?.split('\n') ?? []) {
          const [name, ready, unacked] = line.trim().split(/\s+/);
          if (!STAGES.some((s) => s.queue === name)) continue;
          latest.set(name, Number(unacked));
          max.set(name, Math.max(max.get(name) ?? 0, Number(ready)));
        }
        await sleep(200);
      }
    })();
  }
  return {
    unacked: (queue) => latest.get(queue),
    maxReady: (queue) => max.get(queue),
    stop: () => {
      stopped = true;
    },
  };
}

async function waitForConsumers() {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (worker.exitCode !== null) break;
    let all = true;
    for (const { queue } of STAGES) if (!((await inspectQueue(queue))?.consumerCount > 0)) all = false;
    if (all) return;
    await sleep(200);
  }
  const tail = readFileSync(WORKER_LOG, 'utf8').trim().split('\n').slice(-5).join('\n');
  fail(`the worker did not start consuming the pipeline's queues; the end of ${relative(ROOT, WORKER_LOG)}:\n${tail}`);
}

async function waitForHealth(port) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const h = await fetchHealth(port);
    if (h !== undefined) return h;
    await sleep(100);
  }
  fail(`the worker's /health on port ${port} did not answer`);
}

async function fetchHealth(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    return await res.json();
  } catch {
    return undefined;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readWorkerErrors() {
  return logEntries(WORKER_LOG)
    .filter((entry) => entry.level >= 50)
    .map((entry) => entry.msg);
}

function deleteDemoQueues() {
  const queues = [...STAGES.map((s) => s.queue), STORED];
  return deleteQueues(connection, [...queues, ...queues.map((q) => `${q}.dlq`)]);
}

function cleanup() {
  cleaning ??= cleanupOnce();
  return cleaning;
}

async function cleanupOnce() {
  if (worker !== undefined) await stopWorker(worker, workerExit, STOP_LIMIT_MS);
  if (connection !== undefined) {
    try {
      await deleteDemoQueues();
      console.log(`\ndeleted the demo's queues (pipeline.ingest, .enrich, .store, .stored, their .dlq and .retry.*)`);
    } catch (error) {
      console.error(`could not delete the demo's queues: ${oneLine(error)}`);
    }
    await connection.close().catch(() => undefined);
  }
}

async function interrupted(signal) {
  if (stopRequested !== undefined) process.exit(130);
  stopRequested = signal;
  if (watching) return;
  console.log(`\n${signal}: stopping the worker and cleaning up`);
  await cleanup();
  process.exit(130);
}
