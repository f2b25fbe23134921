#!/usr/bin/env node
// `npm start`: runs the orders example under `warren start`, floods it with more orders than it
// can take, and shows what back-pressure does, as the broker sees it. Plain Node ESM: it runs
// from the built packages (`npm run build` first, which `npm start` does).
//
//   broker answers? -> clean leftovers -> spawn the worker (its dashboard on --http-port) -> burst of orders (confirmed)
//   -> a live line every 500 ms -> every order accounted for by id (or time limit) -> SIGTERM
//   -> summary -> delete queues
//
// The demo is the pipeline's next stage: it consumes the order.charged events itself, so it
// knows by id which orders were handled. An order is accounted for once it was charged or
// dead-lettered; the worker gets SIGTERM only when every confirmed order is, and nothing waits
// in a queue or a retry queue.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  accountFor,
  deleteQueues,
  fail,
  inspectQueue as inspectQueueOn,
  logEntries,
  oneLine,
  pad,
  portToUse,
  sleep,
  spawnWorker,
  startUnackedSampler,
  stopWorker,
} from './demo-kit.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_DIR = join(ROOT, '.demo');
const WORKER_LOG = join(DEMO_DIR, 'worker.log');
const CLI = join(ROOT, 'packages/cli/dist/bin.js');
const APP = join(ROOT, 'examples/orders/dist/app.js');

const ORDERS = 3000;
const INVALID_ORDERS = 3; // amountCents <= 0: the worker rejects them, they go to the DLQ at once
const PREFETCH = 20; // as in examples/orders/src/OrderPlacedWorker.ts
const CONCURRENCY = 10;
const QUEUE = 'orders.placed';
const DLQ = `${QUEUE}.dlq`;
const RETRY_QUEUES = [`${QUEUE}.retry.500`, `${QUEUE}.retry.2000`];
const CHARGED = 'orders.charged';
const DEMO_QUEUES = [QUEUE, DLQ, ...RETRY_QUEUES, CHARGED, `${CHARGED}.dlq`];
const TICK_MS = 500;
const DRAIN_LIMIT_MS = 50_000;
const STOP_LIMIT_MS = 20_000;
/** The worker's operations port (dashboard, /metrics, /health): WARREN_DEMO_HTTP_PORT, else 9464 if free, else any free one. */
const HTTP_PORT_WANTED = Number(process.env.WARREN_DEMO_HTTP_PORT ?? 9464);

/** The worker runs this consumer only; the demo itself consumes what it sends to orders.charged. */
const WORKER_CONSUMER = 'OrderPlacedWorker';

const requireFromCore = createRequire(join(ROOT, 'packages/core/package.json'));
const amqp = requireFromCore('amqplib');

const URLS = process.env.WARREN_URL ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const URL_ = URLS.split(',')[0].trim();

let core;
let worker;
let workerExit;
let connection;
let cleaning;
let watching = false;
let stopRequested;

main().catch(async (error) => {
  console.error(`\ndemo failed: ${error?.message ?? error}`);
  await cleanup();
  process.exit(1);
});

