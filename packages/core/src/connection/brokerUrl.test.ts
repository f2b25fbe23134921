import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, WarrenError } from '../errors/WarrenError.js';
import { DEFAULT_URL, parseBrokerUrl, parseBrokerUrls, redactUrl, resolveBrokerUrls } from './brokerUrl.js';

test('redactUrl masks the password and keeps the rest', () => {
  assert.equal(redactUrl('amqp://bob:s3cret@rabbit:5672/prod'), 'amqp://bob:***@rabbit:5672/prod');
  assert.equal(redactUrl('amqp://rabbit'), 'amqp://rabbit');
  assert.ok(!redactUrl('nonsense://bob:s3cret@x').includes('s3cret'));
  assert.ok(!redactUrl('::://bob:s3cret@').includes('s3cret'));
});

test('parseBrokerUrl reads host, port, vhost, credentials and heartbeat', () => {
  const a = parseBrokerUrl('amqp://bob:p%40ss@rabbit:5673/my%2Fvhost?heartbeat=5');
  assert.equal(a.hostname, 'rabbit');
  assert.equal(a.port, 5673);
  assert.equal(a.username, 'bob');
  assert.equal(a.password, 'p@ss');
  assert.equal(a.vhost, 'my/vhost');
  assert.equal(a.heartbeat, 5);
  assert.equal(a.display, 'amqp://bob:***@rabbit:5673/my%2Fvhost?heartbeat=5');
  const d = parseBrokerUrl('amqps://host');
  assert.equal(d.port, 5671);
  assert.equal(d.vhost, '/');
  assert.equal(d.username, 'guest');
});

test('a bad URL is a clear error that never shows the password', () => {
  for (const bad of ['http://bob:hunter2@host', 'not a url hunter2', 'amqp://bob:hunter2@host?heartbeat=x']) {
    assert.throws(
      () => parseBrokerUrl(bad),
      (e: unknown) => WarrenError.is(e) && e.code === 'WARREN_ERR_BAD_URL' && !e.message.includes('hunter2'),
    );
  }
});

test('parseBrokerUrls splits comma-separated lists and refuses an empty one', () => {
  assert.deepEqual(
    parseBrokerUrls('amqp://a, amqp://b,').map((a) => a.hostname),
    ['a', 'b'],
  );
  assert.throws(() => parseBrokerUrls(' , '), /no broker URL/);
});

test('resolveBrokerUrls: url is one broker, urls several (array or comma-separated), both is an error', () => {
  const env = {};
  assert.deepEqual(resolveBrokerUrls({ url: ' amqp://a:5672 ' }, env), ['amqp://a:5672']);
  assert.deepEqual(resolveBrokerUrls({ urls: ['amqp://a', 'amqp://b'] }, env), ['amqp://a', 'amqp://b']);
  assert.deepEqual(resolveBrokerUrls({ urls: 'amqp://a, amqp://b,' }, env), ['amqp://a', 'amqp://b']);
  // One URL is never split: a password may hold a comma.
  assert.deepEqual(resolveBrokerUrls({ url: 'amqp://bob:a,b@host' }, env), ['amqp://bob:a,b@host']);
  assert.throws(
    () => resolveBrokerUrls({ url: 'amqp://a', urls: ['amqp://b'] }, env),
    (e: unknown) => e instanceof ConfigError && e.code === 'WARREN_ERR_CONFIG' && /"url".*"urls".*not both/.test(e.message),
  );
  assert.throws(() => resolveBrokerUrls({ url: 'amqp://a, amqp://b' }, env), /option "url" holds several URLs: give them as option "urls"/);
});

test('resolveBrokerUrls: without options, WARREN_URL, then AMQP_URL (empty counts as unset), then the local default', () => {
  assert.deepEqual(resolveBrokerUrls({}, { WARREN_URL: 'amqp://w1,amqp://w2', AMQP_URL: 'amqp://x' }), ['amqp://w1', 'amqp://w2']);
  assert.deepEqual(resolveBrokerUrls({}, { WARREN_URL: ' ', AMQP_URL: 'amqp://x' }), ['amqp://x']);
  assert.deepEqual(resolveBrokerUrls({}, {}), [DEFAULT_URL]);
  assert.deepEqual(resolveBrokerUrls({ url: 'amqp://given' }, { WARREN_URL: 'amqp://w' }), ['amqp://given']);
});

test('resolveBrokerUrls: a bad value is a ConfigError naming where it came from, without the password', () => {
  const cases: Array<[Parameters<typeof resolveBrokerUrls>, RegExp]> = [
    [[{ url: 'http://bob:hunter2@host' }, {}], /^option "url": broker URL "http:\/\/bob:\*\*\*@host" uses "http:"/],
    [[{ urls: ['amqp://ok', 'amqp://bob:hunter2@'] }, {}], /^option "urls": /],
    [[{ url: 'not a url hunter2' }, {}], /^option "url": the broker URL is not a valid URL/],
    [[{}, { WARREN_URL: 'amqp://bob:hunter2@host?heartbeat=x' }], /^WARREN_URL: broker URL .*heartbeat must be a whole number/],
    [[{}, { AMQP_URL: 'ftp://host' }], /^AMQP_URL: /],
    [[{ urls: 'ftp://bob:hunter2@x' }, {}, { urls: '--url' }], /^--url: broker URL "ftp:\/\/bob:\*\*\*@x"/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => resolveBrokerUrls(...args),
      (e: unknown) =>
        e instanceof ConfigError && e.code === 'WARREN_ERR_BAD_URL' && message.test(e.message) && !e.message.includes('hunter2'),
      String(message),
    );
  }
  assert.throws(
    () => resolveBrokerUrls({ urls: [] }, {}),
    (e: unknown) => e instanceof ConfigError && /^option "urls" is empty/.test(e.message),
  );
  assert.throws(() => resolveBrokerUrls({ url: '' }, {}), /: option "url" is empty/);
  assert.throws(() => resolveBrokerUrls({ url: 5 as unknown as string }, {}), /: option "url" must be a string, got number/);
});
