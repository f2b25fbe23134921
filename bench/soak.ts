/**
 * Soak: a Warren worker under steady load with random faults, for N minutes (not run in CI).
 *
 *   node bench/dist/soak.js --minutes 10 [--rate 200] [--fault-every 15] [--url amqp://...]
 *
 * A producer publishes numbered messages at a fixed rate through Warren's Publisher (straight to
 * the broker; a publish that fails is sent again), and a worker consumes them through a loopback
 * TCP proxy. Every `--fault-every` seconds one fault, chosen at random, is injected and restored:
 * `rabbitmqctl close_all_connections`, a proxy cut of the worker's connections, or a 3 s memory
 * alarm. Every 10 s it prints published, handled, duplicates, lost so far (confirmed over 60 s
 * ago and never handled) and memory; at the end, after the backlog drains, the final tally.
 * Needs rabbitmqctl (root) for close_all_connections and the alarm; it restores the broker on exit.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Consumer, createPublisher, defineApp, type MessageContext, type Publisher, silentLogger, WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, rabbitmqctl, sleep, TcpProxy, withMemoryAlarm } from '@warren/testing';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    rate: { type: 'string', default: '200' },
    'fault-every': { type: 'string', default: '15' },
    url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const faultEveryMs = Number(values['fault-every']) * 1000;
const brokerUrl = values.url as string;
const queue = `soak.${randomUUID().slice(0, 8)}`;
const PREFETCH = 20;
const LOST_AFTER_MS = 60_000;

const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

const handled = new Map<string, number>();
let duplicates = 0;

@Consumer({ queue, prefetch: PREFETCH, retry: { attempts: 10, delayMs: 500 } })
class SoakWorker extends Worker<{ id: string }> {
  async handle(msg: { id: string }, _ctx: MessageContext): Promise<void> {
    await sleep(2 + Math.random() * 3);
    const n = handled.get(msg.id) ?? 0;
    if (n > 0) duplicates++;
    handled.set(msg.id, n + 1);
  }
}

/** Publishes `{ id }` at `rate`/s; a failed publish is sent again, so every id ends up queued. */
class Producer {
  sent = 0;
  /** id -> confirmed at (ms) */
  readonly confirmedAt = new Map<string, number>();
  resent = 0;
  pending = 0;
  #stopped = false;
  constructor(private readonly publisher: Publisher) {}
  async run(): Promise<void> {
    const started = Date.now();
    while (!this.#stopped) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      while (this.sent < due) this.#send(`m${this.sent++}`);
      await sleep(10);
    }
  }
  stop(): void {
    this.#stopped = true;
  }
  #send(id: string): void {
    this.pending++;
    this.publisher.send(queue, { id }, { messageId: id }).then(
      () => {
        this.pending--;
        this.confirmedAt.set(id, Date.now());
      },
      () => {
        this.pending--;
        this.resent++;
        setTimeout(() => this.#send(id), 200);
      },
    );
  }
}

type Fault = 'close_all_connections' | 'proxy cut' | 'memory alarm 3s';
const faultsDone: Record<Fault, number> = { close_all_connections: 0, 'proxy cut': 0, 'memory alarm 3s': 0 };
let alarmOn = false;

async function inject(fault: Fault, proxy: TcpProxy): Promise<void> {
  faultsDone[fault]++;
  if (fault === 'close_all_connections') await rabbitmqctl('close_all_connections', 'soak');
  else if (fault === 'proxy cut') proxy.cut();
  else {
    alarmOn = true;
    try {
      await withMemoryAlarm(() => sleep(3000));
    } finally {
      alarmOn = false;
    }
  }
}

function lostSoFar(producer: Producer, olderThanMs: number): number {
  const cutoff = Date.now() - olderThanMs;
  let lost = 0;
  for (const [id, at] of producer.confirmedAt) if (at <= cutoff && !handled.has(id)) lost++;
  return lost;
}

function report(label: string, started: number, producer: Producer, app: WarrenApp, olderThanMs: number): void {
  const m = process.memoryUsage();
  const c = app.consumers[0]?.stats();
  let total = 0;
  for (const n of handled.values()) total += n;
  console.log(
    `${label.padEnd(6)} t=${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s published ${producer.confirmedAt.size} (sent ${producer.sent}, resent ${producer.resent})` +
      ` handled ${total} (distinct ${handled.size}) duplicates ${duplicates} lost ${lostSoFar(producer, olderThanMs)}` +
      ` backlog ${producer.confirmedAt.size - handled.size} | unsettleable ${c?.unsettleable ?? 0} channelOpens ${c?.channelOpens ?? 0}` +
      ` | rss ${mb(m.rss)} MB heap ${mb(m.heapUsed)} MB`,
  );
}

async function main(): Promise<void> {
  const proxy = await TcpProxy.start(brokerUrl);
  const proxyUrl = proxy.url(brokerUrl);
  const app = await WarrenApp.create(defineApp({ name: queue, consumers: [SoakWorker] }), { urls: proxyUrl, logger: silentLogger() });
  const publisher = await createPublisher({ urls: brokerUrl, appName: `${queue}-producer`, republishUnconfirmed: true, timeoutMs: 60_000 });
  const producer = new Producer(publisher);
  const started = Date.now();
  let faultTimer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let faultRunning: Promise<void> = Promise.resolve();
  const restore = async (): Promise<void> => {
    if (alarmOn) await rabbitmqctl('set_vm_memory_high_watermark', '0.4').catch(() => undefined);
  };
  process.once('SIGINT', () => {
    void restore().finally(() => process.exit(130));
  });
  try {
    await app.start();
    console.log(
      `soak: ${minutes} min, ${rate} msg/s, a fault every ${faultEveryMs / 1000} s, queue ${queue}, worker via proxy ${proxyUrl.replace(/\/\/.*@/, '//')}`,
    );
    const producing = producer.run();
    const faults: Fault[] = ['close_all_connections', 'proxy cut', 'memory alarm 3s'];
    faultTimer = setInterval(() => {
      const fault = faults[Math.floor(Math.random() * faults.length)] as Fault;
      console.log(`fault  t=${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s ${fault}`);
      faultRunning = faultRunning
        .then(() => inject(fault, proxy))
        .catch((e: unknown) => console.error(`fault ${fault} failed: ${(e as Error).message}`));
    }, faultEveryMs);
    ticker = setInterval(() => report('tick', started, producer, app, LOST_AFTER_MS), 10_000);
    await sleep(minutes * 60_000);
    clearInterval(faultTimer);
    producer.stop();
    await producing;
    await faultRunning;
    // Drain: every publish confirmed, every confirmed id handled (or 60 s).
    const until = Date.now() + 60_000;
    while (Date.now() < until && (producer.pending > 0 || [...producer.confirmedAt.keys()].some((id) => !handled.has(id))))
      await sleep(250);
    clearInterval(ticker);
    report('final', started, producer, app, 0);
    const stop = await app.stop(5000);
    const lost = lostSoFar(producer, 0);
    console.log(
      `tally: published ${producer.confirmedAt.size}, handled distinct ${handled.size}, duplicates ${duplicates}, lost ${lost}; faults ${JSON.stringify(faultsDone)}; stop clean ${stop.clean}`,
    );
    process.exitCode = lost === 0 ? 0 : 1;
  } finally {
    clearInterval(faultTimer);
    clearInterval(ticker);
    await restore();
    await publisher.close().catch(() => undefined);
    await app.stop(2000).catch(() => undefined);
    await proxy.close();
    const admin = await BrokerAdmin.open(brokerUrl);
    admin.trackQueue(queue);
    await admin.cleanup();
  }
}

await main();
