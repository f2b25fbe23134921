import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBrokerUrl } from '../connection/brokerUrl.js';
import { DEFAULT_CONSUMER_TIMEOUT_MS, parseGetEnv, readBrokerConsumerTimeout } from './consumerTimeout.js';

test('parseGetEnv reads what rabbitmqctl eval prints', () => {
  assert.equal(parseGetEnv('{ok,1800000}\n'), 1_800_000);
  assert.equal(parseGetEnv('undefined\n'), undefined);
  assert.equal(parseGetEnv('{ok,infinity}'), undefined);
  assert.equal(parseGetEnv('Error: something'), null);
});

test('an explicit value wins; a remote broker gets the documented default', async () => {
  assert.deepEqual(await readBrokerConsumerTimeout(parseBrokerUrl('amqp://h'), 5000), { ms: 5000, source: 'option' });
  assert.deepEqual(await readBrokerConsumerTimeout(parseBrokerUrl('amqp://h'), 0), { ms: undefined, source: 'option' });
  assert.deepEqual(await readBrokerConsumerTimeout(parseBrokerUrl('amqp://rabbit.example')), {
    ms: DEFAULT_CONSUMER_TIMEOUT_MS,
    source: 'assumed-default',
  });
});
