import type { Channel, GetMessage } from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { propertiesOf } from '../consumer/copies.js';
import type { RepublishOptions } from '../consumer/Republisher.js';
import { UnroutableError } from '../errors/publishErrors.js';
import { TopologyError } from '../errors/WarrenError.js';
import { HEADER } from '../message/headers.js';
import type { MessageProperties } from '../message/MessageContext.js';
import type { Publisher } from '../publisher/Publisher.js';
import { deadLetterQueueName } from '../topology/names.js';

/** Why one message was dead-lettered, as its headers tell. */
export interface DeadLetterInfo {
  messageId: string | undefined;
  reason: string | undefined;
  error: string | undefined;
  errorMessage: string | undefined;
  attempt: number | undefined;
  consumer: string | undefined;
  deadLetteredAt: string | undefined;
  /** The broker's own reason (x-death), for messages dead-lettered by the queue itself. */
  brokerReason: string | undefined;
  bytes: number;
}

export interface DeadLetterSummary {
  queue: string;
  deadLetterQueue: string;
  count: number;
  /** The newest `last` messages (of the first `scanned`), oldest first. */
  recent: DeadLetterInfo[];
  scanned: number;
}

/**
 * Headers Warren wrote for a failure; a replay strips them so the message starts afresh. The
 * deadline goes too: a replay is an operator's fresh start, not a late answer to the first caller.
 */
const FAILURE_HEADERS = [
  HEADER.attempt,
  HEADER.redeliveries,
  HEADER.deadline,
  HEADER.reason,
  HEADER.error,
  HEADER.errorMessage,
  HEADER.errorCode,
  HEADER.issues,
  HEADER.deadLetteredAt,
  HEADER.firstFailureAt,
  HEADER.consumer,
  HEADER.queue,
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-delivery-count',
];

async function openChannel(connection: ConnectionManager, dlq: string): Promise<{ channel: Channel; count: number }> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    const { messageCount } = await channel.checkQueue(dlq);
    return { channel, count: messageCount };
  } catch (error) {
    throw new TopologyError(`there is no dead-letter queue "${dlq}" (is "${dlq.replace(/\.dlq$/, '')}" a Warren consumer's queue?)`, {
      cause: error,
    });
  }
}

function infoOf(m: GetMessage): DeadLetterInfo {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
  const death = Array.isArray(h['x-death']) ? (h['x-death'][0] as Record<string, unknown> | undefined) : undefined;
  return {
    messageId: str(m.properties.messageId),
    reason: str(h[HEADER.reason]),
    error: str(h[HEADER.error]),
    errorMessage: str(h[HEADER.errorMessage]),
    attempt: typeof h[HEADER.attempt] === 'number' ? (h[HEADER.attempt] as number) : undefined,
    consumer: str(h[HEADER.consumer]),
    deadLetteredAt: str(h[HEADER.deadLetteredAt]),
    brokerReason: str(death?.reason),
    bytes: m.content.length,
  };
}

/**
 * Counts a queue's dead letters and reads the reasons of the newest `last` of them. Reading
 * takes the messages without acking them and then returns them all (in order) to the queue,
 * so it moves nothing; it scans at most `scanLimit` messages.
 */
export async function inspectDeadLetters(
  connection: ConnectionManager,
  queue: string,
  last = 10,
  scanLimit = 10_000,
): Promise<DeadLetterSummary> {
  const dlq = deadLetterQueueName(queue);
  const { channel, count } = await openChannel(connection, dlq);
  const recent: DeadLetterInfo[] = [];
  let scanned = 0;
  try {
    while (scanned < Math.min(count, scanLimit)) {
      const m = await channel.get(dlq, { noAck: false });
      if (m === false) break;
      scanned++;
      recent.push(infoOf(m));
      if (recent.length > last) recent.shift();
    }
    channel.nackAll(true);
  } finally {
    await channel.close().catch(() => undefined);
  }
  return { queue, deadLetterQueue: dlq, count, recent, scanned };
}

export interface ReplayOptions {
  /** Move at most this many. Default: all that are there when the replay starts. */
  limit?: number;
  /** Messages per second at most. Default: as fast as confirms come. */
  ratePerSec?: number;
  /** Stops after the message in hand (which is finished: moved, or left in the DLQ). */
  signal?: AbortSignal;
  onProgress?: (moved: number, total: number) => void;
}

/**
 * Moves dead letters back to the work queue with their failure headers and attempt count
 * stripped. Each one is published with a confirm, then acked in the DLQ: interrupted at any
 * point, a message is in the DLQ, in the work queue, or (at worst, one) in both; never lost.
 */
export async function replayDeadLetters(
  connection: ConnectionManager,
  publisher: Publisher,
  queue: string,
  options: ReplayOptions = {},
): Promise<{ moved: number; remaining: number }> {
  const dlq = deadLetterQueueName(queue);
  const { channel, count } = await openChannel(connection, dlq);
  const total = Math.min(count, options.limit ?? count);
  const started = Date.now();
  let moved = 0;
  try {
    while (moved < total && options.signal?.aborted !== true) {
      if (options.ratePerSec !== undefined && options.ratePerSec > 0) {
        const due = started + (moved * 1000) / options.ratePerSec;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      const m = await channel.get(dlq, { noAck: false });
      if (m === false) break;
      // mandatory: if the work queue is gone, fail here and leave the message in the DLQ.
      try {
        await publisher.send(queue, m.content, { ...replayOptions(m), mandatory: true });
      } catch (error) {
        if (error instanceof UnroutableError) {
          throw new TopologyError(
            `the work queue "${queue}" does not exist (unroutable): replay stopped after ${moved} message(s); the rest stay in ${dlq}`,
            { cause: error },
          );
        }
        throw error;
      }
      channel.ack(m);
      moved++;
      options.onProgress?.(moved, total);
    }
    const { messageCount } = await channel.checkQueue(dlq);
    return { moved, remaining: messageCount };
  } finally {
    await channel.close().catch(() => undefined);
  }
}

function replayOptions(m: GetMessage): RepublishOptions {
  const p = m.properties;
  const headers: Record<string, unknown> = { ...(p.headers as Record<string, unknown> | undefined) };
  for (const h of FAILURE_HEADERS) delete headers[h];
  headers[HEADER.replayedAt] = new Date().toISOString();
  return propertiesOf(p as MessageProperties, headers);
}

/** Deletes every message in a queue's DLQ; returns how many. */
export async function purgeDeadLetters(connection: ConnectionManager, queue: string): Promise<number> {
  const dlq = deadLetterQueueName(queue);
  const { channel } = await openChannel(connection, dlq);
  try {
    return (await channel.purgeQueue(dlq)).messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}