async function main() {
  for (const built of [CLI, APP, join(ROOT, 'packages/core/dist/index.js')]) {
    if (!existsSync(built)) fail(`${relative(ROOT, built)} is missing: run \`npm run build\` first (\`npm start\` does).`);
  }
  core = await import(pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href);
  const shownUrl = core.redactUrl(URL_);

  // 1. A broker must answer.
  try {
    connection = await amqp.connect(URL_, { timeout: 3000 });
  } catch (error) {
    console.error(`No RabbitMQ answers at ${shownUrl} (${oneLine(error)}).

Get one, then run \`npm start\` again:
  - RabbitMQ installed here:   rabbitmq-server -detached      (then: rabbitmqctl await_startup)
  - Docker available:          docker compose up -d           (RabbitMQ 3.13 with the management UI on :15672)
  - Elsewhere:                 AMQP_URL=amqp://user:password@host:5672/vhost npm start`);
    process.exit(1);
  }
  connection.on('error', () => undefined);
  process.on('SIGINT', () => void interrupted('SIGINT'));
  process.on('SIGTERM', () => void interrupted('SIGTERM'));

  console.log(`Warren demo: the orders example (prefetch ${PREFETCH}, concurrency ${CONCURRENCY}) against ${shownUrl}`);

  // 2. Start from empty queues, unless someone else is using them.
  const existing = await inspectQueue(QUEUE);
  if (existing !== undefined && existing.consumerCount > 0) {
    fail(`"${QUEUE}" already has ${existing.consumerCount} consumer(s): another worker is running. Stop it and try again.`);
  }
  await deleteDemoQueues();

  // The next stage: every order.charged event, by order id (a count above 1 is a duplicate).
  const chargedIds = new Map();
  const chargedChannel = await connection.createChannel();
  chargedChannel.on('error', () => undefined); // closed at cleanup, when its queue is deleted
  await chargedChannel.assertQueue(CHARGED, { durable: true });
  await chargedChannel.prefetch(100);
  await chargedChannel.consume(CHARGED, (msg) => {
    if (msg === null) return;
    const id = JSON.parse(msg.content.toString()).orderId;
    chargedIds.set(id, (chargedIds.get(id) ?? 0) + 1);
    chargedChannel.ack(msg);
  });

  // 3. The worker, exactly as an app team runs it, with its operations port (the live dashboard).
  mkdirSync(DEMO_DIR, { recursive: true });
  const httpPort = await portToUse(HTTP_PORT_WANTED);
  ({ worker, exit: workerExit } = spawnWorker({
    root: ROOT,
    cli: CLI,
    app: APP,
    // debug: the summary counts the worker's retry lines, one per message (debug since issue #12).
    args: ['--only', WORKER_CONSUMER, '--http-port', String(httpPort), '--log-level', 'debug'],
    logPath: WORKER_LOG,
    urls: URLS,
  }));
  console.log(
    `worker: node ${relative(ROOT, CLI)} start ${relative(ROOT, APP)} --only ${WORKER_CONSUMER} --http-port ${httpPort}  (pid ${worker.pid}, logs in ${relative(ROOT, WORKER_LOG)})`,
  );
  await waitForConsumers();
  const dashboard = `http://127.0.0.1:${httpPort}/`;
  const answered = await fetch(dashboard, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.ok,
    () => false,
  );
  console.log(
    answered
      ? `dashboard: ${dashboard}  (live while the worker runs: handled/s, in flight vs prefetch, queue depth, broker blocks; /metrics on the same port)`
      : `dashboard: ${dashboard} does not answer (see ${relative(ROOT, WORKER_LOG)})`,
  );

  // Unacked counts come from rabbitmqctl, sampled in the background from now on.
  const sampler = startUnackedSampler(QUEUE);
  await sampler.sampleNow();

  // 4. The burst: more orders than the worker can take at once, each resolved on the broker's confirm.
  const publisher = await core.createPublisher({ url: URL_, appName: 'warren-demo', maxInFlight: 500 });
  const total = ORDERS + INVALID_ORDERS;
  const confirmedIds = new Set();
  let failedPublishes = 0;
  const started = Date.now();
  const publishing = Promise.all(
    Array.from({ length: total }, (_, i) => {
      const invalid = i % Math.floor(total / INVALID_ORDERS) === 7;
      const order = {
        id: `order-${String(i + 1).padStart(5, '0')}`,
        customerId: `customer-${(i * 7919) % 500}`,
        amountCents: invalid ? -100 : 500 + ((i * 37) % 20_000),
        currency: 'EUR',
        placedAt: new Date().toISOString(),
      };
      return publisher.send(QUEUE, order).then(
        () => void confirmedIds.add(order.id),
        () => void failedPublishes++,
      );
    }),
  );
  console.log(`publishing ${total} orders (${INVALID_ORDERS} of them invalid) with publisher confirms...\n`);

  // 5. Watch: the broker's view, every 500 ms.
  let handledBefore = 0;
  let lastTick = started;
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
    const published = confirmedIds.size;
    const ready = (await inspectQueue(QUEUE))?.messageCount ?? 0;
    const retrying = await countMessages(RETRY_QUEUES);
    const dead = await countMessages([DLQ]);
    const unacked = sampler.latestAt >= started ? sampler.latest : undefined;
    const handled = chargedIds.size;
    const now = Date.now();
    const rate = ((handled - handledBefore) * 1000) / (now - lastTick);
    handledBefore = handled;
    lastTick = now;
    console.log(
      `${pad(((now - started) / 1000).toFixed(1), 5)}s  published ${pad(published, 4)}/${total}` +
        `  handled ${pad(handled, 4)} (${pad(Math.round(Math.max(0, rate)), 3)}/s)` +
        `  in flight ${pad(unacked ?? '?', 2)}/${PREFETCH} unacked` +
        `  queue ${pad(ready, 4)} ready` +
        `  retrying ${pad(retrying, 2)}  dlq ${dead}`,
    );
    if (confirmedIds.size + failedPublishes === total && handled + dead >= published) {
      // Counts can add up while a retry is still under way (a copy waiting and the original not
      // yet acked): done only when each id is charged or in the DLQ and nothing waits anywhere.
      const { missing } = accountFor(confirmedIds, chargedIds, (await readDeadLetters()).ids);
      const fresh = await sampler.sampleNow();
      const waiting = await waitingCounts();
      if (missing.length === 0 && (fresh === undefined || fresh === 0) && waiting.total === 0) {
        stopReason = 'every order accounted for, nothing waiting';
        break;
      }
    }
  }
  await publishing;
  await publisher.close();

  // 6. Stop the worker the way an orchestrator does, and wait for it.
  if (stopRequested === 'SIGINT') {
    // Ctrl-C in a terminal reached the worker too (same process group): give its own stop a moment.
    await Promise.race([workerExit, sleep(2000)]);
  }
  const signalled = worker.exitCode === null && worker.signalCode === null;
  console.log(`\n${stopReason}${signalled ? ': sending SIGTERM to the worker' : ''}`);
  const stopAt = Date.now();
  const exit = await stopWorker(worker, workerExit, STOP_LIMIT_MS);
  sampler.stop();
  const stopMs = Date.now() - stopAt;

  // 7. The tally, by order id: charged (the events the demo received) or dead-lettered (the DLQ).
  const waiting = await waitingCounts();
  const dead = await readDeadLetters();
  const tally = accountFor(confirmedIds, chargedIds, dead.ids);
  const log = readWorkerLog();
  const exitText =
    exit === undefined ? `killed after ${STOP_LIMIT_MS / 1000} s` : exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const withinPrefetch = sampler.max === undefined || sampler.max <= PREFETCH;

  console.log(`
summary
  published       ${confirmedIds.size} confirmed by the broker${failedPublishes > 0 ? `, ${failedPublishes} failed` : ''}
  handled         ${tally.charged} charged (an order.charged event received for each)
  dead-lettered   ${tally.dead} in ${DLQ}${dead.reasons.length > 0 ? `: ${dead.reasons.join('; ')}` : ''}
  accounted       ${tally.charged} handled + ${tally.dead} dead-lettered = ${tally.charged + tally.dead} of ${confirmedIds.size} published${tally.missing.length > 0 ? `; MISSING ${tally.missing.length} (${tally.missing.slice(0, 3).join(', ')})` : ''}${tally.duplicates > 0 ? `; ${tally.duplicates} duplicate(s)` : '; no duplicates'}${tally.both > 0 ? `; ${tally.both} both charged and dead-lettered` : ''}
  waiting         ${waiting.total === 0 ? 'nothing' : `${waiting.total} (${waiting.ready} ready in ${QUEUE}, ${waiting.retrying} in retry queues, ${waiting.charged} in ${CHARGED})`}
  retried         ${log.retries} failed attempts retried through ${RETRY_QUEUES.join(' / ')}${log.recovered > 0 ? `; ${log.recovered} orders then succeeded` : ''}
  max unacked     ${sampler.max ?? 'not observed (no rabbitmqctl)'} / prefetch ${PREFETCH}${sampler.max === undefined ? '' : withinPrefetch ? '  (never above prefetch)' : '  (ABOVE PREFETCH)'}  over ${sampler.samples} samples
  worker stop     ${signalled ? `${exitText} ${stopMs} ms after SIGTERM (intake stopped, in-flight work finished, connections closed)` : `${exitText} (not signalled by the demo)`}
  total           ${((Date.now() - started) / 1000).toFixed(1)} s; worker log: ${relative(ROOT, WORKER_LOG)}`);
  if (log.errors.length > 0) console.log(`  worker errors   ${log.errors.slice(0, 3).join(' | ')}`);

  await cleanup();
  if (stopRequested !== undefined) process.exit(130);
  const accounted = tally.missing.length === 0 && tally.duplicates === 0 && tally.both === 0 && waiting.total === 0;
  const ok = accounted && withinPrefetch && exit !== undefined && exit.code === 0 && failedPublishes === 0;
  process.exit(ok ? 0 : 1);
}

