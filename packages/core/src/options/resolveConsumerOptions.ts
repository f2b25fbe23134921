import { ConfigError } from '../errors/WarrenError.js';
import { adaptiveLimitPolicy } from '../middleware/adaptiveLimit.js';
import { breakerPolicy } from '../middleware/breaker.js';
import { isPolicy } from '../middleware/createPolicies.js';
import type { Policy, PolicyFactory } from '../middleware/Middleware.js';
import { rateLimitPolicy } from '../middleware/rateLimit.js';
import type { ConsumerOptions, ExchangeType } from './ConsumerOptions.js';
import type { StandardSchemaV1 } from './StandardSchema.js';

/** ConsumerOptions with every default filled in and every value checked. */
export interface ResolvedConsumerOptions {
  readonly name: string;
  readonly queue: string;
  readonly prefetch: number;
  /** The static limit, or with `concurrency: { adaptive }` the most the adaptive limit may reach. */
  readonly concurrency: number;
  /** Policies made from `breaker`, `rateLimit` and `concurrency: { adaptive }`, when given. */
  readonly breaker: PolicyFactory | undefined;
  readonly rateLimit: PolicyFactory | undefined;
  readonly adaptive: PolicyFactory | undefined;
  readonly durable: boolean;
  readonly queueType: 'classic' | 'quorum';
  readonly singleActiveConsumer: boolean;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly declare: boolean;
  readonly exchange: { readonly name: string; readonly type: ExchangeType; readonly durable: boolean } | undefined;
  readonly routingKeys: readonly string[];
  readonly deadLetter: boolean;
  readonly retry: { readonly attempts: number; readonly delaysMs: readonly number[]; readonly jitter: number };
  readonly redeliveryLimit: number;
  readonly timeoutMs: number | undefined;
  readonly shutdownGraceMs: number;
  readonly schema: StandardSchemaV1 | undefined;
  readonly maxBytes: number;
  readonly decode: 'json' | 'json-only' | 'buffer';
  readonly use: readonly Policy[];
}

export const DEFAULT_PREFETCH = 32;
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const EXCHANGE_TYPES: readonly string[] = ['direct', 'topic', 'fanout', 'headers'];
const KNOWN_OPTIONS = new Set([
  'queue',
  'prefetch',
  'concurrency',
  'breaker',
  'rateLimit',
  'durable',
  'queueType',
  'singleActiveConsumer',
  'arguments',
  'declare',
  'exchange',
  'routingKey',
  'deadLetter',
  'retry',
  'redeliveryLimit',
  'timeoutMs',
  'shutdownGraceMs',
  'schema',
  'maxBytes',
  'decode',
  'use',
  'name',
]);
/** 65535: the most a basic.qos prefetch-count (a short) can hold. */
const MAX_PREFETCH = 65_535;

/**
 * Checks a consumer's options and fills in defaults. Throws a ConfigError naming the consumer
 * and the option, so a bad option stops `warren start` before any message is taken.
 */
