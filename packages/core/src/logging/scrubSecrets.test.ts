import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrubSecrets } from './scrubSecrets.js';

test('masks the password of any URL, in text and in JSON', () => {
  assert.equal(scrubSecrets('cannot reach amqp://bob:hunter2@10.0.0.1:5672/vh'), 'cannot reach amqp://bob:***@10.0.0.1:5672/vh');
  assert.equal(scrubSecrets('{"err":"postgres://app:s3cr%40t@db/orders failed"}'), '{"err":"postgres://app:***@db/orders failed"}');
  assert.equal(scrubSecrets('two: amqps://a:x@h1, amqp://b:y@h2'), 'two: amqps://a:***@h1, amqp://b:***@h2');
  assert.equal(scrubSecrets('"amqp://:onlypass@host"'), '"amqp://:***@host"');
});

test('leaves URLs without a password, and other text, as they are', () => {
  for (const text of ['amqp://bob@host:5672', 'http://example.com/a:b@c', 'ratio 1:2 @ 10 ms', 'amqp://guest:***@host', '{"msg":"ok"}']) {
    assert.equal(scrubSecrets(text), text);
  }
});

test('stops at the end of a JSON string', () => {
  assert.equal(scrubSecrets('{"a":"amqp://u:p"}, {"b":"x@y"}'), '{"a":"amqp://u:p"}, {"b":"x@y"}');
});

test('masks bearer and basic credentials', () => {
  assert.equal(scrubSecrets('"authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"'), '"authorization":"Bearer ***"');
  assert.equal(scrubSecrets('Authorization: Basic Z3Vlc3Q6Z3Vlc3Q='), 'Authorization: Basic ***');
  assert.equal(scrubSecrets('Basic idea'), 'Basic idea');
});

test('masks PEM private keys, whole or cut short, and leaves certificates', () => {
  const key = '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----';
  assert.equal(scrubSecrets(`{"key":"${key}","ca":"x"}`), '{"key":"-----BEGIN PRIVATE KEY----- *** -----END PRIVATE KEY-----","ca":"x"}');
  const rsa = 'tls: -----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMIIEpAIBAAKCAQEA';
  assert.equal(scrubSecrets(rsa), 'tls: -----BEGIN RSA PRIVATE KEY----- *** -----END RSA PRIVATE KEY-----');
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  assert.equal(scrubSecrets(cert), cert);
});
