/**
 * The public policy contract end to end: an app's own policies, per consumer (`@Consumer({ use })`)
 * and app-wide (`defineApp({ use })`), against the real broker.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ConfigError,
  type ConsumeContext,
  Consumer,
  type ConsumerHost,
  deadLetterQueueName,
  HEADER,
  type Middleware,
  type Next,
  Reject,
  silentLogger,
  WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, queueCounts, Tally, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { fixture, spawnWarren, watchStdout } from '../support/cli.js';

type Job = { id: string; block?: boolean; pause?: boolean };

/** An app-wide policy object: shared by every consumer, it records the order it saw deliveries in. */
class Journal implements Middleware {
  readonly name = 'journal';
  readonly order: string[] = [];
  run(ctx: ConsumeContext, next: Next): Promise<void> {
    this.order.push(`app:${(ctx.payload as Job).id}`);
    return next(ctx);
  }
  describe(): Record<string, unknown> {
    return { entries: this.order.length };
  }
}

/**
 * A consumer's own policy, made per consumer by a factory: counts each delivery, rejects the ones
 * marked `block` before the handler runs, and pauses intake through its host when told to.
 */
function gatekeeper(journal: Journal, seen: Tally, hosts: ConsumerHost[]) {
  return (host: ConsumerHost): Middleware => {
    hosts.push(host);
    let rejected = 0;
    return {
      name: 'gatekeeper',
      async run(ctx, next) {
        const job = ctx.payload as Job;
        seen.add(job.id);
        journal.order.push(`consumer:${job.id}`);
        if (job.block) {
          rejected++;
          throw new Reject(`blocked by policy: ${job.id}`);
        }
        if (job.pause) {
          await host.pause('gatekeeper');
          host.emit('gatekeeper', 'paused', { by: job.id });
        }
        await next(ctx);
      },
      describe: () => ({ rejected, queue: host.queue }),
    };
  };
}

