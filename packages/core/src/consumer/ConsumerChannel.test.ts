import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
import { resolveConsumerOptions } from '../options/resolveConsumerOptions.js';
import { ConsumerChannel } from './ConsumerChannel.js';

/**
 * The ack and nack frames ConsumerChannel writes, against a stand-in for amqplib's channel that
 * records them (the broker-level proof is test/consumer/ackBatching.test.ts). The rule: no ack
 * ever covers a delivery that is still unsettled or that is being nacked.
 */
async function opened(): Promise<{ channel: ConsumerChannel; deliver: (tag: number) => ReceivedMessage; frames: string[] }> {
  const frames: string[] = [];
  let onMessage: ((m: unknown) => void) | undefined;
  const declared = async () => ({ queue: 'q', messageCount: 0, consumerCount: 0 });
  const amqp = {
    on: () => undefined,
    connection: { serverProperties: {} },
    consume: async (_q: string, fn: (m: unknown) => void) => {
      onMessage = fn;
      return { consumerTag: 'ctag' };
    },
    ack: (m: ReceivedMessage, multiple?: boolean) => frames.push(`ack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}`),
    nack: (m: ReceivedMessage, _multiple: boolean, requeue: boolean) =>
      frames.push(`nack ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
    close: async () => undefined,
  };
  // Every other channel method (declares, bindings, qos) answers as the broker would.
  const stand = new Proxy(amqp, { get: (t, k) => (k === 'then' ? undefined : k in t ? t[k as keyof typeof t] : declared) });
  const connection = { createChannel: async () => stand } as unknown as ConnectionManager;
  const options = resolveConsumerOptions('Batched', { queue: 'q', prefetch: 10 });
  const channel = new ConsumerChannel(connection, options, { closed() {}, cancelled() {}, failed() {}, keptClassic() {} });
  assert.equal(await channel.open([], () => true), true);
  await channel.consume(() => undefined);
  const deliver = (tag: number): ReceivedMessage => {
    const m = { fields: { deliveryTag: tag }, properties: { messageId: `m${tag}` } } as unknown as ReceivedMessage;
    onMessage?.(m);
    return m;
  };
  return { channel, deliver, frames };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Past the iteration an ack decided now is written at: its setImmediate is queued after one asked for now. */
const written = async (): Promise<void> => {
  await turn();
  await turn();
};

describe('ConsumerChannel ack batching', () => {
  it('acks of one turn that leave nothing unsettled go as one multiple ack, at the end of its microtasks', async () => {
    const { channel, deliver, frames } = await opened();
    const [m1, m2, m3] = [1, 2, 3].map(deliver);
    const g = channel.generation;
    channel.settle(m2 as ReceivedMessage, g, 'ack');
    channel.settle(m1 as ReceivedMessage, g, 'ack');
    channel.settle(m3 as ReceivedMessage, g, 'ack');
    assert.deepEqual(frames, [], 'nothing written inside the turn');
    await Promise.resolve();
    await Promise.resolve();
    // Written at the end of the turn's microtasks: before amqplib's own setImmediate puts frames on the socket.
    assert.deepEqual(frames, ['ack 3 multiple']);
  });

  it('while other deliveries still run, acks of several turns of one event-loop iteration go together at its end', async () => {
    const { channel, deliver, frames } = await opened();
    const [m1, m2, m3] = [1, 2, 3].map(deliver);
    deliver(4);
    const g = channel.generation;
    // Two handlers ending in two timer callbacks of one phase, each a turn of its own.
    await new Promise<void>((resolve) => {
      setTimeout(() => channel.settle(m1 as ReceivedMessage, g, 'ack'), 0);
      setTimeout(() => {
        assert.deepEqual(frames, [], "the first turn's ack waits: three deliveries still run");
        channel.settle(m2 as ReceivedMessage, g, 'ack');
        resolve();
      }, 0);
    });
    await Promise.resolve();
    assert.deepEqual(frames, []);
    await turn();
    assert.deepEqual(frames, ['ack 2 multiple'], 'one frame for both, at the end of the iteration');
    channel.settle(m3 as ReceivedMessage, g, 'ack');
    await written();
    assert.deepEqual(frames, ['ack 2 multiple', 'ack 3']);
  });

  it('an ack above a delivery still running goes alone', async () => {
    const { channel, deliver, frames } = await opened();
    const [m1, , m3] = [1, 2, 3].map(deliver);
    const g = channel.generation;
    channel.settle(m1 as ReceivedMessage, g, 'ack');
    channel.settle(m3 as ReceivedMessage, g, 'ack');
    await written();
    // Each alone (their order does not matter: they name different tags).
    assert.deepEqual(frames.sort(), ['ack 1', 'ack 3']);
  });

  it('a nack in the same turn is never covered by a multiple ack of the acks before it', async () => {
    const { channel, deliver, frames } = await opened();
    const [m1, m2, m3] = [1, 2, 3].map(deliver);
    deliver(4);
    const g = channel.generation;
    channel.settle(m2 as ReceivedMessage, g, 'ack');
    channel.settle(m3 as ReceivedMessage, g, 'ack');
    channel.settle(m1 as ReceivedMessage, g, 'requeue');
    await turn();
    assert.deepEqual(frames, ['ack 2', 'ack 3', 'nack 1 requeue']);
  });

  it('acks decided before close are written before the channel closes', async () => {
    const { channel, deliver, frames } = await opened();
    const m1 = deliver(1);
    channel.settle(m1, channel.generation, 'ack');
    await channel.close();
    assert.deepEqual(frames, ['ack 1']);
  });
});
