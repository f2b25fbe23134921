import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '../consumer/Worker.js';
import { Consumer } from '../decorators/Consumer.js';
import { ConfigError } from '../errors/WarrenError.js';
import type { AppDefinition } from './defineApp.js';
import { resolveAppDefinition } from './resolveApp.js';

@Consumer({ queue: 'ledger.entries', singleActiveConsumer: true })
class LedgerWorker extends Worker<unknown> {
  async handle(): Promise<void> {}
}

@Consumer({ queue: 'ledger.audit', queueType: 'classic' })
class AuditWorker extends Worker<unknown> {
  async handle(): Promise<void> {}
}

const consumers = [LedgerWorker, AuditWorker];
const resolved = (definition: Partial<AppDefinition>) =>
  [...resolveAppDefinition({ consumers, ...definition }, {}).consumers.values()].map((o) => [o.name, o.queueType]);

describe('defineApp({ defaults })', () => {
  it("queueType: 'quorum' makes every consumer quorum unless it says otherwise", () => {
    assert.deepEqual(resolved({ defaults: { queueType: 'quorum' } }), [
      ['LedgerWorker', 'quorum'],
      ['AuditWorker', 'classic'],
    ]);
  });

  it('without it, a single active consumer (which needs quorum) is refused, naming the consumer and the option', () => {
    assert.throws(
      () => resolved({}),
      (e: unknown) =>
        e instanceof ConfigError && /^@Consumer LedgerWorker: option "singleActiveConsumer" needs queueType 'quorum'/.test(e.message),
    );
  });

  it('refuses an unknown default or a bad queue type, naming it', () => {
    const refused = (defaults: unknown, detail: RegExp) =>
      assert.throws(
        () => resolved({ defaults } as Partial<AppDefinition>),
        (e: unknown) => e instanceof ConfigError && detail.test(e.message),
      );
    refused({ prefetch: 5 }, /"defaults.prefetch" is not a known default/);
    refused({ queueType: 'stream' }, /"defaults.queueType" must be 'classic' or 'quorum', got "stream"/);
    refused('quorum', /"defaults" must be an object/);
  });
});
