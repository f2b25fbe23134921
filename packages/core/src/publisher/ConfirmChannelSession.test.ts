import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { IllegalOperationError } from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { ChannelClosingError, ConfirmChannelSession, type OutgoingMessage } from './ConfirmChannelSession.js';
import { AMQPLIB_FRAME_MAX } from './headerFrame.js';

/** What the session uses of an amqplib ConfirmChannel. */
class FakeChannel extends EventEmitter {
  connection: { frameMax?: number } = { frameMax: 8192 };
  written: string[] = [];
  /** What the next publish() returns, or throws. */
  next: boolean | Error = true;
  close: () => Promise<void> = async () => undefined;

  publish(_exchange: string, routingKey: string): boolean {
    if (this.next instanceof Error) throw this.next;
    this.written.push(routingKey);
    return this.next;
  }
}

type AmqpChannel = ConstructorParameters<typeof ConfirmChannelSession>[0];
function session(generation = 1): { ch: FakeChannel; s: ConfirmChannelSession; seen: string[] } {
  const ch = new FakeChannel();
  const s = new ConfirmChannelSession(ch as unknown as AmqpChannel, generation);
  const seen: string[] = [];
  s.events.on('ack', (tag, multiple) => seen.push(`ack ${tag}${multiple ? '*' : ''}`));
  s.events.on('nack', (tag, multiple) => seen.push(`nack ${tag}${multiple ? '*' : ''}`));
  s.events.on('return', (m) => seen.push(`return ${m.messageId} ${m.exchange}/${m.routingKey} ${m.replyCode} ${m.replyText}`));
  s.events.on('drain', () => seen.push('drain'));
  s.events.on('closed', (error) => seen.push(`closed ${error?.message ?? '-'}`));
  return { ch, s, seen };
}

const message = (routingKey: string, headerFrameBytes = 0): OutgoingMessage => ({
  exchange: '',
  routingKey,
  content: Buffer.from('x'),
  properties: {},
  headerFrameBytes,
});

describe('ConfirmChannelSession', () => {
  it("turns amqplib's ack, nack, return and drain into typed events", () => {
    const { ch, seen } = session();
    ch.emit('ack', { deliveryTag: 3, multiple: false });
    ch.emit('nack', { deliveryTag: 5, multiple: true, requeue: false });
    ch.emit('return', {
      fields: { exchange: 'orders', routingKey: 'nowhere', replyCode: 312, replyText: 'NO_ROUTE' },
      properties: { messageId: 'm1' },
      content: Buffer.from('x'),
    });
    ch.emit('drain');
    assert.deepEqual(seen, ['ack 3', 'nack 5*', 'return m1 orders/nowhere 312 NO_ROUTE', 'drain']);
  });

  it("reports 'closed' once, with the error amqplib gave before the close, and nothing after it", () => {
    const { ch, s, seen } = session();
    ch.emit('error', new Error('404 NOT_FOUND'));
    ch.emit('close');
    ch.emit('close');
    ch.emit('ack', { deliveryTag: 1, multiple: false });
    assert.deepEqual(seen, ['closed 404 NOT_FOUND']);
    assert.equal(s.live, false);
  });

  it("a channel of an older connection is reported closed on the new one's generation; a late ack of it is dropped", () => {
    const { ch, s, seen } = session(3);
    s.expireBefore(3);
    assert.deepEqual(seen, []);
    s.expireBefore(4);
    ch.emit('ack', { deliveryTag: 1, multiple: true });
    ch.emit('close');
    assert.deepEqual(seen, ['closed -']);
  });

  it('retire() and close() silence it; close() waits at most its limit for a channel that never answers', async () => {
    const retired = session();
    retired.s.retire();
    retired.ch.emit('ack', { deliveryTag: 1, multiple: false });
    retired.ch.emit('close');
    assert.deepEqual(retired.seen, []);

    const hung = session();
    hung.ch.close = () => new Promise<void>(() => undefined);
    const started = performance.now();
    await hung.s.close(30);
    assert.ok(performance.now() - started < 1000);
    hung.ch.emit('close');
    assert.deepEqual(hung.seen, []);
  });

  it("publish() returns amqplib's flushed flag", () => {
    const { ch, s } = session();
    assert.equal(s.publish(message('a')), true);
    ch.next = false;
    assert.equal(s.publish(message('b')), false);
    assert.deepEqual(ch.written, ['a', 'b']);
  });

  it('publish() on a closing channel throws ChannelClosingError; an encoding failure, InvalidPublishError', () => {
    const { ch, s } = session();
    ch.next = new IllegalOperationError('Channel closed');
    assert.throws(() => s.publish(message('a')), ChannelClosingError);
    ch.next = new RangeError('offset out of range');
    assert.throws(
      () => s.publish(message('b')),
      (e: unknown) => e instanceof InvalidPublishError && /cannot be encoded/.test(e.message),
    );
  });

  it("refuses a header frame over its connection's frame_max without writing it", () => {
    const { ch, s } = session();
    assert.equal(s.frameMax, 8192);
    assert.throws(
      () => s.publish(message('big', 8193)),
      (e: unknown) => e instanceof InvalidPublishError && /frame_max of 8192/.test(e.message),
    );
    assert.equal(s.publish(message('fits', 8192)), true);
    assert.deepEqual(ch.written, ['fits']);
  });

  it("opens on the connection's current generation, with amqplib's frame_max when none was negotiated", async () => {
    const ch = new FakeChannel();
    ch.connection = {};
    const conn = { generation: 7, createConfirmChannel: async () => ch } as unknown as ConnectionManager;
    const s = await ConfirmChannelSession.open(conn);
    assert.equal(s.generation, 7);
    assert.equal(s.frameMax, AMQPLIB_FRAME_MAX);
  });
});
