import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerAdmin, rabbitmqctl, uniqueName } from '@warren/testing';
import { type CheckJson, checkStatuses, fixtureNames, json, warren } from '../support/operator.js';

describe('warren check: permissions', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('a user without configure permission: each declare is refused, and check says so (exit 4)', async () => {
    const { q, downstream } = fixtureNames(admin, 'ops.perm');
    const user = uniqueName('ops-user');
    await admin.channel.assertQueue(downstream, { durable: true });
    assert.equal((await warren(q, 'topology', ['--apply'])).code, 0);
    await rabbitmqctl('add_user', user, 'pw-of-a-test');
    try {
      await rabbitmqctl('set_permissions', '-p', '/', user, '^$', '.*', '.*');
      const out = await warren(q, 'check', ['--json', '--url', `amqp://${user}:pw-of-a-test@127.0.0.1:5672`]);
      assert.equal(out.code, 4, out.stderr);
      const report = json<CheckJson>(out);
      assert.equal(checkStatuses(report), 'options ok, connect ok, deadlines ok, topology failed, permissions failed');
      // Every queue and exchange the app declares (7 + 2), less the downstream queue it only needs to exist.
      assert.equal(report.differences.length, 8);
      for (const d of report.differences) {
        assert.equal(d.problem, 'refused', d.name);
        assert.match(d.detail, new RegExp(`ACCESS_REFUSED .*'${d.name}'.* user '${user}'`));
      }
      assert.doesNotMatch(out.stdout + out.stderr, /pw-of-a-test/);
    } finally {
      await rabbitmqctl('delete_user', user);
    }
  });
});
