/**
 * `node bench/dist/measure/count.js <publish|consume|rpc> <subject key> <url> <queue> <count> <window>`:
 * publishes `count` confirmed messages through one subject (catalogue.ts), `window` outstanding,
 * as the publish scenario drives it; or consumes and acks `count` from a queue holding exactly
 * that many, at prefetch `window`, with the no-op handler of the consume scenario; or makes
 * `count` request/reply round trips through one of subjects/rpc.ts, `window` callers at once,
 * over the empty request queue `queue`. Then exits.
 * Run under callgrind by the instructions scenarios, which count what the process executes;
 * nothing here is timed.
 */
import { jsonBody } from '../lib/messages.js';
import { PEERS, RAW, WARREN } from '../subjects/catalogue.js';
import { keepCalling, openRpc, RPC_SUBJECTS, type RpcSubject } from '../subjects/rpc.js';
import type { Subject } from '../subjects/Subject.js';
import { keepPublishing } from './publish.js';

async function main(): Promise<void> {
  const [kind, key, url, queue, countText, windowText] = process.argv.slice(2);
  const count = Number(countText);
  const window = Number(windowText);
  const usage = new Error(
    `usage: count.js <publish|consume> <subject key> <url> <queue> <count> <window>, or count.js rpc <${RPC_SUBJECTS.join('|')}> <url> <queue> <count> <callers>`,
  );
  if (url === undefined || queue === undefined || !(count > 0) || !(window > 0)) throw usage;
  if (kind === 'rpc' && RPC_SUBJECTS.includes(key as RpcSubject)) {
    await roundTrips(key as RpcSubject, url, queue, count, window);
    console.log(`rpc ${count}`);
    return;
  }
  const spec = [RAW, WARREN, ...PEERS].find((s) => s.key === key);
  if ((kind !== 'publish' && kind !== 'consume') || spec === undefined) throw usage;
  const { subject } = (await import(`../subjects/${spec.module}.js`)) as { subject: Subject };
  if (kind === 'publish') await publish(subject, { url, queue, window, variant: spec.variant }, count);
  else await consume(subject, { url, queue, prefetch: window, handlerMs: 0, variant: spec.variant }, count);
  console.log(`${kind} ${count}`);
}

async function publish(subject: Subject, spec: Parameters<Subject['publisher']>[0], count: number): Promise<void> {
  const publishing = await subject.publisher(spec);
  await keepPublishing(publishing, spec.window, jsonBody(0), () => true, count).finally(() => publishing.close());
}

async function roundTrips(subject: RpcSubject, url: string, queue: string, count: number, callers: number): Promise<void> {
  const pair = await openRpc(subject, url, queue);
  let left = count;
  try {
    await keepCalling(callers, pair.call, () => left-- > 0);
  } finally {
    await pair.close();
  }
}

async function consume(subject: Subject, spec: Parameters<Subject['consume']>[0], count: number): Promise<void> {
  let handled = 0;
  let all: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    all = resolve;
  });
  const consuming = await subject.consume(spec, () => {
    if (++handled === count) all();
  });
  await done;
  // The queue held `count`: nothing more comes; stop acks the last ones and closes.
  await consuming.stop();
}

main().then(
  // Some libraries keep timers after close: the count is done, so exit.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