describe('policies: the public contract', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('an app policy sees every delivery once, can reject, can pause intake, and shows in health', async () => {
    const queue = uniqueName('policy');
    admin.trackQueue(queue);
    const journal = new Journal();
    const seen = new Tally();
    const handled = new Tally();
    const hosts: ConsumerHost[] = [];
    @Consumer({ queue, prefetch: 5, use: [gatekeeper(journal, seen, hosts)] })
    class Guarded extends Worker<Job> {
      async handle(job: Job): Promise<void> {
        handled.add(job.id);
      }
    }
    const app = await startTestApp({ consumers: [Guarded], use: [journal] });
    const policyEvents: unknown[][] = [];
    app.events.on('policy', (...args) => policyEvents.push(args));
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `p-${i}`);
      await admin.sendMany(
        queue,
        ids.map((id, i) => ({ id, block: i % 10 === 3 })),
      );
      const blocked = ids.filter((_, i) => i % 10 === 3);
      await waitFor(
        'every delivery handled or dead-lettered',
        async () => handled.seen.size + (await admin.depth(deadLetterQueueName(queue))) === 30,
      );
      assert.equal(seen.seen.size, 30);
      assert.equal(seen.duplicates(), 0, 'the policy saw each delivery once');
      assert.deepEqual(handled.missing(ids.filter((id) => !blocked.includes(id))), []);
      for (const id of blocked) assert.equal(handled.seen.has(id), false, `${id} never reached the handler`);
      const dead = await admin.drain(deadLetterQueueName(queue));
      assert.deepEqual(dead.map((m) => (JSON.parse(m.content.toString()) as Job).id).sort(), [...blocked].sort());
      for (const m of dead) assert.equal(m.properties.headers?.[HEADER.reason], 'rejected');
      // The app-wide policy is outermost: it saw each delivery before the consumer's own.
      for (const id of ids) assert.ok(journal.order.indexOf(`app:${id}`) < journal.order.indexOf(`consumer:${id}`), id);

      const health = app.health();
      const policies = health.consumers[0]?.policies ?? [];
      assert.deepEqual(
        policies.map((p) => p.name),
        ['journal', 'deadline', 'gatekeeper', 'concurrency'],
      );
      assert.deepEqual(
        policies.find((p) => p.name === 'gatekeeper'),
        { name: 'gatekeeper', rejected: 3, queue },
      );
      assert.equal(policies.find((p) => p.name === 'journal')?.entries, 60);

      // Pausing through the host cancels the broker consumer; the queue keeps what comes next.
      await admin.sendMany(queue, [{ id: 'pauser', pause: true }]);
      await waitFor('paused by the policy', () => app.consumers[0]?.state === 'paused');
      assert.equal(app.consumers[0]?.stats().intakeOff, 'paused');
      assert.deepEqual(app.consumers[0]?.stats().pausedBy, ['gatekeeper']);
      await waitFor('no consumer on the queue', async () => (await queueCounts(queue)).consumers === 0);
      await admin.sendMany(queue, [{ id: 'waits' }]);
      await waitFor('it waits in the queue', async () => (await queueCounts(queue)).ready === 1);
      assert.equal(handled.seen.has('waits'), false);
      assert.deepEqual(policyEvents[0], [Guarded.name, 'gatekeeper', 'paused', { by: 'pauser' }]);
      await hosts[0]?.resume('gatekeeper');
      await waitFor('handled after resume', () => handled.seen.has('waits'));
      assert.equal(app.consumers[0]?.state, 'consuming');
    } finally {
      await app.stop();
    }
  });

  it('a bad policy stops the app at create, naming the consumer and the policy, before any connection', async () => {
    const queue = uniqueName('badpolicy');
    // Nothing listens here: had it tried to connect, it would fail with a connection error instead.
    const nowhere = 'amqp://guest:guest@127.0.0.1:1';
    const create = (definition: Parameters<typeof WarrenApp.create>[0]) =>
      WarrenApp.create(definition, { url: nowhere, logger: silentLogger() });

    @Consumer({
      queue,
      use: [
        {
          name: 'rateCap',
          run: (ctx: ConsumeContext, next: Next) => next(ctx),
          describe: () => ({}),
          validate() {
            throw new Error('perSecond must be above 0, got -1');
          },
        },
      ],
    })
    class BadSpec extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(create({ consumers: [BadSpec] }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /@Consumer BadSpec: policy "rateCap" is invalid: perSecond must be above 0, got -1/);
      return true;
    });

    const failingFactory = function breakerFor(): Middleware {
      throw new Error('no shared state given');
    };
    @Consumer({ queue, use: [failingFactory] })
    class BadFactory extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(
      create({ consumers: [BadFactory] }),
      /@Consumer BadFactory: policy "breakerFor" could not be created: no shared state given/,
    );

    @Consumer({ queue, use: [{ name: 'half' } as unknown as Middleware] })
    class NotAPolicy extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(create({ consumers: [NotAPolicy] }), /@Consumer NotAPolicy: option "use\[0\]" must be a Middleware/);

    @Consumer({ queue })
    class Fine extends Worker {
      async handle(): Promise<void> {}
    }
    await assert.rejects(create({ consumers: [Fine], use: [42 as unknown as Middleware] }), /defineApp: use\[0\] must be a Middleware/);
  });

  it("warren start serves each policy's describe() in /health", async () => {
    const queue = uniqueName('policyhealth');
    admin.trackQueue(queue);
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const { child, exited } = spawnWarren(['start', fixture('policyApp'), '--http-port', String(port)], { FIXTURE_QUEUE: queue });
    try {
      await watchStdout(child).until('the operations port', (text) => text.includes('operations port'));
      await admin.sendMany(queue, [{ id: 'h1' }, { id: 'h2' }]);
      let report: { consumers: Array<{ policies: Array<Record<string, unknown>> }> } | undefined;
      await waitFor('the policy counted both', async () => {
        report = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as typeof report;
        return report?.consumers[0]?.policies.find((p) => p.name === 'counting')?.seen === 2;
      });
      assert.deepEqual(
        report?.consumers[0]?.policies.find((p) => p.name === 'counting'),
        { name: 'counting', seen: 2, note: 'an app policy' },
      );
    } finally {
      child.kill('SIGTERM');
      assert.equal((await exited).code, 0);
    }
  });
});
