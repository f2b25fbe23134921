import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel } from 'amqplib';
import type { ConsumerOptions } from '../options/ConsumerOptions.js';
import { resolveConsumerOptions } from '../options/resolveConsumerOptions.js';
import { AuxiliaryQueues, deadLetterQueueArguments, retryQueueArguments } from './auxiliaryQueues.js';
import { workQueueArguments } from './declareConsumerTopology.js';

const options = (o: Partial<ConsumerOptions> = {}) => resolveConsumerOptions('W', { queue: 'w', ...o });

/** A broker that holds `existing` queues (name -> arguments) and refuses, as RabbitMQ does, a declare whose arguments differ. */
function broker(existing: Record<string, Record<string, unknown>>) {
  const declares: Array<[string, Record<string, unknown>]> = [];
  const createChannel = async () =>
    ({
      on: () => undefined,
      close: async () => undefined,
      assertQueue: async (name: string, o: { arguments: Record<string, unknown> }) => {
        declares.push([name, o.arguments]);
        const have = existing[name];
        if (have !== undefined && JSON.stringify(have) !== JSON.stringify(o.arguments)) {
          throw Object.assign(new Error('PRECONDITION_FAILED - inequivalent arg'), { code: 406 });
        }
        existing[name] ??= o.arguments;
      },
    }) as unknown as Channel;
  return { declares, createChannel };
}

describe("a consumer's retry queues and DLQ", () => {
  it('are quorum for a quorum consumer: expiry back to the work queue at-least-once', () => {
    assert.deepEqual(retryQueueArguments('w', 500, 'quorum'), {
      'x-message-ttl': 500,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'w',
      'x-queue-type': 'quorum',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    assert.deepEqual(deadLetterQueueArguments('quorum'), { 'x-queue-type': 'quorum' });
  });

  it('are declared as before for a classic consumer', () => {
    assert.deepEqual(retryQueueArguments('w', 500), {
      'x-message-ttl': 500,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'w',
    });
    assert.deepEqual(deadLetterQueueArguments(), {});
  });

  it('x-single-active-consumer goes on the work queue only', () => {
    const sac = options({ queueType: 'quorum', singleActiveConsumer: true });
    assert.equal(workQueueArguments(sac)['x-single-active-consumer'], true);
    assert.equal('x-single-active-consumer' in workQueueArguments(options({ queueType: 'quorum' })), false);
  });
});

describe('AuxiliaryQueues', () => {
  const find = (aux: AuxiliaryQueues, name: string) => aux.find(name, (type) => retryQueueArguments('w', 500, type));

  it('a new queue of a quorum consumer is quorum, found once', async () => {
    const b = broker({});
    const kept: string[] = [];
    const aux = new AuxiliaryQueues(options({ queueType: 'quorum' }), { createChannel: b.createChannel, keptClassic: (q) => kept.push(q) });
    await find(aux, 'w.retry.500');
    await find(aux, 'w.retry.500');
    assert.equal(aux.typeOf('w.retry.500'), 'quorum');
    assert.equal(b.declares.length, 1);
    assert.deepEqual(kept, []);
  });

  it('a classic one an earlier Warren made is kept, and said once', async () => {
    const b = broker({ 'w.retry.500': retryQueueArguments('w', 500) });
    const kept: string[] = [];
    const aux = new AuxiliaryQueues(options({ queueType: 'quorum' }), { createChannel: b.createChannel, keptClassic: (q) => kept.push(q) });
    await find(aux, 'w.retry.500');
    await find(aux, 'w.retry.500');
    assert.equal(aux.typeOf('w.retry.500'), 'classic');
    assert.deepEqual(kept, ['w.retry.500']);
    aux.forget();
    assert.equal(aux.typeOf('w.retry.500'), 'quorum', 'after forget(), the consumer’s own type until found again');
  });

  it('a queue that matches neither declare: the quorum refusal is the error', async () => {
    const b = broker({ 'w.retry.500': { 'x-message-ttl': 9 } });
    const aux = new AuxiliaryQueues(options({ queueType: 'quorum' }), { createChannel: b.createChannel, keptClassic: () => undefined });
    await assert.rejects(find(aux, 'w.retry.500'), (e: unknown) => (e as { code?: number }).code === 406);
    assert.equal(b.declares.length, 2);
  });

  it('a classic consumer never looks', async () => {
    const b = broker({});
    const aux = new AuxiliaryQueues(options(), { createChannel: b.createChannel, keptClassic: () => undefined });
    await find(aux, 'w.retry.500');
    assert.equal(b.declares.length, 0);
    assert.equal(aux.typeOf('w.retry.500'), 'classic');
  });
});
