import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { checkPublish, describeValue, MAX_EXPIRATION_MS } from './checkPublish.js';
import type { PublishOptions } from './Publisher.js';

/** The message of the InvalidPublishError thrown, or 'ok'. */
function outcome(options: Record<string, unknown>, exchange = '', routingKey = 'q'): string {
  try {
    checkPublish(exchange, routingKey, options as PublishOptions);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof InvalidPublishError, String(error));
    return error.message;
  }
}

test('no options and a plain target pass', () => {
  assert.equal(outcome({}), 'ok');
  assert.equal(outcome({}, 'orders', 'created.eu'), 'ok');
});

test('expiration: whole ms from 0 to 10 years, as a number or a string of digits', () => {
  for (const ok of [0, 1, 60_000, MAX_EXPIRATION_MS, '0', '05', '60000', String(MAX_EXPIRATION_MS)]) {
    assert.equal(outcome({ expiration: ok }), 'ok', String(ok));
  }
  // Each of these the broker refuses with a 406 that closes the channel (seen on RabbitMQ 3.10).
  const bad: unknown[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_EXPIRATION_MS + 1, '', '-1', '1.5', 'NaN', ' 5', '+5', '1e3'];
  for (const value of [...bad, String(MAX_EXPIRATION_MS + 1), '0000000000005', null, true, 10n]) {
    assert.match(outcome({ expiration: value }), /^publish option expiration must be a whole number of milliseconds/, describeValue(value));
  }
  assert.equal(
    outcome({ expiration: -1 }),
    'publish option expiration must be a whole number of milliseconds from 0 to 315360000000 (a number or a string of digits), got -1',
  );
  assert.match(outcome({ expiration: '' }), /got ""$/);
});

test('timeoutMs: a positive whole number of ms', () => {
  assert.equal(outcome({ timeoutMs: 1 }), 'ok');
  assert.equal(outcome({ timeoutMs: 86_400_000 }), 'ok');
  for (const value of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100']) {
    assert.match(outcome({ timeoutMs: value }), /^publish option timeoutMs must be a positive whole number of milliseconds, got /);
  }
  assert.match(outcome({ timeoutMs: Number.NaN }), /got NaN$/);
});

test('priority: a whole number from 0 to 255', () => {
  for (const ok of [0, 9, 255]) assert.equal(outcome({ priority: ok }), 'ok');
  for (const value of [-1, 256, 1.5, Number.NaN, '5']) assert.match(outcome({ priority: value }), /^publish option priority must be/);
});

test('timestamp: whole non-negative seconds', () => {
  assert.equal(outcome({ timestamp: 1_700_000_000 }), 'ok');
  for (const value of [-1, 1.5, Number.NaN]) assert.match(outcome({ timestamp: value }), /^publish option timestamp must be/);
});

test('exchange, routing key and short-string properties: at most 255 UTF-8 bytes', () => {
  assert.equal(outcome({}, 'e'.repeat(255), 'r'.repeat(255)), 'ok');
  assert.equal(outcome({}, 'e'.repeat(256)), 'publish exchange name must be a string of at most 255 UTF-8 bytes, got 256 bytes');
  assert.match(outcome({}, '', 'r'.repeat(256)), /^publish routing key must be .* got 256 bytes$/);
  // 86 three-byte characters: short in UTF-16, 258 bytes on the wire.
  assert.match(outcome({}, '', 'é'.repeat(128)), /got 256 bytes$/);
  assert.match(outcome({}, '', '€'.repeat(86)), /got 258 bytes$/);
  for (const name of ['messageId', 'correlationId', 'replyTo', 'type', 'appId', 'contentType', 'contentEncoding']) {
    assert.equal(outcome({ [name]: 'x'.repeat(255) }), 'ok', name);
    assert.match(outcome({ [name]: 'x'.repeat(256) }), new RegExp(`^publish option ${name} must be .* got 256 bytes$`));
    assert.match(outcome({ [name]: 42 }), new RegExp(`^publish option ${name} must be .* got 42$`));
  }
  assert.match(outcome({}, null as unknown as string), /^publish exchange name must be .* got null$/);
});

test('describeValue shows what was given', () => {
  assert.equal(describeValue(''), '""');
  assert.equal(describeValue(Number.NaN), 'NaN');
  assert.equal(describeValue(10n), 'BigInt 10n');
  assert.equal(describeValue(Symbol('s')), 'a symbol');
  assert.equal(describeValue(new Date(0)), 'an object (Date)');
  assert.equal(describeValue(Object.create(null)), 'an object (no prototype)');
  assert.equal(describeValue('x'.repeat(100)), `"${'x'.repeat(40)}"… (100 chars)`);
});
