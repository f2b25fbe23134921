import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors/WarrenError.js';
import type { ConsumerOptions } from './ConsumerOptions.js';
import { resolveConsumerOptions } from './resolveConsumerOptions.js';

const resolve = (o: Partial<ConsumerOptions>, defaults = {}) =>
  resolveConsumerOptions('LedgerWorker', { queue: 'ledger', ...o } as ConsumerOptions, defaults);

function refused(o: Partial<ConsumerOptions> | Record<string, unknown>, option: string, detail: RegExp, defaults = {}): void {
  assert.throws(
    () => resolve(o as Partial<ConsumerOptions>, defaults),
    (e: unknown) =>
      e instanceof ConfigError && e.message.startsWith(`@Consumer LedgerWorker: option "${option}" `) && detail.test(e.message),
  );
}

describe('queue type and single active consumer', () => {
  it("takes the app's default queue type; the consumer's own wins", () => {
    assert.equal(resolve({}).queueType, 'classic');
    assert.equal(resolve({}, { queueType: 'quorum' }).queueType, 'quorum');
    assert.equal(resolve({ queueType: 'classic' }, { queueType: 'quorum' }).queueType, 'classic');
  });

  it('a bad default queue type is refused, naming queueType', () => {
    refused({}, 'queueType', /'classic' or 'quorum', got "stream"/, { queueType: 'stream' });
  });

  it('singleActiveConsumer: off by default; on, concurrency defaults to 1 and an explicit one is kept', () => {
    assert.equal(resolve({}).singleActiveConsumer, false);
    const sac = resolve({ queueType: 'quorum', singleActiveConsumer: true, prefetch: 10 });
    assert.equal(sac.singleActiveConsumer, true);
    assert.equal(sac.concurrency, 1);
    assert.equal(resolve({ queueType: 'quorum', singleActiveConsumer: true, prefetch: 10, concurrency: 4 }).concurrency, 4);
    assert.equal(resolve({ singleActiveConsumer: true }, { queueType: 'quorum' }).singleActiveConsumer, true);
  });

  it('singleActiveConsumer needs a quorum queue, and must be a boolean', () => {
    refused({ singleActiveConsumer: true }, 'singleActiveConsumer', /needs queueType 'quorum'/);
    refused({ queueType: 'quorum', singleActiveConsumer: 'yes' }, 'singleActiveConsumer', /true or false/);
  });

  it("x-single-active-consumer in arguments stays a plain queue argument, without the option's takeover handling", () => {
    const r = resolve({ arguments: { 'x-single-active-consumer': true } });
    assert.equal(r.singleActiveConsumer, false);
    assert.deepEqual(r.arguments, { 'x-single-active-consumer': true });
  });
});
