import type { Channel } from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { withSideChannel } from '../consumer/ConsumerChannel.js';

/** The broker refused one call and closed its channel: 404 NOT_FOUND, 403 ACCESS_REFUSED, 405 RESOURCE_LOCKED, 406 PRECONDITION_FAILED. */
export interface Refusal {
  code: number;
  /** The broker's text (`NOT_FOUND - no queue 'x' in vhost '/'`): names, never a password. */
  text: string;
}

const CHANNEL_REFUSALS = new Set([403, 404, 405, 406]);

/**
 * Runs one broker call on a channel of its own, so a refusal, which closes the channel, costs
 * only that channel; the refusal comes back as a value. Anything else (the connection lost) is
 * thrown. A refused declare changes nothing on the broker.
 */
export async function onOwnChannel<T>(connection: ConnectionManager, call: (channel: Channel) => Promise<T>): Promise<T | Refusal> {
  try {
    return await withSideChannel(connection, call);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number' || !CHANNEL_REFUSALS.has(code)) throw error;
    return { code, text: replyText((error as Error).message) };
  }
}

export function isRefusal(value: unknown): value is Refusal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Refusal).code === 'number' &&
    typeof (value as Refusal).text === 'string'
  );
}

/** amqplib's `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue ..."`: the quoted part. */
function replyText(message: string): string {
  const m = /with message "(.*)"$/s.exec(message);
  return m === null ? message : (m[1] as string);
}
