import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WarrenError } from '../errors/WarrenError.js';
import { parseBrokerUrl, parseBrokerUrls, redactUrl } from './brokerUrl.js';

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
