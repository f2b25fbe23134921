import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { Consumer, createLogger, createPublisher, type Logger, WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, rabbitmqctl, TcpProxy, uniqueName, waitFor } from '@warren/testing';
import { fixture, spawnWarren } from '../support/cli.js';
import { freePort } from '../support/ports.js';

/**
 * The broker password must never show, whatever path a URL takes: a broker user of its own with
 * a password seen nowhere else (with an `@`, so its URL form is percent-encoded), and every log
 * line (at trace) and every error of each path searched for it.
 */
const SECRET = `Pw-${randomBytes(8).toString('hex')}`;
const PASSWORD = `${SECRET}@x`;
const USER = `warren-logtest-${randomBytes(3).toString('hex')}`;
const ENCODED = encodeURIComponent(PASSWORD);
/** A second secret, in a URL a handler's error names (its database, say). */
const DB_SECRET = `Db-${randomBytes(8).toString('hex')}`;

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ name: 'logtest', level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

/** Everything an error can show: message, stack, causes, own properties, JSON. */
function everything(error: unknown): string {
  const parts = [inspect(error, { depth: 20 }), JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}))];
  for (
    let e = error as { message?: unknown; stack?: unknown; cause?: unknown } | undefined;
    e !== undefined && e !== null;
    e = e.cause as typeof e
  ) {
    parts.push(String(e.message), String(e.stack));
  }
  return parts.join('\n');
}

function assertClean(what: string, text: string): void {
  for (const secret of [SECRET, DB_SECRET]) {
    assert.ok(!text.includes(secret), `${what} shows a secret:\n${text.split('\n').find((l) => l.includes(secret))}`);
  }
}

/** A consumer for apps that never get to consume (their start fails first). */
@Consumer({ queue: uniqueName('logs.never') })
class NeverStarts extends Worker<unknown> {
  async handle(): Promise<void> {}
}

async function failedStart(url: string): Promise<{ error: unknown; lines: string[] }> {
  const { log, lines } = capture();
  const app = await WarrenApp.create({ name: 'logtest', consumers: [NeverStarts] }, { urls: url, logger: log, startAttempts: 1 });
  const error = await app.start().then(
    () => assert.fail(`start with ${url.replace(ENCODED, '***')} should fail`),
    (e: unknown) => e,
  );
  await app.stop(0);
  return { error, lines };
}

describe('a URL password never appears in a log line or an error', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
    await rabbitmqctl('add_user', USER, PASSWORD);
    await rabbitmqctl('set_permissions', '-p', '/', USER, '.*', '.*', '.*');
  });
  after(async () => {
    await admin.cleanup();
    // Broker-wide: the user goes again.
    await rabbitmqctl('delete_user', USER);
  });

  it('running, reconnecting after a cut, a handler error naming a URL, stopping: every line at trace', async () => {
    const queue = uniqueName('logs.run');
    admin.trackQueue(queue);
    @Consumer({ queue, prefetch: 2 })
    class Failing extends Worker<unknown> {
      async handle(): Promise<void> {
        throw new Error(`orders db down: postgres://app:${DB_SECRET}@db:5432/orders`);
      }
    }
    const proxy = await TcpProxy.start('amqp://127.0.0.1:5672');
    const { log, lines } = capture();
    const app = await WarrenApp.create(
      { name: 'logtest', consumers: [Failing] },
      { urls: proxy.url(`amqp://${USER}:${ENCODED}@127.0.0.1:5672`), logger: log, reconnect: { initialDelayMs: 100 }, metrics: true },
    );
    try {
      await app.start();
      await admin.sendMany(queue, [{ n: 1 }]);
      await waitFor('dead-lettered', async () => (await admin.depth(`${queue}.dlq`)) === 1);
      proxy.reset();
      await waitFor('reconnected', () => app.connections.consume.generation >= 2 && app.consumers[0]?.state === 'consuming', 20_000);
      assertClean('the metrics', await app.metrics());
      assertClean('the health report', JSON.stringify(app.health()));
    } finally {
      await app.stop();
      await proxy.close();
    }
    const text = lines.join('');
    console.log(`[logs] ${lines.length} lines at trace while running, reconnecting and stopping`);
    assert.match(text, /"msg":"connection lost"/);
    assert.match(text, /"generation":2/);
    assert.match(text, /"msg":"dead-lettering message"/);
    assert.ok(text.includes(`${USER}:***@`), 'the broker is named, password masked');
    assert.ok(text.includes('postgres://app:***@db'), "the handler's URL is masked, not dropped");
    assertClean('the log', text);
  });

  it('a wrong password, an unreachable broker, an unknown vhost, a malformed URL: errors and logs', async () => {
    const port = await freePort();
    const cases: Array<[string, string, RegExp]> = [
      ['wrong password', `amqp://${USER}:${ENCODED}-wrong@127.0.0.1:5672`, /refused the login/],
      ['unreachable', `amqp://${USER}:${ENCODED}@127.0.0.1:${port}`, /ECONNREFUSED/],
      ['unknown vhost', `amqp://${USER}:${ENCODED}@127.0.0.1:5672/no-such-vhost`, /virtual host does not exist/],
      ['failover list', `amqp://${USER}:${ENCODED}@127.0.0.1:${port},amqp://${USER}:${ENCODED}-wrong@127.0.0.1:5672`, /refused the login/],
    ];
    for (const [what, url, expected] of cases) {
      const { error, lines } = await failedStart(url);
      assert.match((error as Error).message, expected, what);
      assertClean(`${what}: the error`, everything(error));
      assertClean(`${what}: the log`, lines.join(''));
    }
    const malformed = await WarrenApp.create({ name: 'logtest', consumers: [NeverStarts] }, { urls: `amqp://${USER}:${ENCODED}@` }).then(
      () => assert.fail('a URL without a host is refused'),
      (e: unknown) => e,
    );
    assert.match((malformed as Error).message, /not a valid URL/);
    assertClean('a malformed URL', everything(malformed));
    const standalone = await createPublisher({ url: `amqp://${USER}:${ENCODED}@127.0.0.1:${port}`, logger: capture().log }).then(
      () => assert.fail('unreachable'),
      (e: unknown) => e,
    );
    assertClean('a standalone publisher', everything(standalone));
  });

  it('warren start: a failed connect and a whole run at --log-level trace print no password', async () => {
    const port = await freePort();
    const failed = await spawnWarren([
      'start',
      fixture('slowApp'),
      '--url',
      `amqp://${USER}:${ENCODED}@127.0.0.1:${port}`,
      '--log-level',
      'trace',
    ]).exited;
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`${USER}:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
    assertClean('a failed start', failed.stdout + failed.stderr);

    const queue = uniqueName('logs.cli');
    admin.trackQueue(queue);
    const { child, exited } = spawnWarren(['start', fixture('slowApp'), '--log-level', 'trace'], {
      WARREN_URL: `amqp://${USER}:${ENCODED}@127.0.0.1:5672`,
      FIXTURE_QUEUE: queue,
      FIXTURE_DELAY_MS: '10',
    });
    try {
      await waitFor('the worker consumes', async () => (await queueCounts(queue).catch(() => undefined))?.consumers === 1, 20_000);
      await admin.sendMany(queue, [{ id: 'a' }, { id: 'b' }]);
      await waitFor('both handled', async () => (await admin.depth(queue)) === 0);
      child.kill('SIGTERM');
      const run = await exited;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /"msg":"message settled"/, 'trace shows the per-message debug lines');
      assertClean('a whole run', run.stdout + run.stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
