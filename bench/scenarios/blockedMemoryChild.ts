/**
 * Child process of the blocked-memory scenario (one per subject, so heaps do not mix), run with
 * --expose-gc while the broker's memory alarm is on: publishes 1 KiB messages at a steady rate
 * for a while and prints {growthMiB, attempted, rejected} as JSON.
 * argv: subject ('raw' | 'warren'), queue, url, durationMs, ratePerSec
 */
import { createPublisher } from '@warren/core';
import * as amqp from 'amqplib';

const [subject, queue, url, durationArg, rateArg] = process.argv.slice(2) as [string, string, string, string, string];
const durationMs = Number(durationArg);
const perTick = Math.max(1, Math.round(Number(rateArg) / 100));
const body = Buffer.alloc(1024, 0x62);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function live(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function main(): Promise<void> {
  let publish: () => void;
  let rejected = 0;
  if (subject === 'raw') {
    const conn = await amqp.connect(url, { noDelay: true });
    const ch = await conn.createConfirmChannel();
    // Ignores publish()'s return value, as most code does.
    publish = () => {
      ch.sendToQueue(queue, body, { persistent: true }, () => undefined);
    };
  } else {
    const publisher = await createPublisher({ urls: url, appName: 'bench-blocked' });
    const onReject = (): void => {
      rejected++;
    };
    publish = () => {
      publisher.send(queue, body).catch(onReject);
    };
  }
  const before = live();
  let attempted = 0;
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    for (let i = 0; i < perTick; i++) {
      publish();
      attempted++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const growth = live() - before;
  process.stdout.write(`${JSON.stringify({ growthMiB: growth / 1024 / 1024, attempted, rejected })}\n`);
  // Closing a blocked connection can wait on the broker; the process exit drops it.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
