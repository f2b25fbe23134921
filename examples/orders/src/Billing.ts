import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { injectable } from 'inversify';
import type { OrderPlaced } from './orders.js';

/** The payment gateway did not answer in time: worth trying again later. */
export class PaymentGatewayUnavailableError extends Error {
  override readonly name = 'PaymentGatewayUnavailableError';
}

export interface Charge {
  chargeId: string;
  chargedAt: string;
}

/**
 * A stand-in for a payment gateway client, with a real one's manners: usually quick (20–80 ms),
 * sometimes slow (300–800 ms), now and then unavailable. It honours the caller's AbortSignal, so
 * a deadline or a shutdown stops the wait instead of leaking it.
 */
@injectable()
export class Billing {
  /** Chance that a call is slow. */
  slowRate = 0.05;
  /** Chance that a call fails with a transient error. */
  failureRate = 0.03;

  async charge(order: OrderPlaced, { signal }: { signal: AbortSignal }): Promise<Charge> {
    const slow = Math.random() < this.slowRate;
    const latencyMs = slow ? between(300, 800) : between(20, 80);
    await sleep(latencyMs, undefined, { signal });
    if (Math.random() < this.failureRate) {
      throw new PaymentGatewayUnavailableError(`payment gateway timed out charging order ${order.id}`);
    }
    return { chargeId: randomUUID(), chargedAt: new Date().toISOString() };
  }
}

function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
