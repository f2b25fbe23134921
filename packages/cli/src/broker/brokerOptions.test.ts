import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveCliBroker } from './brokerOptions.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-cli-broker-'));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

test('--url-file reads a secret file (one trailing newline dropped); --url with a password warns, never showing it', () => {
  const fromFile = resolveCliBroker({ urlFile: file('url', 'amqps://u:s3cret@broker:5671/v\n') }, {});
  assert.deepEqual(fromFile.urls, ['amqps://u:s3cret@broker:5671/v']);
  assert.deepEqual(fromFile.warnings, []);
  const onCommandLine = resolveCliBroker({ url: 'amqp://u:s3cret@broker:5672' }, {});
  assert.equal(onCommandLine.warnings.length, 1);
  assert.match(onCommandLine.warnings[0] as string, /--url holds a password: every user of this host can read it/);
  assert.doesNotMatch(onCommandLine.warnings[0] as string, /s3cret/);
  assert.deepEqual(resolveCliBroker({ url: 'amqp://broker:5672' }, {}).warnings, []);
});

test('WARREN_URL_FILE is read too; both URL flags, or a missing file, are errors naming them', () => {
  assert.deepEqual(resolveCliBroker({}, { WARREN_URL_FILE: file('env-url', 'amqp://a:b@h:5672\n') }).urls, ['amqp://a:b@h:5672']);
  assert.throws(() => resolveCliBroker({ url: 'amqp://h', urlFile: 'x' }, {}), /--url and --url-file both name the broker/);
  assert.throws(() => resolveCliBroker({ urlFile: join(dir, 'nope') }, {}), /--url-file: cannot read ".*nope": no such file \(ENOENT\)/);
});

test('TLS files with a plain amqp:// URL are an error; a flag wins over its variable; WARREN_TLS_NO_VERIFY is checked', () => {
  assert.throws(() => resolveCliBroker({ url: 'amqp://h', tlsCa: join(dir, 'missing.pem') }, {}), /--tls-ca: cannot read/);
  const notPem = file('not.pem', 'hello');
  assert.throws(() => resolveCliBroker({ url: 'amqps://h', tlsCa: notPem }, {}), /--tls-ca holds no PEM certificate/);
  assert.throws(() => resolveCliBroker({ url: 'amqps://h' }, { WARREN_TLS_CA: notPem }), /WARREN_TLS_CA holds no PEM certificate/);
  assert.equal(resolveCliBroker({ url: 'amqps://h', tlsNoVerify: true }, {}).tls?.rejectUnauthorized, false);
  assert.throws(
    () => resolveCliBroker({ url: 'amqps://h' }, { WARREN_TLS_NO_VERIFY: 'maybe' }),
    /WARREN_TLS_NO_VERIFY must be true or false/,
  );
  assert.throws(
    () => resolveCliBroker({ url: 'amqp://h', tlsNoVerify: true }, {}),
    /TLS settings \(rejectUnauthorized\) are given but broker URL "amqp:\/\/h" is plain/,
  );
});
