// @warren-test measuring: measures rates and latencies against bands
/**
 * A live prefetch window at the real broker (what the adaptive limit moves): a channel-wide qos
 * on a classic queue, a re-subscribe on a quorum queue. Quorum queue counts reach list_queues on
 * the queue's metrics tick, so each step there waits for it: 5 s by default, 200 ms for the queue
 * declared here (see holdingApp).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, type ConsumerHost, type Middleware, Worker } from '@warren/core';
import {
  BrokerAdmin,
  brokerEval,
  closeConnectionsNamed,
  queueCounts,
  rabbitmqctl,
  sleep,
  Tally,
  uniqueName,
  waitFor,
} from '@warren/testing';
import { startTestApp } from '../support/app.js';

type Job = { id: string };

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `w${i}`);

/**
 * An app whose handlers end only when the test releases them (oldest first), with prefetch 20,
 * and the consumer's host (to move its window), on `queue`.
 */
async function holdingApp(queue: string, queueType: 'classic' | 'quorum', name?: string) {
  let host: ConsumerHost | undefined;
  const grab = (h: ConsumerHost): Middleware => {
    host = h;
    return { name: 'grab', run: (ctx, next) => next(ctx), describe: () => ({}) };
  };
  const held: Array<() => void> = [];
  const handled = new Tally();
  @Consumer({ queue, queueType, prefetch: 20, use: [grab] })
  class Holder extends Worker<Job> {
    async handle(job: Job): Promise<void> {
      await new Promise<void>((r) => held.push(r));
      handled.add(job.id);
    }
  }
  // A quorum queue takes its tick (when its counters reach list_queues) from the broker's
  // quorum_tick_interval as it is declared: a short one for this queue, then the default again
  // (RabbitMQ's config leaves it unset). Only how soon the counters show changes.
  if (queueType === 'quorum') await brokerEval('application:set_env(rabbit, quorum_tick_interval, 200)');
  let app: Awaited<ReturnType<typeof startTestApp>>;
  try {
    app = await startTestApp({ name, consumers: [Holder] });
  } finally {
    if (queueType === 'quorum') await brokerEval('application:unset_env(rabbit, quorum_tick_interval)');
  }
  return {
    app,
    host: host as unknown as ConsumerHost,
    held,
    handled,
    release: (n: number): void => {
      for (const r of held.splice(0, n)) r();
    },
    unacked: async (): Promise<number> => (await queueCounts(queue)).unacked,
  };
}

describe('a live prefetch window (host.setPrefetch)', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  for (const queueType of ['classic', 'quorum'] as const) {
    it(`${queueType} queue: lowered, the broker sends no more until fewer are unacked; raised, it sends more at once`, async () => {
      const queue = uniqueName(`window-${queueType}`);
      admin.trackQueue(queue);
      const { app, host, held, handled, release, unacked } = await holdingApp(queue, queueType);
      try {
        await admin.sendMany(
          queue,
          ids(60).map((id) => ({ id })),
        );
        await waitFor('20 unacked (prefetch 20)', async () => held.length === 20 && (await unacked()) === 20);
        await host.setPrefetch(5);
        assert.equal(host.prefetchNow(), 5);
        if (queueType === 'classic') {
          // The channel-wide limit, on the consumer's own channel.
          const channels = await rabbitmqctl('list_channels', 'global_prefetch_count', 'messages_unacknowledged', '--no-table-headers');
          assert.ok(
            channels.split('\n').some((l) => l.trim().split(/\s+/).join(' ') === '5 20'),
            `a channel with global prefetch 5 and 20 unacked: ${channels}`,
          );
          await sleep(300);
          assert.equal(await unacked(), 20, 'lowered: nothing more sent while 20 are unacked');
          release(16);
          await waitFor('unacked down to the new window', async () => held.length === 5 && (await unacked()) === 5);
          await sleep(300);
          assert.equal(await unacked(), 5, 'and it stays at 5');
        } else {
          // Re-subscribed: the old subscription's 20 stay unacked (and valid); the new one takes 5
          // more, which wait in the process for a handler (concurrency 20).
          await waitFor('old 20 + new 5', async () => (await unacked()) === 25);
          assert.equal(held.length, 20);
          release(20);
          await waitFor(
            'only the new window once the old deliveries are settled',
            async () => held.length === 5 && (await unacked()) === 5,
          );
        }
        await host.setPrefetch(12);
        if (queueType === 'classic') {
          await waitFor('raised: 12 unacked at once', async () => held.length === 12 && (await unacked()) === 12);
          await sleep(300);
          assert.equal(await unacked(), 12, 'and it stays at 12');
        } else {
          await waitFor('raised: old 5 + new 12', async () => held.length === 17 && (await unacked()) === 17);
          release(5);
          await waitFor('12 once the old ones are settled', async () => held.length === 12 && (await unacked()) === 12);
        }
        await assert.rejects(host.setPrefetch(21), /prefetch must be a whole number from 1 to 20, got 21/);
        await waitFor('the rest handled', async () => {
          release(held.length);
          return handled.seen.size === 60;
        });
        assert.equal(handled.duplicates(), 0);
        assert.deepEqual(handled.missing(ids(60)), []);
        assert.equal((await queueCounts(queue)).consumers, 1, 'one subscription, not one more per change');
      } finally {
        release(held.length);
        await app.stop();
      }
    });
  }
  it('a narrowed window is kept across a reconnect: the new channel has it before it consumes', async () => {
    const queue = uniqueName('window-reconnect');
    admin.trackQueue(queue);
    const appName = uniqueName('windowapp');
    const { app, host, held, handled, release, unacked } = await holdingApp(queue, 'classic', appName);
    try {
      await admin.sendMany(
        queue,
        ids(40).map((id) => ({ id })),
      );
      await waitFor('20 unacked (prefetch 20)', async () => held.length === 20 && (await unacked()) === 20);
      await host.setPrefetch(4);
      const generation = app.connections.consume.generation;
      assert.ok((await closeConnectionsNamed(`${appName}:consume`)) >= 1);
      // The broker put the 20 back with the channel; their handlers still hold their slots (their
      // settles will be refused), so the 4 the new channel takes wait in the process.
      await waitFor('reconnected with the window of 4', async () => (await unacked()) === 4, 20_000);
      assert.ok(app.connections.consume.generation > generation);
      const channels = await rabbitmqctl('list_channels', 'global_prefetch_count', 'messages_unacknowledged', '--no-table-headers');
      assert.ok(
        channels.split('\n').some((l) => l.trim().split(/\s+/).join(' ') === '4 4'),
        `a channel with global prefetch 4 and 4 unacked: ${channels}`,
      );
      await sleep(300);
      assert.equal(await unacked(), 4, 'and no more than 4 come');
      await waitFor('every id handled', async () => {
        release(held.length);
        return handled.missing(ids(40)).length === 0;
      });
      // Handlers that were running when the channel died finished after it: their messages ran again.
      assert.ok(handled.duplicates() <= 20, `${handled.duplicates()} handled twice`);
    } finally {
      release(held.length);
      await app.stop();
    }
  });
});
