import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessHealth, type HealthInput } from './health.js';

const healthy: HealthInput = {
  appState: 'running',
  connected: true,
  liveness: { consumers: { a: { stalled: false, readyWhenChecked: 0, idleMs: 0 } }, connections: {} },
  consumerStates: ['consuming', 'paused', 'isolating'],
};

test('running, connected, nothing stalled or blocked: ok (paused and isolating consumers included)', () => {
  assert.equal(assessHealth(healthy), 'ok');
});

test('not running: down, whatever else holds', () => {
  for (const appState of ['created', 'starting', 'stopping', 'stopped', 'failed'] as const) {
    assert.equal(assessHealth({ ...healthy, appState }), 'down', appState);
  }
});

test('a lost connection, a recovering or stalled consumer, or a connection blocked too long: degraded', () => {
  assert.equal(assessHealth({ ...healthy, connected: false }), 'degraded');
  assert.equal(assessHealth({ ...healthy, consumerStates: ['consuming', 'recovering'] }), 'degraded');
  assert.equal(
    assessHealth({ ...healthy, liveness: { consumers: { a: { stalled: true, readyWhenChecked: 5, idleMs: 40_000 } }, connections: {} } }),
    'degraded',
  );
  const blocked = {
    state: 'connected',
    node: '127.0.0.1:5672',
    cluster: 'rabbit@host',
    blocked: true,
    blockedForMs: 60_000,
    blockedTooLong: true,
  };
  assert.equal(assessHealth({ ...healthy, liveness: { consumers: {}, connections: { publish: blocked } } }), 'degraded');
});
