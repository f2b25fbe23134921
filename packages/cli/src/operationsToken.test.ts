import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { WarrenApp } from '@warren/core';
import { startOperationsServer } from './operationsServer.js';
import { operationsToken } from './operationsToken.js';

const TOKEN = 'a-test-token-of-32-characters-xx';
const app = { health: () => ({ status: 'ok' }), appMetrics: undefined } as unknown as WarrenApp;

test('with a token, every endpoint but /health/live needs the bearer token', async () => {
  const server = await startOperationsServer(app, { port: 0, token: TOKEN });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const status = async (path: string, authorization?: string): Promise<number> =>
      (await fetch(`${base}${path}`, authorization === undefined ? {} : { headers: { authorization } })).status;
    for (const path of ['/', '/health', '/health/ready', '/metrics', '/api/state', '/nowhere']) {
      assert.equal(await status(path), 401, path);
      assert.equal(await status(path, `Bearer ${TOKEN}x`), 401, path);
      assert.equal(await status(path, TOKEN), 401, `${path} without "Bearer"`);
    }
    assert.equal(await status('/health/live'), 200);
    assert.equal(await status('/health', `Bearer ${TOKEN}`), 200);
    assert.equal(await status('/metrics', `bearer ${TOKEN}`), 404); // metrics off in this stub: past the guard
  } finally {
    server.close();
  }
});

test('WARREN_HTTP_TOKEN or its _FILE, not both, and not a short one', () => {
  assert.equal(operationsToken({}), undefined);
  assert.equal(operationsToken({ WARREN_HTTP_TOKEN: TOKEN }), TOKEN);
  assert.throws(() => operationsToken({ WARREN_HTTP_TOKEN: 'short' }), /WARREN_HTTP_TOKEN is shorter than 16 characters/);
  assert.throws(() => operationsToken({ WARREN_HTTP_TOKEN: TOKEN, WARREN_HTTP_TOKEN_FILE: '/x' }), /both set/);
});
