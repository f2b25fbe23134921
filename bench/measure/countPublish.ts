/**
 * `node bench/dist/measure/countPublish.js <subject key> <url> <queue> <count> <window>`: publishes
 * `count` confirmed messages through one subject's publisher (catalogue.ts, as the publish
 * scenario drives it: `window` outstanding), then exits. Run under callgrind by the instructions scenario, which
 * counts what the process executes; nothing here is timed.
 */
import { jsonBody } from '../lib/messages.js';
import { PEERS, RAW, WARREN } from '../subjects/catalogue.js';
import type { Subject } from '../subjects/Subject.js';

async function main(): Promise<void> {
  const [key, url, queue, countText, windowText] = process.argv.slice(2);
  const spec = [RAW, WARREN, ...PEERS].find((s) => s.key === key);
  const count = Number(countText);
  const window = Number(windowText);
  if (spec === undefined || url === undefined || queue === undefined || !(count > 0) || !(window > 0)) {
    throw new Error('usage: countPublish.js <subject key> <url> <queue> <count> <window>');
  }
  const { subject } = (await import(`../subjects/${spec.module}.js`)) as { subject: Subject };
  const publishing = await subject.publisher({ url, queue, window, variant: spec.variant });
  const body = jsonBody(0);
  let sent = 0;
  let confirmed = 0;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: unknown): void => {
      if (error !== undefined) reject(error);
      else if (++confirmed === count) resolve();
      else pump();
    };
    const pump = (): void => {
      while (sent < count && sent - confirmed < window) {
        sent++;
        publishing.send(body, done);
      }
    };
    pump();
  });
  await publishing.close();
  console.log(`confirmed ${confirmed}`);
}

main().then(
  // Some libraries keep timers after close: the count is done, so exit.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
