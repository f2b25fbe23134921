import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_URL } from '../connection/brokerUrl.js';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { ConfigError } from '../errors/WarrenError.js';
import { silentLogger } from '../logging/logger.js';
import type { PublisherOptions } from './PublisherOptions.js';
import { resolvePublisherOptions } from './resolvePublisherOptions.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './serialize.js';

const noEnv: NodeJS.ProcessEnv = {};
const resolve = (o: PublisherOptions | Record<string, unknown>, env = noEnv) => resolvePublisherOptions(o as PublisherOptions, env);
/** Enough of a ConnectionManager for the check: options are resolved before anything connects. */
const shared = { createConfirmChannel: async () => undefined } as unknown as ConnectionManager;

const rejects = (o: Record<string, unknown>, option: string, detail?: RegExp): void => {
  assert.throws(
    () => resolve(o),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `ConfigError, got ${String(e)}`);
      assert.ok(e.message.includes(`option "${option}"`), `names ${option}: ${e.message}`);
      if (detail !== undefined) assert.match(e.message, detail);
      return true;
    },
  );
};

describe('resolvePublisherOptions', () => {
  it('fills the defaults: window 1000, buffer 10,000 / 64 MiB, wait, 30 s deadline, 5 s grace, 16 MiB bodies, the default URL', () => {
    const r = resolve({});
    assert.deepEqual(
      { ...r, logger: undefined },
      {
        connection: undefined,
        urls: [DEFAULT_URL],
        tls: undefined,
        appName: undefined,
        maxInFlight: 1000,
        maxBufferedMessages: 10_000,
        maxBufferedBytes: 64 * 1024 * 1024,
        blockedPolicy: 'wait',
        timeoutMs: 30_000,
        republishUnconfirmed: false,
        shuffle: false,
        closeGraceMs: 5000,
        maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
        limits: new Map(),
        logger: undefined,
      },
    );
    assert.equal(typeof r.logger.child, 'function');
  });

  it('keeps given values, and treats an option set to undefined as absent', () => {
    const logger = silentLogger();
    const r = resolve({
      maxInFlight: 5,
      maxBufferedMessages: 0,
      blockedPolicy: 'fail-fast',
      republishUnconfirmed: true,
      logger,
      timeoutMs: undefined,
    });
    assert.equal(r.maxInFlight, 5);
    assert.equal(r.maxBufferedMessages, 0);
    assert.equal(r.blockedPolicy, 'fail-fast');
    assert.equal(r.republishUnconfirmed, true);
    assert.equal(r.logger, logger);
    assert.equal(r.timeoutMs, 30_000);
  });

  it('refuses unknown options, naming them', () => {
    rejects({ maxInflight: 10 }, 'maxInflight', /not a known option \(known: url, urls, (tls, )?connection/);
  });

  it('refuses counts and durations that are not whole numbers in range', () => {
    for (const v of [0, -1, 1.5, Number.NaN, '10']) rejects({ maxInFlight: v }, 'maxInFlight', /whole number of 1 or more/);
    rejects({ maxBufferedMessages: -1 }, 'maxBufferedMessages', /of 0 or more, got -1/);
    rejects({ maxBufferedBytes: 1.5 }, 'maxBufferedBytes');
    rejects({ timeoutMs: 0 }, 'timeoutMs');
    rejects({ closeGraceMs: 2 ** 31 }, 'closeGraceMs', /from 0 to 2147483647/);
    rejects({ maxMessageBytes: 1024 ** 3 }, 'maxMessageBytes', /from 1 to 536870912/);
  });

  it('refuses a bad blockedPolicy, republishUnconfirmed, appName or logger', () => {
    rejects({ blockedPolicy: 'drop' }, 'blockedPolicy', /'wait' or 'fail-fast', got "drop"/);
    rejects({ republishUnconfirmed: 'yes' }, 'republishUnconfirmed', /true or false/);
    rejects({ appName: 7 }, 'appName');
    rejects({ logger: console }, 'logger');
  });

  it("resolves limits per queue: policy 'wait' and a sample every 250 ms unless given", () => {
    const r = resolve({ limits: { jobs: { maxReady: 1000 }, mail: { maxReady: 5, policy: 'fail-fast', sampleEveryMs: 50 } } });
    assert.deepEqual(
      [...r.limits],
      [
        ['jobs', { maxReady: 1000, policy: 'wait', sampleEveryMs: 250 }],
        ['mail', { maxReady: 5, policy: 'fail-fast', sampleEveryMs: 50 }],
      ],
    );
  });

  it('refuses a bad limit, naming the queue and the option', () => {
    rejects({ limits: [] }, 'limits', /queue name -> \{ maxReady/);
    rejects({ limits: { jobs: 1000 } }, 'limits["jobs"]', /must be \{ maxReady, policy\?, sampleEveryMs\? \}, got 1000/);
    rejects({ limits: { '': { maxReady: 1 } } }, 'limits[""]', /queue name of 1 to 255 bytes/);
    rejects({ limits: { jobs: {} } }, 'limits["jobs"].maxReady', /whole number of 1 or more, got undefined/);
    for (const v of [0, -5, 1.5, '100']) rejects({ limits: { jobs: { maxReady: v } } }, 'limits["jobs"].maxReady');
    rejects({ limits: { jobs: { maxReady: 1, policy: 'drop' } } }, 'limits["jobs"].policy', /'wait' or 'fail-fast', got "drop"/);
    rejects({ limits: { jobs: { maxReady: 1, sampleEveryMs: 10 } } }, 'limits["jobs"].sampleEveryMs', /from 50 to 60000, got 10/);
    rejects(
      { limits: { jobs: { maxReady: 1, maxready: 2 } } },
      'limits["jobs"].maxready',
      /not a known option \(known: maxReady, policy, sampleEveryMs\)/,
    );
  });

  it('resolves the URL as everywhere else: url or urls, else WARREN_URL, else AMQP_URL, else the default', () => {
    assert.deepEqual(resolve({ url: 'amqp://a' }).urls, ['amqp://a']);
    assert.deepEqual(resolve({ urls: 'amqp://a, amqp://b' }).urls, ['amqp://a', 'amqp://b']);
    assert.deepEqual(resolve({}, { WARREN_URL: 'amqp://w', AMQP_URL: 'amqp://x' }).urls, ['amqp://w']);
    assert.deepEqual(resolve({}, { AMQP_URL: 'amqp://x' }).urls, ['amqp://x']);
    assert.throws(
      () => resolve({ url: 'amqp://a', urls: ['amqp://b'] }),
      /give option "url" \(one broker\) or option "urls" \(several\), not both/,
    );
    assert.throws(
      () => resolve({ url: 'http://bob:s3cret@host' }),
      (e: unknown) => e instanceof ConfigError && e.code === 'WARREN_ERR_BAD_URL' && !e.message.includes('s3cret'),
    );
  });

  it('takes a shared connection instead of a URL, never both, and reads no environment then', () => {
    const r = resolve({ connection: shared }, { WARREN_URL: 'not a url' });
    assert.equal(r.connection, shared);
    assert.equal(r.urls, undefined);
    rejects({ connection: shared, url: 'amqp://a' }, 'connection', /give "connection" or "url"\/"urls"(\/"tls")?, not both/);
    rejects({ connection: {} }, 'connection', /ConnectionManager/);
  });
});