function inspectQueue(name) {
  return inspectQueueOn(connection, name);
}

async function countMessages(queues) {
  let n = 0;
  for (const q of queues) n += (await inspectQueue(q))?.messageCount ?? 0;
  return n;
}

/** Messages still on their way: ready in the work queue, waiting in a retry queue, or not yet taken from orders.charged. */
async function waitingCounts() {
  const ready = (await inspectQueue(QUEUE))?.messageCount ?? 0;
  const retrying = await countMessages(RETRY_QUEUES);
  const charged = (await inspectQueue(CHARGED))?.messageCount ?? 0;
  return { ready, retrying, charged, total: ready + retrying + charged };
}

/** Reads the DLQ (and puts it back): the order id of each message, and its messages grouped by the reason headers Warren wrote. */
async function readDeadLetters() {
  const count = (await inspectQueue(DLQ))?.messageCount ?? 0;
  const byReason = new Map();
  const ids = [];
  if (count > 0) {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      for (let i = 0; i < count; i++) {
        const msg = await channel.get(DLQ, { noAck: false });
        if (msg === false) break;
        ids.push(orderIdOf(msg));
        const h = msg.properties.headers ?? {};
        const key = `${h[core.HEADER.reason] ?? 'x-death'}: ${h[core.HEADER.error] ?? '?'}`;
        const entry = byReason.get(key) ?? { n: 0, example: String(h[core.HEADER.errorMessage] ?? '') };
        entry.n++;
        byReason.set(key, entry);
      }
    } finally {
      await channel.close().catch(() => undefined); // unacked gets go back to the DLQ
    }
  }
  return { count, ids, reasons: [...byReason].map(([key, e]) => `${e.n}× ${key}${e.example ? ` ("${e.example}")` : ''}`) };
}

