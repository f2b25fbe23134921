import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Consumer, createLogger, deadLetterQueueName, type Logger, RetryLater, retryQueueName, Worker } from '@warren/core';
import { BrokerAdmin, rabbitmqctl, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';

/** Each queue's type, as the broker has it. */
async function queueTypes(...names: string[]): Promise<Record<string, string>> {
  const out = await rabbitmqctl('list_queues', 'name', 'type', '--no-table-headers');
  const types: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const [name, type] = line.trim().split(/\s+/);
    if (name !== undefined && type !== undefined && names.includes(name)) types[name] = type;
  }
  return types;
}

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ name: 'quorum-topology', level: 'warn' }, { write: (line: string) => void lines.push(line) }), lines };
}

/** A quorum consumer that fails each id's first attempt, so every message goes through the retry queue once. */
function retryingWorker(queue: string, tally: Tally) {
  const failed = new Set<string>();
  @Consumer({ queue, prefetch: 20, retry: { attempts: 3, delayMs: 200 } })
  class RetryingWorker extends Worker<{ id: string }> {
    async handle(msg: { id: string }): Promise<void> {
      if (!failed.has(msg.id)) {
        failed.add(msg.id);
        throw new RetryLater('first attempt fails', { delayMs: 200 });
      }
      tally.add(msg.id);
    }
  }
  return RetryingWorker;
}

describe('quorum topology (defineApp defaults)', () => {
  it("a quorum consumer's retry queue and DLQ are quorum, and retries come back through them", async () => {
    const queue = uniqueName('quorum.topology');
    const admin = await BrokerAdmin.open();
    admin.trackQueue(queue);
    const tally = new Tally();
    const ids = Array.from({ length: 200 }, (_, i) => `q${i}`);
    const app = await startTestApp({ consumers: [retryingWorker(queue, tally)], defaults: { queueType: 'quorum' } });
    try {
      const retry = retryQueueName(queue, 200);
      const dlq = deadLetterQueueName(queue);
      assert.deepEqual(await queueTypes(queue, retry, dlq), { [queue]: 'quorum', [retry]: 'quorum', [dlq]: 'quorum' });
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('every id handled on its second attempt', () => tally.seen.size === ids.length, 20_000);
      const stats = app.consumers[0]?.stats();
      console.log(
        `[quorum] ${ids.length} sent, handled ${tally.total} (distinct ${tally.seen.size}), retried ${stats?.retried}, dlq ${await admin.depth(dlq)}`,
      );
      assert.deepEqual(tally.missing(ids), []);
      assert.equal(tally.duplicates(), 0);
      assert.equal(stats?.retried, ids.length);
      assert.equal(await admin.depth(dlq), 0);
    } finally {
      await app.stop();
      await admin.cleanup();
    }
  });

  it('classic retry queue and DLQ left by an earlier Warren: kept (with one warning each), and retries still work', async () => {
    const queue = uniqueName('quorum.legacy');
    const admin = await BrokerAdmin.open();
    admin.trackQueue(queue);
    const retry = retryQueueName(queue, 200);
    const dlq = deadLetterQueueName(queue);
    // What Warren declared before its retry queues and DLQ followed the work queue's type.
    await admin.channel.assertQueue(dlq, { durable: true });
    await admin.channel.assertQueue(retry, {
      durable: true,
      arguments: { 'x-message-ttl': 200, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
    const tally = new Tally();
    const ids = Array.from({ length: 100 }, (_, i) => `l${i}`);
    const { log, lines } = capture();
    const app = await startTestApp({ consumers: [retryingWorker(queue, tally)], defaults: { queueType: 'quorum' } }, { logger: log });
    try {
      assert.deepEqual(await queueTypes(queue, retry, dlq), { [queue]: 'quorum', [retry]: 'classic', [dlq]: 'classic' });
      const warned = lines.filter((l) => l.includes('a classic retry queue or DLQ')).map((l) => JSON.parse(l).queue);
      assert.deepEqual(warned.sort(), [dlq, retry].sort());
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await waitFor('every id handled', () => tally.seen.size === ids.length, 20_000);
      assert.deepEqual(tally.missing(ids), []);
      console.log(
        `[quorum] legacy classic retry queue and DLQ kept: ${ids.length} sent, handled ${tally.total}, warnings ${warned.length}`,
      );
    } finally {
      await app.stop();
      await admin.cleanup();
    }
  });
});
