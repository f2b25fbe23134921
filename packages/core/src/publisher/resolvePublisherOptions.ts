import { resolveBrokerUrls } from '../connection/brokerUrl.js';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { ConfigError } from '../errors/WarrenError.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { describeValue } from './checkPublish.js';
import type { PublisherOptions } from './PublisherOptions.js';
import { DEFAULT_SAMPLE_EVERY_MS, type QueueLimit } from './QueueDepthLimits.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './serialize.js';

/** PublisherOptions with every default filled in and every value checked. */
export interface ResolvedPublisherOptions {
  /** The shared connection, or undefined when the publisher owns one to `urls`. */
  readonly connection: ConnectionManager | undefined;
  /** Checked broker URLs for an owned connection; undefined with a shared one. */
  readonly urls: readonly string[] | undefined;
  /** TLS settings for an owned connection (its ConnectionManager checks them, or reads WARREN_TLS_*). */
  readonly tls: PublisherOptions['tls'];
  readonly appName: string | undefined;
  readonly maxInFlight: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
  readonly blockedPolicy: 'wait' | 'fail-fast';
  readonly timeoutMs: number;
  readonly republishUnconfirmed: boolean;
  readonly shuffle: boolean;
  readonly closeGraceMs: number;
  readonly maxMessageBytes: number;
  /** Marks on destination queues, by queue name (empty: none). */
  readonly limits: ReadonlyMap<string, QueueLimit>;
  readonly logger: Logger;
}

const KNOWN_OPTIONS = new Set([
  'url',
  'urls',
  'tls',
  'connection',
  'appName',
  'maxInFlight',
  'maxBufferedMessages',
  'maxBufferedBytes',
  'blockedPolicy',
  'timeoutMs',
  'republishUnconfirmed',
  'shuffle',
  'closeGraceMs',
  'maxMessageBytes',
  'limits',
  'logger',
]);
const KNOWN_LIMIT_OPTIONS = new Set(['maxReady', 'policy', 'sampleEveryMs']);
/** Asking more often than the publisher's deadline sweep could not be kept to; a minute keeps a full queue from going unnoticed. */
const SAMPLE_EVERY_MS = { min: 50, max: 60_000 };
/** setTimeout's limit: a longer close grace would fire at once (Node clamps it to 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;
/** RabbitMQ's hard cap on max_message_size (512 MiB): a larger limit could never be met by the broker. */
const MAX_MESSAGE_BYTES_CAP = 536_870_912;

/**
 * Checks a publisher's options and fills in defaults. Throws a ConfigError naming the option,
 * so a bad one fails `createPublisher` (or `warren start`) before any connection opens. The
 * broker URL comes from `resolveBrokerUrls`, like everywhere else Warren takes one.
 */