function orderIdOf(msg) {
  try {
    return String(JSON.parse(msg.content.toString()).id);
  } catch {
    return `(unreadable body, message ${msg.properties.messageId})`;
  }
}

async function waitForConsumers() {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (worker.exitCode !== null) break;
    const placed = await inspectQueue(QUEUE);
    if (placed?.consumerCount > 0) return;
    await sleep(200);
  }
  const tail = readFileSync(WORKER_LOG, 'utf8').trim().split('\n').slice(-5).join('\n');
  fail(`the worker did not start consuming ${QUEUE}; the end of ${relative(ROOT, WORKER_LOG)}:\n${tail}`);
}

/** Lines of the worker's JSON log that matter to the summary. */
function readWorkerLog() {
  const result = { retries: 0, recovered: 0, errors: [] };
  for (const entry of logEntries(WORKER_LOG)) {
    if (typeof entry.msg === 'string' && /retrying later/.test(entry.msg)) result.retries++;
    if (entry.msg === 'order charged after a retry') result.recovered++;
    if (entry.level >= 50) result.errors.push(entry.msg);
  }
  return result;
}

function deleteDemoQueues() {
  return deleteQueues(connection, DEMO_QUEUES);
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
      console.log(`\ndeleted the demo's queues (${DEMO_QUEUES.slice(0, 2).join(', ')}, ${QUEUE}.retry.*, ${CHARGED}, ...)`);
    } catch (error) {
      console.error(`could not delete the demo's queues: ${oneLine(error)}`);
    }
    await connection.close().catch(() => undefined);
  }
}

async function interrupted(signal) {
  if (stopRequested !== undefined) process.exit(130); // a second signal: leave now
  stopRequested = signal;
  if (watching) return; // the watch loop stops, the worker gets SIGTERM, the summary is printed
  console.log(`\n${signal}: stopping the worker and cleaning up`);
  await cleanup();
  process.exit(130);
}
