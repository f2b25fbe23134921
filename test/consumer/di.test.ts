import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, Consumer, type MessageContext, Publisher, silentLogger, WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, uniqueName, waitFor } from '@warren/testing';
import { inject, injectable } from 'inversify';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';

@injectable()
class Ledger {
  readonly entries: string[] = [];
  record(id: string): void {
    this.entries.push(id);
  }
}

describe('dependency injection and option checks', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('injects constructor dependencies, and the Publisher, into a consumer', async () => {
    const queue = uniqueName('di');
    const out = uniqueName('di-out');
    admin.trackQueue(queue, out);
    await admin.channel.assertQueue(out, { durable: false });
    @Consumer({ queue })
    class LedgerWorker extends Worker<{ id: string }> {
      constructor(
        @inject(Ledger) private readonly ledger: Ledger,
        @inject(Publisher) private readonly publisher: Publisher,
      ) {
        super();
      }
      async handle(msg: { id: string }, _ctx: MessageContext): Promise<void> {
        this.ledger.record(msg.id);
        await this.publisher.send(out, { recorded: msg.id });
      }
    }
    const ledger = new Ledger();
    const app = await startTestApp({ consumers: [LedgerWorker], configure: (c) => void c.bind(Ledger).toConstantValue(ledger) });
    try {
      await admin.sendMany(queue, [{ id: 'a' }, { id: 'b' }]);
      await waitFor('both recorded and forwarded', async () => ledger.entries.length === 2 && (await admin.depth(out)) === 2);
      assert.deepEqual(ledger.entries.sort(), ['a', 'b']);
    } finally {
      await app.stop();
    }
  });

  it('a missing binding fails create() with an error naming the consumer and the missing service', async () => {
    @Consumer({ queue: uniqueName('di-missing') })
    class NeedsLedger extends Worker {
      constructor(@inject(Ledger) readonly ledger: Ledger) {
        super();
      }
      async handle(): Promise<void> {}
    }
    await assert.rejects(
      WarrenApp.create({ consumers: [NeedsLedger] }, { urls: BROKER_URL, logger: silentLogger() }),
      (e: unknown) => e instanceof ConfigError && /NeedsLedger/.test(e.message) && /Ledger/.test(e.message) && /bind it/.test(e.message),
    );
  });

  it('a bad option fails create() naming the consumer and the option, before connecting', async () => {
    @Consumer({ queue: 'q', prefetch: 0 })
    class ZeroPrefetch extends Worker {
      async handle(): Promise<void> {}
    }
    // An unreachable URL proves nothing was connected: the option check comes first.
    await assert.rejects(
      WarrenApp.create({ consumers: [ZeroPrefetch] }, { urls: 'amqp://127.0.0.1:1', logger: silentLogger() }),
      (e: unknown) => e instanceof ConfigError && /ZeroPrefetch/.test(e.message) && /"prefetch"/.test(e.message),
    );
  });
});