export function resolveConsumerOptions(
  className: string,
  options: ConsumerOptions,
  defaults: { shutdownGraceMs?: number; queueType?: 'classic' | 'quorum' } = {},
): ResolvedConsumerOptions {
  const fail = (option: string, problem: string): never => {
    throw new ConfigError(`@Consumer ${className}: option "${option}" ${problem}`);
  };
  if (typeof options !== 'object' || options === null) fail('(options)', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) fail(key, `is not a known option (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  const int = (option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(option, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  const bool = (option: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') fail(option, `must be true or false, got ${JSON.stringify(value)}`);
    return value as boolean;
  };

  if (typeof options.queue !== 'string' || options.queue.trim() === '') fail('queue', 'must be a non-empty queue name');
  if (options.queue.length > 200)
    fail('queue', 'must be at most 200 characters (RabbitMQ allows 255, and Warren derives .retry.<ms> names from it)');
  if (options.queue.startsWith('amq.')) fail('queue', 'must not start with "amq." (reserved by RabbitMQ)');

  const prefetch = options.prefetch === undefined ? DEFAULT_PREFETCH : int('prefetch', options.prefetch, 1, MAX_PREFETCH);
  const singleActiveConsumer = bool('singleActiveConsumer', options.singleActiveConsumer, false);
  let adaptive: PolicyFactory | undefined;
  let concurrency: number;
  if (typeof options.concurrency === 'object' && options.concurrency !== null) {
    adaptive = adaptiveLimitPolicy(options.concurrency, prefetch, (problem) => fail('concurrency', problem));
    concurrency = (options.concurrency as { adaptive: { max: number } }).adaptive.max;
  } else {
    // One active worker keeps the queue's order only if it runs one handler at a time.
    const fallback = singleActiveConsumer ? 1 : prefetch;
    concurrency = options.concurrency === undefined ? fallback : int('concurrency', options.concurrency, 1, MAX_PREFETCH);
  }
  const breaker = options.breaker === undefined ? undefined : breakerPolicy(options.breaker, (problem) => fail('breaker', problem));
  const rateLimit =
    options.rateLimit === undefined ? undefined : rateLimitPolicy(options.rateLimit, (problem) => fail('rateLimit', problem));
  if (concurrency > prefetch)
    fail('concurrency', `(${concurrency}) must not exceed prefetch (${prefetch}): handlers beyond prefetch would never get a message`);

  const queueType = options.queueType ?? defaults.queueType ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum')
    fail('queueType', `must be 'classic' or 'quorum', got ${JSON.stringify(queueType)}`);
  // A classic queue only flags a redelivery, and Warren counts it by publishing the message again
  // at the back of the queue: after a takeover, that would break the very order this option keeps.
  if (singleActiveConsumer && queueType !== 'quorum')
    fail('singleActiveConsumer', "needs queueType 'quorum' (a classic queue's redeliveries are counted by re-publishing them at its back)");
  const durable = bool('durable', options.durable, true);
  if (queueType === 'quorum' && !durable) fail('durable', 'must be true for a quorum queue');

  const args = options.arguments ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) fail('arguments', 'must be an object of queue arguments');
  for (const reserved of ['x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-queue-type']) {
    if (reserved in args) fail('arguments', `must not set "${reserved}": Warren sets it (use deadLetter / queueType)`);
  }

  let exchange: ResolvedConsumerOptions['exchange'];
  if (options.exchange !== undefined) {
    const ex = typeof options.exchange === 'string' ? { name: options.exchange } : options.exchange;
    if (typeof ex.name !== 'string' || ex.name === '') fail('exchange', 'must name an exchange');
    const type = ex.type ?? 'topic';
    if (!EXCHANGE_TYPES.includes(type)) fail('exchange', `type must be one of ${EXCHANGE_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    exchange = { name: ex.name, type, durable: bool('exchange.durable', ex.durable, true) };
  }
  let routingKeys: string[] = [];
  if (options.routingKey !== undefined) {
    if (exchange === undefined) fail('routingKey', 'needs an exchange to bind to');
    routingKeys = typeof options.routingKey === 'string' ? [options.routingKey] : [...options.routingKey];
    if (routingKeys.some((k) => typeof k !== 'string')) fail('routingKey', 'must be a string or an array of strings');
  } else if (exchange !== undefined) {
    routingKeys = [exchange.type === 'topic' ? '#' : ''];
  }

  let retry: ResolvedConsumerOptions['retry'] = { attempts: 1, delaysMs: [], jitter: 0 };
  if (options.retry !== undefined) {
    const r = options.retry;
    if (typeof r !== 'object' || r === null) fail('retry', 'must be { attempts, delayMs }');
    const attempts = int('retry.attempts', r.attempts, 1, 1000);
    const delays =
      typeof r.delayMs === 'number'
        ? [r.delayMs]
        : Array.isArray(r.delayMs)
          ? [...r.delayMs]
          : fail('retry.delayMs', 'must be a number or an array of numbers');
    if (delays.length === 0) fail('retry.delayMs', 'must hold at least one delay');
    // A delay queue per distinct delay: cap them at a day so a typo cannot park messages for years.
    for (const [i, d] of delays.entries()) int(`retry.delayMs[${i}]`, d, 1, 86_400_000);
    const jitter = r.jitter ?? 0;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
      fail('retry.jitter', `must be between 0 and 1, got ${JSON.stringify(jitter)}`);
    retry = { attempts, delaysMs: delays, jitter };
  }
  const redeliveryLimit =
    options.redeliveryLimit === undefined ? Math.max(5, retry.attempts) : int('redeliveryLimit', options.redeliveryLimit, 1, 10_000);
  const timeoutMs = options.timeoutMs === undefined ? undefined : int('timeoutMs', options.timeoutMs, 1, 86_400_000);
  const shutdownGraceMs =
    options.shutdownGraceMs === undefined
      ? (defaults.shutdownGraceMs ?? 10_000)
      : int('shutdownGraceMs', options.shutdownGraceMs, 0, 3_600_000);
  const maxBytes = options.maxBytes === undefined ? DEFAULT_MAX_BYTES : int('maxBytes', options.maxBytes, 1, 512 * 1024 * 1024);
  const decode = options.decode ?? 'json';
  if (decode !== 'json' && decode !== 'json-only' && decode !== 'buffer')
    fail('decode', `must be 'json', 'json-only' or 'buffer', got ${JSON.stringify(decode)}`);
  const schema = options.schema;
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || typeof schema['~standard']?.validate !== 'function')) {
    fail('schema', 'must be a Standard Schema validator (zod, valibot, arktype, ...)');
  }
  if (schema !== undefined && decode === 'buffer') fail('schema', "cannot validate raw buffers: use decode 'json' or 'json-only'");
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) fail('name', 'must be a non-empty string');
  const use = options.use ?? [];
  if (!Array.isArray(use)) fail('use', 'must be an array of policies');
  use.forEach((policy, i) => {
    if (!isPolicy(policy)) fail(`use[${i}]`, 'must be a Middleware { name, run(ctx, next), describe() } or a factory (host) => Middleware');
  });

  return {
    name: options.name ?? className,
    queue: options.queue,
    prefetch,
    concurrency,
    breaker,
    rateLimit,
    adaptive,
    durable,
    queueType,
    singleActiveConsumer,
    arguments: args,
    declare: bool('declare', options.declare, true),
    exchange,
    routingKeys,
    deadLetter: bool('deadLetter', options.deadLetter, true),
    retry,
    redeliveryLimit,
    timeoutMs,
    shutdownGraceMs,
    schema,
    maxBytes,
    decode,
    use,
  };
}
