import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrokerAdmin, queueCounts, rabbitmqctl, uniqueName, waitFor } from '@warren/testing';
import { fixture, fixtureLines, spawnWarren } from '../support/cli.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForHttp(url: string): Promise<Response> {
  let response: Response | undefined;
  await waitFor(`${url} answers`, async () => {
    response = await fetch(url).catch(() => undefined);
    return response !== undefined;
  });
  return response as Response;
}

describe('warren start', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('SIGTERM with 20 slow messages in flight: exits 0 within the grace period, nothing lost or left unacked', async () => {
    const queue = uniqueName('sigterm');
    admin.trackQueue(queue);
    const out = join(tmpdir(), `${queue}.log`);
    rmSync(out, { force: true });
    await admin.channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` },
    });
    const ids = Array.from({ length: 60 }, (_, i) => `s${i}`);
    await admin.sendMany(
      queue,
      ids.map((id) => ({ id })),
    );
    const { child, exited } = spawnWarren(['start', fixture('slowApp'), '--grace', '5000'], {
      FIXTURE_QUEUE: queue,
      FIXTURE_DELAY_MS: '1500',
      FIXTURE_PREFETCH: '20',
      FIXTURE_OUT: out,
    });
    try {
      await waitFor('20 handlers started', () => fixtureLines(out, 'start ').length >= 20, 20_000);
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const result = await exited;
      const tookMs = Date.now() - signalledAt;
      assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
      assert.ok(tookMs < 5000, `exited within the grace period (took ${tookMs} ms)`);
      const done = fixtureLines(out, 'done ');
      assert.equal(done.length, 20, 'the 20 in-flight handlers finished');
      assert.equal(new Set(done).size, 20);
      const counts = await queueCounts(queue);
      assert.equal(counts.unacked, 0);
      assert.equal(done.length + counts.ready, ids.length, 'handled + still queued = published');
    } finally {
      child.kill('SIGKILL');
      rmSync(out, { force: true });
    }
  });

  it('a second signal exits at once, and the unfinished messages go back to the queue', async () => {
    const queue = uniqueName('sigtwice');
    admin.trackQueue(queue);
    const out = join(tmpdir(), `${queue}.log`);
    rmSync(out, { force: true });
    await admin.channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` },
    });
    await admin.sendMany(
      queue,
      Array.from({ length: 10 }, (_, i) => ({ id: `d${i}` })),
    );
    const { child, exited } = spawnWarren(['start', fixture('slowApp'), '--grace', '30000'], {
      FIXTURE_QUEUE: queue,
      FIXTURE_DELAY_MS: '60000',
      FIXTURE_OUT: out,
    });
    try {
      await waitFor('10 handlers started', () => fixtureLines(out, 'start ').length >= 10, 20_000);
      child.kill('SIGTERM');
      await waitFor('stop began', async () => (await queueCounts(queue)).consumers === 0, 10_000, 100);
      child.kill('SIGINT');
      const result = await exited;
      assert.equal(result.code, 130);
      await waitFor('all 10 back in the queue', async () => {
        const c = await queueCounts(queue);
        return c.ready === 10 && c.unacked === 0;
      });
    } finally {
      child.kill('SIGKILL');
      rmSync(out, { force: true });
    }
  });

  it('an unreachable broker: one line, exit 1, no password', async () => {
    const { exited } = spawnWarren(['start', fixture('slowApp'), '--url', 'amqp://bob:hunter2@127.0.0.1:1']);
    const r = await exited;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^warren: cannot reach broker amqp:\/\/bob:\*\*\*@127\.0\.0\.1:1: connection refused.*\(ECONNREFUSED\)\n$/);
    assert.ok(!(r.stderr + r.stdout).includes('hunter2'));
  });

  it('a wrong password: one line, exit 1, and the password is not printed', async () => {
    const { exited } = spawnWarren(['start', fixture('slowApp')], { WARREN_URL: 'amqp://guest:wrong-secret@127.0.0.1:5672' });
    const r = await exited;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^warren: broker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672 refused the login: wrong user name or password/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!(r.stderr + r.stdout).includes('wrong-secret'));
  });

  it('an unknown vhost and a bad URL scheme say so', async () => {
    const vhost = await spawnWarren(['start', fixture('slowApp'), '--url', 'amqp://guest:guest@127.0.0.1:5672/no-such-vhost']).exited;
    assert.equal(vhost.code, 1);
    assert.match(vhost.stderr, /virtual host does not exist/);
    const scheme = await spawnWarren(['start', fixture('slowApp'), '--url', 'http://guest:pw123@127.0.0.1:5672']).exited;
    assert.equal(scheme.code, 2);
    assert.match(scheme.stderr, /must start with amqp:\/\/ or amqps:\/\//);
    assert.ok(!scheme.stderr.includes('pw123'));
  });

  it('a bad option fails start naming the consumer and the option', async () => {
    const r = await spawnWarren(['start', fixture('slowApp')], { FIXTURE_PREFETCH: '0', FIXTURE_QUEUE: uniqueName('badopt') }).exited;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^warren: @Consumer SlowWorker: option "prefetch" must be a whole number from 1 to 65535, got 0\n$/);
  });

  it('--health-port serves live and ready checks', async () => {
    const port = await freePort();
    const queue = uniqueName('health');
    admin.trackQueue(queue);
    const { child, exited } = spawnWarren(['start', fixture('slowApp'), '--health-port', String(port)], { FIXTURE_QUEUE: queue });
    try {
      const ready = await waitForHttp(`http://127.0.0.1:${port}/health/ready`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { status: string; consumers: Array<{ queue: string; prefetch: number }> };
      assert.equal(body.status, 'ok');
      assert.deepEqual(
        body.consumers.map((c) => [c.queue, c.prefetch]),
        [[queue, 20]],
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
      child.kill('SIGTERM');
      assert.equal((await exited).code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  after(async () => {
    // No connection of a test child may outlive it.
    await waitFor(
      'no fixture connections left',
      async () => !(await rabbitmqctl('list_connections', 'client_properties')).includes('fixture:'),
      10_000,
      200,
    );
  });
});
