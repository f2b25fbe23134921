import { InvalidPublishError } from '../errors/publishErrors.js';
import type { PublishOptions } from './PublisherOptions.js';

/** RabbitMQ's largest per-message TTL (10 years); a larger `expiration` closes the channel with a 406. */
export const MAX_EXPIRATION_MS = 315_360_000_000;

/**
 * Checks the target and the scalar options of a publish, and throws InvalidPublishError naming
 * the option and its value. What the broker refuses (a bad `expiration`) closes the confirm
 * channel shared by every publish in flight; what amqplib refuses would fail only at write time,
 * after the message was accepted; a NaN `timeoutMs` would make a deadline that never passes.
 * Each check is skipped when its option is absent, so a publish without options pays for two
 * string lengths. Headers are checked apart (headerFrame.ts), only when there are some.
 */
export function checkPublish(exchange: string, routingKey: string, options: PublishOptions): void {
  checkShortString('exchange name', exchange);
  checkShortString('routing key', routingKey);
  const { expiration, timeoutMs, priority, timestamp } = options;
  if (expiration !== undefined && !isExpiration(expiration)) {
    throw invalid(
      'option expiration',
      `must be a whole number of milliseconds from 0 to ${MAX_EXPIRATION_MS} (a number or a string of digits)`,
      expiration,
    );
  }
  if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0)) {
    throw invalid('option timeoutMs', 'must be a positive whole number of milliseconds', timeoutMs);
  }
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 0 && priority <= 255)) {
    throw invalid('option priority', 'must be a whole number from 0 to 255', priority);
  }
  if (timestamp !== undefined && !(Number.isSafeInteger(timestamp) && timestamp >= 0)) {
    throw invalid('option timestamp', 'must be a whole, non-negative number of seconds since the epoch', timestamp);
  }
  // Properties amqplib writes as AMQP short strings: at most 255 UTF-8 bytes, or it throws at
  // write time. One read each, not a loop over their names: this runs on every publish.
  const { messageId, correlationId, replyTo, type, appId, contentType, contentEncoding } = options;
  if (messageId !== undefined) checkShortString('option messageId', messageId);
  if (correlationId !== undefined) checkShortString('option correlationId', correlationId);
  if (replyTo !== undefined) checkShortString('option replyTo', replyTo);
  if (type !== undefined) checkShortString('option type', type);
  if (appId !== undefined) checkShortString('option appId', appId);
  if (contentType !== undefined) checkShortString('option contentType', contentType);
  if (contentEncoding !== undefined) checkShortString('option contentEncoding', contentEncoding);
}

/** RabbitMQ parses `expiration` as a non-negative integer string; "1.5", "1e3", "", " 5" and "-1" close the channel. */
function isExpiration(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_EXPIRATION_MS;
  return typeof value === 'string' && /^\d{1,12}$/.test(value) && Number(value) <= MAX_EXPIRATION_MS;
}

function checkShortString(what: string, value: unknown): void {
  // A string of at most 85 UTF-16 units is at most 255 UTF-8 bytes: most skip the byte count.
  if (typeof value === 'string' && (value.length <= 85 || Buffer.byteLength(value) <= 255)) return;
  const got = typeof value === 'string' ? `${Buffer.byteLength(value)} bytes` : describeValue(value);
  throw new InvalidPublishError(`publish ${what} must be a string of at most 255 UTF-8 bytes, got ${got}`);
}

function invalid(what: string, rule: string, value: unknown): InvalidPublishError {
  return new InvalidPublishError(`publish ${what} ${rule}, got ${describeValue(value)}`);
}

/** A value as an error message shows it: strings quoted and cut short, numbers as they print (NaN, Infinity). */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} chars)` : JSON.stringify(value);
    case 'bigint':
      return `BigInt ${value}n`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'an array';
      return `an object (${(value as { constructor?: { name?: string } }).constructor?.name ?? 'no prototype'})`;
    default:
      return `a ${typeof value}`;
  }
}
