/** The body of an `orders.placed` message, as the shop publishes it. */
export interface OrderPlaced {
  id: string;
  customerId: string;
  amountCents: number;
  currency: string;
  placedAt: string;
}

/** The body of an `orders.charged` message: the event this app publishes once billing succeeded. */
export interface OrderCharged {
  orderId: string;
  chargeId: string;
  amountCents: number;
  currency: string;
  chargedAt: string;
}
