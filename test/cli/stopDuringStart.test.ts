import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { rabbitmqctl, TcpProxy, uniqueName, waitFor } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';
import { fixture, spawnWarren, watchStdout } from '../support/cli.js';

describe('warren start: a signal before the app runs', () => {
  it('SIGTERM while connecting to a broker that does not answer: exit 0 at once, logged as stopped during start', async () => {
    const broker = new URL(BROKER_URL);
    const proxy = await TcpProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
    proxy.stall(); // TCP connects, the AMQP handshake never completes (amqplib would wait its 5 s connect timeout)
    const { child, exited } = spawnWarren(['start', fixture('slowApp'), '--url', proxy.url(BROKER_URL)], {
      FIXTURE_QUEUE: uniqueName('stopstart'),
    });
    try {
      await waitFor('both connections mid-handshake', () => proxy.connections === 2);
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const r = await exited;
      const tookMs = Date.now() - signalledAt;
      assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.ok(tookMs < 2000, `did not wait for the connect timeout (took ${tookMs} ms)`);
      const messages = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; clean?: boolean });
      const stopped = messages.find((m) => m.msg === 'stopped during start: the app never ran');
      assert.equal(stopped?.clean, true, r.stdout);
      assert.ok(messages.some((m) => m.msg === 'signal received while starting: stopping'));
      assert.ok(!messages.some((m) => m.msg === 'warren app running'));
    } finally {
      child.kill('SIGKILL');
      await proxy.close();
    }
  });

  it('SIGTERM while the app module is still being configured: exit 0 at once, no broker connection opened', async () => {
    const broker = new URL(BROKER_URL);
    const proxy = await TcpProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
    const { child, exited } = spawnWarren(['start', fixture('slowConfigureApp'), '--url', proxy.url(BROKER_URL)]);
    try {
      await watchStdout(child).until('configure() to begin', (text) => text.includes('configuring\n'));
      child.kill('SIGTERM');
      const r = await exited;
      assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
      assert.equal(r.stderr, 'warren: SIGTERM before the app started: exiting\n');
      assert.equal(proxy.connections, 0);
    } finally {
      child.kill('SIGKILL');
      await proxy.close();
    }
  });

  after(async () => {
    await waitFor(
      'no fixture connections left',
      async () => !(await rabbitmqctl('list_connections', 'client_properties')).includes('fixture:'),
      10_000,
      200,
    );
  });
});
