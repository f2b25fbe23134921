import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { queueCounts } from './queueCounts.js';
import { RabbitmqctlNotFoundError } from './rabbitmqctl.js';
import { withMemoryAlarm } from './withMemoryAlarm.js';

test('without rabbitmqctl on the PATH, its helpers fail with one line naming what is missing, and run nothing else', async (t) => {
  const path = process.env.PATH;
  process.env.PATH = mkdtempSync(join(tmpdir(), 'no-rabbitmqctl-'));
  t.after(() => {
    process.env.PATH = path;
  });
  const missing = (error: unknown): boolean => {
    assert.ok(error instanceof RabbitmqctlNotFoundError);
    assert.match(error.message, /^rabbitmqctl is not on the PATH \(needed for `rabbitmqctl list_queues [^\n]*`\): .*local RabbitMQ/);
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
    return true;
  };
  await assert.rejects(queueCounts('q'), missing);
  let ran = false;
  await assert.rejects(
    withMemoryAlarm(async () => {
      ran = true;
    }),
    RabbitmqctlNotFoundError,
  );
  assert.equal(ran, false);
});
