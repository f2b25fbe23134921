/**
 * The Settler's own bookkeeping, with a stand-in channel: a plain ack is carried out at once (no
 * promise), a stale one is only counted, a settle that throws still reaches the broker as a
 * requeue, and a second settle is refused. What reaches a real broker is tested in test/failures.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { WarrenEvents } from '../events/events.js';
import { TypedEvents } from '../events/TypedEvents.js';
import { createLogger } from '../logging/logger.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';
import type { ConsumerChannel } from './ConsumerChannel.js';
import { Delivery } from './Delivery.js';
import { InFlight } from './InFlight.js';
import { InterruptedDeliveries } from './InterruptedDeliveries.js';
import type { Republisher } from './Republisher.js';
import { Settler } from './Settler.js';

const LIVE = 2;

interface Kit {
  settler: Settler;
  inFlight: InFlight;
  /** What reached the channel, in order. */
  brokerCalls: string[];
  /** Each 'settled' event as [action, settledOnBroker]. */
  told: Array<[string, boolean]>;
  /** Messages of the lines logged at error level. */
  errors: string[];
  delivery(generation?: number): Delivery;
}

function kit(options: { throwOnAck?: boolean } = {}): Kit {
  const brokerCalls: string[] = [];
  const channel = {
    isLive: (generation: number) => generation === LIVE,
    settle: (_m: ReceivedMessage, _g: number, how: string) => {
      if (how === 'ack' && options.throwOnAck === true) throw new Error('channel bug');
      brokerCalls.push(how);
      return true;
    },
  } as unknown as ConsumerChannel;
  const errors: string[] = [];
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString()) as { level: number; msg: string };
      if (line.level >= 50) errors.push(line.msg);
      done();
    },
  });
  const log = createLogger({ level: 'error' }, lines);
  const events = new TypedEvents<WarrenEvents>();
  const told: Array<[string, boolean]> = [];
  events.on('settled', (_consumer, outcome, _ms, onBroker) => told.push([outcome.action, onBroker]));
  const stopped = new AbortController();
  stopped.abort(); // the bug path's 1 s pause is cut short, as at shutdown
  const inFlight = new InFlight();
  const settler = new Settler({
    options: {
      name: 'c',
      queue: 'q',
      retry: { delaysMs: [] },
      singleActiveConsumer: false,
      deadLetter: true,
    } as unknown as ResolvedConsumerOptions,
    channel,
    republisher: {} as Republisher,
    inFlight,
    interrupted: new InterruptedDeliveries(10),
    events,
    log,
    stopSignal: stopped.signal,
  });
  let tag = 0;
  const delivery = (generation = LIVE): Delivery => {
    const message = { fields: { deliveryTag: ++tag, redelivered: false }, properties: { headers: {} }, content: Buffer.from('{}') };
    const d = new Delivery(message as unknown as ReceivedMessage, generation, 'c', 'q', 1, log);
    inFlight.add(d);
    return d;
  };
  return { settler, inFlight, brokerCalls, told, errors, delivery };
}

describe('Settler', () => {
  it('carries out a plain ack at once: no promise, acked, told, out of flight', () => {
    const k = kit();
    const d = k.delivery();
    assert.equal(k.settler.settle(d, { action: 'ack' }, undefined), undefined);
    assert.deepEqual(k.brokerCalls, ['ack']);
    assert.equal(k.settler.counts.acked, 1);
    assert.deepEqual(k.told, [['ack', true]]);
    assert.equal(k.inFlight.size, 0);
    assert.equal(d.settled, true);
  });

  it('only counts the ack of a delivery whose channel is gone (the broker requeued it)', () => {
    const k = kit();
    const d = k.delivery(LIVE - 1);
    assert.equal(k.settler.settle(d, { action: 'ack' }, undefined), undefined);
    assert.deepEqual(k.brokerCalls, []);
    assert.deepEqual(k.settler.counts, { ...k.settler.counts, acked: 0, unsettleable: 1 });
    assert.deepEqual(k.told, [['ack', false]]);
    assert.equal(k.inFlight.size, 0);
  });

  it('requeues a delivery whose ack threw, logs the bug, and finishes it once', async () => {
    const k = kit({ throwOnAck: true });
    const d = k.delivery();
    const settling = k.settler.settle(d, { action: 'ack' }, undefined);
    assert.ok(settling instanceof Promise);
    await settling;
    assert.deepEqual(k.brokerCalls, ['requeue']);
    assert.deepEqual(d.carriedOut, { action: 'requeue' });
    assert.deepEqual(k.errors, ['bug: settling failed; requeueing']);
    assert.deepEqual(k.told, [['requeue', true]]);
    assert.equal(k.inFlight.size, 0);
  });

  it('refuses a second settle of one delivery, and does nothing more', async () => {
    const k = kit();
    const d = k.delivery();
    k.settler.settle(d, { action: 'ack' }, undefined);
    await k.settler.settle(d, { action: 'ack' }, undefined);
    await k.settler.settle(d, { action: 'dead-letter', reason: 'exhausted' }, new Error('x'));
    assert.deepEqual(k.brokerCalls, ['ack']);
    assert.equal(k.settler.counts.acked, 1);
    assert.deepEqual(k.errors, ['bug: second settle of one delivery refused', 'bug: second settle of one delivery refused']);
    assert.equal(k.told.length, 1);
  });
});
