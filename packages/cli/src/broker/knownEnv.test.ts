import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unknownWarrenVariables } from './knownEnv.js';

test('a WARREN_ variable Warren does not read is named, with the known name it is closest to', () => {
  const env = {
    WARREN_URL_FIEL: '/run/secrets/url',
    WARREN_URL: 'amqp://x',
    WARREN_TEST_LOGS: '1',
    WARREN_SOMETHING_ELSE: 'x',
    PATH: '/bin',
  };
  assert.deepEqual(unknownWarrenVariables(env), [
    'environment variable WARREN_SOMETHING_ELSE is not one Warren reads; it is ignored',
    'environment variable WARREN_URL_FIEL is not one Warren reads; it is ignored (did you mean WARREN_URL_FILE?)',
  ]);
  assert.deepEqual(unknownWarrenVariables({ WARREN_TLS_CA: 'ca.pem', WARREN_HTTP_TOKEN: 'x' }), []);
});
