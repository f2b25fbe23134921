import 'reflect-metadata';
import { Consumer, type MessageContext, Publisher, Reject, Worker } from '@warren/core';
import { inject } from 'inversify';
import { Billing } from './Billing.js';
import type { OrderCharged, OrderPlaced } from './orders.js';

/**
 * Charges each placed order, then announces it on `orders.charged`.
 *
 * prefetch 20 / concurrency 10: at most 20 orders are taken off the queue (unacked) and 10 are
 * being charged; while billing is slow, the rest wait in RabbitMQ, not in this process.
 * A gateway failure retries after 0.5 s, then 2 s; the third failure dead-letters the order.
 */
@Consumer({
  queue: 'orders.placed',
  prefetch: 20,
  concurrency: 10,
  retry: { attempts: 3, delayMs: [500, 2000] },
  timeoutMs: 10_000,
})
export class OrderPlacedWorker extends Worker<OrderPlaced> {
  constructor(
    @inject(Billing) private readonly billing: Billing,
    @inject(Publisher) private readonly publisher: Publisher,
  ) {
    super();
  }

  async handle(order: OrderPlaced, ctx: MessageContext<OrderPlaced>): Promise<void> {
    // No retry can fix a malformed order: dead-letter it now, with the reason in its headers.
    if (typeof order?.id !== 'string' || !Number.isInteger(order.amountCents) || order.amountCents <= 0) {
      throw new Reject(`order ${String(order?.id)}: amountCents must be a positive integer`);
    }
    const charge = await this.billing.charge(order, { signal: ctx.signal });
    const event: OrderCharged = {
      orderId: order.id,
      chargeId: charge.chargeId,
      amountCents: order.amountCents,
      currency: order.currency,
      chargedAt: charge.chargedAt,
    };
    // Resolves on the broker's confirm; only then does returning ack the order, so a crash in
    // between can duplicate the event (the consumer below is idempotent by chargeId) but never lose it.
    // With ctx.signal, a publish held back (a blocked broker) past this attempt's deadline is
    // dropped, never sent: the order is retried or dead-lettered, not also announced as charged.
    await this.publisher.send('orders.charged', event, { correlationId: order.id, signal: ctx.signal });
    if (ctx.attempt > 1) ctx.log.info({ orderId: order.id, attempt: ctx.attempt }, 'order charged after a retry');
  }
}
