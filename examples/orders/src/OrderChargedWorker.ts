import 'reflect-metadata';
import { Consumer, type MessageContext, Worker } from '@warren/core';
import type { OrderCharged } from './orders.js';

/**
 * The next stage of the pipeline: consumes `orders.charged` (declaring that queue, so the
 * events the first stage sends have somewhere to go). A real app would email a receipt here,
 * keyed by chargeId so that a duplicate event sends no second email; this one counts.
 */
@Consumer({ queue: 'orders.charged', prefetch: 50 })
export class OrderChargedWorker extends Worker<OrderCharged> {
  #total = 0;

  async handle(event: OrderCharged, ctx: MessageContext<OrderCharged>): Promise<void> {
    this.#total++;
    // A progress line now and then, not one per message.
    if (this.#total % 500 === 0) ctx.log.info({ charged: this.#total, last: event.orderId }, 'charge events received so far');
  }
}
