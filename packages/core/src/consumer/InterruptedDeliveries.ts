import { createHash } from 'node:crypto';
import type { ReceivedMessage } from '../message/MessageContext.js';
import type { Interruption } from './redelivery.js';

/**
 * How a message is known again when the broker redelivers it: its messageId, or for a foreign
 * producer's message without one, a hash of its body (computed only on these rare paths).
 */
export function identityOf(message: Pick<ReceivedMessage, 'properties' | 'content'>): string {
  const id = message.properties.messageId as unknown;
  return typeof id === 'string' && id !== '' ? identityOfId(id) : `sha1:${createHash('sha1').update(message.content).digest('base64')}`;
}

/** The identity of a message with this (non-empty) messageId. */
export function identityOfId(messageId: string): string {
  return `id:${messageId}`;
}

/**
 * Message ids this process had in flight when it lost their channel, and whether their handler
 * had started. When the broker redelivers one, the process knows the redelivery was a blip, not a
 * crash, and does not spend an attempt on a message that never ran. Bounded: the oldest entries
 * are forgotten first (a forgotten one is counted as any redelivery is: safe, merely stricter).
 */
export class InterruptedDeliveries {
  readonly #entries = new Map<string, Interruption>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#entries.size;
  }

  remember(id: string, how: Interruption): void {
    // 'started' wins: a message whose handler ran when one channel died is not innocent for the next.
    const known = this.#entries.get(id);
    this.#entries.delete(id);
    this.#entries.set(id, known === 'started' ? known : how);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** What is remembered of `id`, forgetting it: one memory covers one redelivery. */
  take(id: string): Interruption | undefined {
    if (this.#entries.size === 0) return undefined;
    const how = this.#entries.get(id);
    if (how !== undefined) this.#entries.delete(id);
    return how;
  }
}