export function resolvePublisherOptions(options: PublisherOptions, env: NodeJS.ProcessEnv = process.env): ResolvedPublisherOptions {
  const fail = (option: string, problem: string): never => {
    throw new ConfigError(`publisher: option "${option}" ${problem}`);
  };
  if (typeof options !== 'object' || options === null) fail('(options)', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) fail(key, `is not a known option (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  const int = (option: keyof PublisherOptions, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = options[option] === undefined ? fallback : options[option];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`;
      fail(option, `must be a whole number ${range}, got ${describeValue(value)}`);
    }
    return value as number;
  };

  const { connection, appName, logger, blockedPolicy = 'wait', shuffle = false } = options;
  let urls: readonly string[] | undefined;
  if (connection !== undefined) {
    // A URL next to a shared connection would be silently unused: say so instead.
    if (options.url !== undefined || options.urls !== undefined || options.tls !== undefined)
      fail('connection', 'brings its own broker: give "connection" or "url"/"urls"/"tls", not both');
    if (typeof connection !== 'object' || connection === null || typeof connection.createConfirmChannel !== 'function')
      fail('connection', `must be a started ConnectionManager, got ${describeValue(connection)}`);
  } else {
    urls = resolveBrokerUrls(options, env);
  }
  if (appName !== undefined && typeof appName !== 'string') fail('appName', `must be a string, got ${describeValue(appName)}`);
  if (logger !== undefined && typeof logger?.child !== 'function') fail('logger', 'must be a pino Logger');
  if (blockedPolicy !== 'wait' && blockedPolicy !== 'fail-fast')
    fail('blockedPolicy', `must be 'wait' or 'fail-fast', got ${describeValue(blockedPolicy)}`);
  // On a cluster a node going away (a rolling restart) is routine: re-send what it left unconfirmed
  // rather than fail every publish in flight. The confirm is the durable point (on a quorum queue:
  // a majority of its replicas have it), so a re-send can duplicate a message, never lose one.
  const brokers = urls?.length ?? connection?.addressCount ?? 1;
  const republishUnconfirmed = options.republishUnconfirmed ?? brokers > 1;
  if (typeof republishUnconfirmed !== 'boolean')
    fail('republishUnconfirmed', `must be true or false, got ${describeValue(republishUnconfirmed)}`);

  if (typeof shuffle !== 'boolean') fail('shuffle', `must be true or false, got ${describeValue(shuffle)}`);
  if (shuffle && connection !== undefined) fail('shuffle', 'has no effect with a shared "connection" (shuffle that connection\'s URLs)');

  return {
    connection,
    urls,
    tls: options.tls,
    shuffle,
    appName,
    maxInFlight: int('maxInFlight', 1000, 1),
    maxBufferedMessages: int('maxBufferedMessages', 10_000, 0),
    maxBufferedBytes: int('maxBufferedBytes', 64 * 1024 * 1024, 0),
    blockedPolicy,
    timeoutMs: int('timeoutMs', 30_000, 1),
    republishUnconfirmed,
    closeGraceMs: int('closeGraceMs', 5000, 0, MAX_TIMER_MS),
    maxMessageBytes: int('maxMessageBytes', DEFAULT_MAX_MESSAGE_BYTES, 1, MAX_MESSAGE_BYTES_CAP),
    limits: resolveLimits(options.limits, fail),
    logger: logger ?? silentLogger(),
  };
}

/** `limits: { [queue]: { maxReady, policy?, sampleEveryMs? } }`, each value checked; a message names `limits["queue"].option`. */
function resolveLimits(value: unknown, fail: (option: string, problem: string) => never): ReadonlyMap<string, QueueLimit> {
  const limits = new Map<string, QueueLimit>();
  if (value === undefined) return limits;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('limits', `must be an object of queue name -> { maxReady, policy?, sampleEveryMs? }, got ${describeValue(value)}`);
  for (const [queue, spec] of Object.entries(value as Record<string, unknown>)) {
    const at = `limits[${JSON.stringify(queue)}]`;
    // The default exchange routes by queue name: "" or a name over 255 bytes names no queue a publish can reach.
    if (queue === '' || Buffer.byteLength(queue) > 255) fail(at, 'must be keyed by a queue name of 1 to 255 bytes');
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
      fail(at, `must be { maxReady, policy?, sampleEveryMs? }, got ${describeValue(spec)}`);
    const s = spec as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!KNOWN_LIMIT_OPTIONS.has(key)) fail(`${at}.${key}`, `is not a known option (known: ${[...KNOWN_LIMIT_OPTIONS].join(', ')})`);
    }
    const { maxReady, policy = 'wait', sampleEveryMs = DEFAULT_SAMPLE_EVERY_MS } = s;
    if (typeof maxReady !== 'number' || !Number.isSafeInteger(maxReady) || maxReady < 1)
      fail(`${at}.maxReady`, `must be a whole number of 1 or more, got ${describeValue(maxReady)}`);
    if (policy !== 'wait' && policy !== 'fail-fast') fail(`${at}.policy`, `must be 'wait' or 'fail-fast', got ${describeValue(policy)}`);
    const { min, max } = SAMPLE_EVERY_MS;
    if (typeof sampleEveryMs !== 'number' || !Number.isInteger(sampleEveryMs) || sampleEveryMs < min || sampleEveryMs > max)
      fail(`${at}.sampleEveryMs`, `must be a whole number of ms from ${min} to ${max}, got ${describeValue(sampleEveryMs)}`);
    limits.set(queue, { maxReady: maxReady as number, policy: policy as QueueLimit['policy'], sampleEveryMs: sampleEveryMs as number });
  }
  return limits;
}
