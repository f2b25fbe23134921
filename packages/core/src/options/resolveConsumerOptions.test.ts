import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors/WarrenError.js';
import type { ConsumerOptions } from './ConsumerOptions.js';
import { DEFAULT_PREFETCH, resolveConsumerOptions } from './resolveConsumerOptions.js';

const resolve = (o: Partial<ConsumerOptions>) => resolveConsumerOptions('OrderWorker', { queue: 'orders', ...o } as ConsumerOptions);

const rejects = (o: Partial<ConsumerOptions> | Record<string, unknown>, option: string, detail?: RegExp): void => {
  assert.throws(
    () => resolve(o as Partial<ConsumerOptions>),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `ConfigError, got ${String(e)}`);
      assert.match(e.message, /^@Consumer OrderWorker: option /);
      assert.ok(e.message.includes(`"${option}"`), `names ${option}: ${e.message}`);
      if (detail !== undefined) assert.match(e.message, detail);
      return true;
    },
  );
};

describe('resolveConsumerOptions', () => {
  it('fills safe defaults: bounded prefetch, concurrency = prefetch, durable, DLQ on, no retry', () => {
    const r = resolve({});
    assert.equal(r.prefetch, DEFAULT_PREFETCH);
    assert.equal(r.concurrency, DEFAULT_PREFETCH);
    assert.equal(r.durable, true);
    assert.equal(r.deadLetter, true);
    assert.equal(r.queueType, 'classic');
    assert.deepEqual(r.retry, { attempts: 1, delaysMs: [], jitter: 0 });
    assert.equal(r.name, 'OrderWorker');
    assert.equal(r.redeliveryLimit, 5);
    assert.equal(r.decode, 'json');
  });

  it('refuses prefetch 0, negative, fractional, huge, or non-numbers', () => {
    for (const p of [0, -1, 1.5, 70_000, Number.NaN, '10']) rejects({ prefetch: p as number }, 'prefetch', /whole number from 1 to 65535/);
  });

  it('refuses concurrency above prefetch', () => {
    rejects({ prefetch: 4, concurrency: 8 }, 'concurrency', /must not exceed prefetch \(4\)/);
    assert.equal(resolve({ prefetch: 8, concurrency: 4 }).concurrency, 4);
  });

  it('refuses a missing, empty or reserved queue name', () => {
    rejects({ queue: '' }, 'queue');
    rejects({ queue: 'amq.foo' }, 'queue', /reserved/);
    rejects({ queue: 'x'.repeat(201) }, 'queue');
  });

  it('refuses unknown options and unknown queue types, naming them', () => {
    rejects({ prefech: 10 } as Record<string, unknown>, 'prefech', /not a known option/);
    rejects({ queueType: 'stream' as 'quorum' }, 'queueType');
    rejects({ queueType: 'quorum', durable: false }, 'durable');
  });

  it('checks retry: attempts >= 1, delays non-empty positive, jitter in 0..1', () => {
    rejects({ retry: { attempts: 0, delayMs: 100 } }, 'retry.attempts');
    rejects({ retry: { attempts: 3, delayMs: [] } }, 'retry.delayMs');
    rejects({ retry: { attempts: 3, delayMs: [100, -5] } }, 'retry.delayMs[1]');
    rejects({ retry: { attempts: 3, delayMs: 100, jitter: 2 } }, 'retry.jitter');
    const r = resolve({ retry: { attempts: 5, delayMs: [1000, 5000] } });
    assert.deepEqual(r.retry, { attempts: 5, delaysMs: [1000, 5000], jitter: 0 });
    assert.equal(r.redeliveryLimit, 5);
    assert.equal(resolve({ retry: { attempts: 8, delayMs: 10 } }).redeliveryLimit, 8);
  });

  it('keeps Warren-owned queue arguments out of `arguments`', () => {
    rejects({ arguments: { 'x-dead-letter-exchange': 'x' } }, 'arguments', /deadLetter/);
    assert.deepEqual(resolve({ arguments: { 'x-max-length': 10 } }).arguments, { 'x-max-length': 10 });
  });

  it('binds to an exchange: topic by default with #, or the given keys', () => {
    const t = resolve({ exchange: 'orders' });
    assert.deepEqual(t.exchange, { name: 'orders', type: 'topic', durable: true });
    assert.deepEqual(t.routingKeys, ['#']);
    assert.deepEqual(resolve({ exchange: { name: 'o', type: 'direct' }, routingKey: ['a', 'b'] }).routingKeys, ['a', 'b']);
    rejects({ routingKey: 'a' }, 'routingKey', /needs an exchange/);
    rejects({ exchange: { name: 'o', type: 'x-delayed' as 'topic' } }, 'exchange');
  });

  it('checks schema is a Standard Schema and not combined with raw buffers', () => {
    rejects({ schema: {} as never }, 'schema');
    const schema = { '~standard': { version: 1 as const, vendor: 't', validate: (v: unknown) => ({ value: v }) } };
    rejects({ schema, decode: 'buffer' }, 'schema');
    assert.equal(resolve({ schema }).schema, schema);
  });

  it('checks timeoutMs, maxBytes, decode and shutdownGraceMs', () => {
    rejects({ timeoutMs: 0 }, 'timeoutMs');
    rejects({ maxBytes: -1 }, 'maxBytes');
    rejects({ decode: 'xml' as 'json' }, 'decode');
    rejects({ shutdownGraceMs: -1 }, 'shutdownGraceMs');
  });
});
