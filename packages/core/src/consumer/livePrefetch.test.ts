import assert from 'node:assert/strict';
import { test } from 'node:test';
import { livePrefetchMechanism } from './livePrefetch.js';

const classic = { queueType: 'classic', declare: true } as const;

test('global qos only for a classic queue Warren declared, on RabbitMQ 3.x', () => {
  assert.equal(livePrefetchMechanism({ product: 'RabbitMQ', version: '3.10.8' }, classic), 'global');
  assert.equal(livePrefetchMechanism({ product: 'RabbitMQ', version: '3.13.7' }, classic), 'global');
});

test('re-subscribing everywhere else', () => {
  const rows: Array<[Parameters<typeof livePrefetchMechanism>[0], Parameters<typeof livePrefetchMechanism>[1], string]> = [
    [{ product: 'RabbitMQ', version: '3.10.8' }, { queueType: 'quorum', declare: true }, 'quorum queues ignore global qos'],
    [{ product: 'RabbitMQ', version: '3.10.8' }, { queueType: 'classic', declare: false }, 'an undeclared queue may be a quorum queue'],
    [{ product: 'RabbitMQ', version: '4.0.5' }, classic, 'global_qos is deprecated in 4.x'],
    [{ product: 'RabbitMQ', version: '4.3.0' }, classic, 'and may be denied'],
    [{ product: 'LavinMQ', version: '2.0.0' }, classic, 'another broker'],
    [{}, classic, 'no server properties'],
  ];
  for (const [broker, queue, why] of rows) assert.equal(livePrefetchMechanism(broker, queue), 'resubscribe', why);
});
