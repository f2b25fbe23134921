import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, createPublisher, defineApp, silentLogger, WarrenApp, Worker } from '@warren/core';
import { BrokerAdmin, rabbitmqctl, uniqueName, waitFor } from '@warren/testing';
import { type CheckJson, checkStatuses, fixtureNames, json, warren } from '../support/operator.js';

interface PermissionsJson extends CheckJson {
  permissions: {
    user: string;
    vhost: string;
    patterns: { configure: string; write: string; read: string };
    needs: Array<{ permission: string; kind: string; name: string; verdict: string; optional?: boolean }>;
  };
}

const PASSWORD = `perm-pw-${Math.random().toString(36).slice(2)}`;
const urlOf = (user: string): string => `amqp://${user}:${PASSWORD}@127.0.0.1:5672`;

describe('least privilege: warren check lists and verifies permissions; consumers with declare: false', () => {
  let admin: BrokerAdmin;
  const users: string[] = [];
  async function user(configure: string, write: string, read: string): Promise<string> {
    const name = uniqueName('perm-user');
    users.push(name);
    await rabbitmqctl('add_user', name, PASSWORD);
    await rabbitmqctl('set_permissions', '-p', '/', name, configure, write, read);
    return name;
  }
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    for (const u of users) await rabbitmqctl('delete_user', u).catch(() => undefined);
    await admin.cleanup();
  });

  it('without configure: names each missing permission and exits non-zero; granting the patterns it prints makes it pass', async () => {
    const { q, downstream } = fixtureNames(admin, 'sec.perm');
    await admin.channel.assertQueue(downstream, { durable: true });
    assert.equal((await warren(q, 'topology', ['--apply'])).code, 0);
    const restricted = await user('^$', '.*', '.*');
    const out = await warren(q, 'check', ['--json'], { WARREN_URL: urlOf(restricted) });
    assert.equal(out.code, 4, out.stderr);
    const report = json<PermissionsJson>(out);
    assert.equal(checkStatuses(report), 'options ok, connect ok, deadlines ok, topology failed, permissions failed');
    const summary = report.checks.find((c) => c.name === 'permissions')?.summary ?? '';
    // Every queue the app declares (work, DLQ, two delay queues; the quorum queue and its DLQ) and its exchange.
    const queues = [q, `${q}.dlq`, `${q}.retry.200`, `${q}.retry.60000`, `${q}.q`, `${q}.q.dlq`];
    assert.match(summary, new RegExp(`^user "${restricted}" on vhost "/" lacks configure on `));
    for (const name of queues) assert.ok(summary.includes(`queue ${name}`), `${name} in: ${summary}`);
    assert.ok(summary.includes(`exchange ${q}.x`), summary);
    assert.doesNotMatch(summary, /write on|read on/, 'write and read are granted');
    const refused = report.permissions.needs.filter((n) => n.verdict === 'refused');
    assert.deepEqual(new Set(refused.map((n) => n.permission)), new Set(['configure']));
    assert.doesNotMatch(out.stdout + out.stderr, new RegExp(PASSWORD));

    // The least-privilege grant the report prints is enough, and no more is needed.
    const { configure, write, read } = report.permissions.patterns;
    const least = await user(configure, write, read);
    const again = await warren(q, 'check', ['--json'], { WARREN_URL: urlOf(least) });
    const passed = json<PermissionsJson>(again);
    assert.equal(again.code, 0, JSON.stringify(passed.checks));
    assert.deepEqual(
      passed.permissions.needs.filter((n) => n.verdict === 'refused'),
      [],
    );
    // A user with less than that: read on the work queue taken away is named.
    const withoutWork = read.replace(`(${q.replace(/\./g, '\\.')}|`, '(');
    assert.notEqual(withoutWork, read);
    const noRead = await user(configure, write, withoutWork);
    const third = await warren(q, 'check', ['--json'], { WARREN_URL: urlOf(noRead) });
    assert.notEqual(third.code, 0);
    assert.match(
      json<PermissionsJson>(third).checks.find((c) => c.name === 'permissions')?.summary ?? '',
      new RegExp(`read on queue ${q}\\b`),
    );
  });

  it('a consumer with declare: false runs for a user without configure permission: every message handled', async () => {
    const queue = uniqueName('sec.nodeclare');
    admin.trackQueue(queue);
    await admin.channel.assertQueue(queue, { durable: true });
    const worker = await user('^$', '^amq\\.default$', `^${queue.replace(/\./g, '\\.')}$`);
    const handled: string[] = [];
    @Consumer({ queue, declare: false, prefetch: 10 })
    class NoDeclareWorker extends Worker<{ id: string }> {
      async handle(msg: { id: string }): Promise<void> {
        handled.push(msg.id);
      }
    }
    const app = await WarrenApp.create(defineApp({ name: 'no-declare', consumers: [NoDeclareWorker] }), {
      url: urlOf(worker),
      logger: silentLogger(),
    });
    await app.start();
    try {
      const publisher = await createPublisher({ url: urlOf(worker), logger: silentLogger() });
      const ids = Array.from({ length: 100 }, (_, i) => `n${i}`);
      try {
        await Promise.all(ids.map((id) => publisher.send(queue, { id })));
      } finally {
        await publisher.close();
      }
      await waitFor('every message handled', () => handled.length >= ids.length);
      assert.equal(handled.length, ids.length);
      assert.deepEqual(new Set(handled), new Set(ids));
      assert.equal(app.health().status, 'ok', JSON.stringify(app.health()));
    } finally {
      await app.stop();
    }
  });
});
