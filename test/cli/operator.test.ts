import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerAdmin, uniqueName } from '@warren/testing';
import {
  type ApplyJson,
  type CheckJson,
  checkStatuses,
  exchangeExists,
  fixtureNames,
  json,
  queueTypes,
  results,
  warren,
} from '../support/operator.js';

describe('warren check and topology', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('topology prints every exchange, queue and binding with its arguments, and declares nothing', async () => {
    const { q, quorum, exchange } = fixtureNames(admin, 'ops.plan');
    const out = await warren(q, 'topology', ['--json']);
    assert.equal(out.code, 0, out.stderr);
    const plan = json<{
      applied: boolean;
      exchanges: Array<{ name: string; type: string }>;
      queues: Array<{ name: string; role: string; declare: boolean; arguments: Record<string, unknown> }>;
      bindings: Array<{ exchange: string; queue: string; routingKey: string }>;
    }>(out);
    assert.equal(plan.applied, false);
    assert.deepEqual(
      plan.exchanges.map((x) => [x.name, x.type]),
      [
        [exchange, 'topic'],
        ['warren.cancel', 'fanout'],
      ],
    );
    assert.deepEqual(
      plan.queues.map((x) => [x.name, x.role, x.declare, x.arguments]),
      [
        [`${q}.dlq`, 'dead-letter', true, {}],
        [q, 'work', true, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${q}.dlq` }],
        [`${q}.retry.200`, 'retry', true, { 'x-message-ttl': 200, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q }],
        [`${q}.retry.60000`, 'retry', true, { 'x-message-ttl': 60_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q }],
        [`${quorum}.dlq`, 'dead-letter', true, { 'x-queue-type': 'quorum' }],
        [
          quorum,
          'work',
          true,
          { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${quorum}.dlq`, 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
        ],
        [`${q}.downstream`, 'external', false, {}],
      ],
    );
    assert.deepEqual(plan.bindings, [{ exchange, queue: q, routingKey: 'order.*', owner: 'OrdersWorker' }]);

    const human = await warren(q, 'topology');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`queue +${quorum}  durable .*x-queue-type="quorum"`));
    assert.match(human.stdout, new RegExp(`binding +${exchange} -> ${q}  key "order.\\*"`));
    assert.match(human.stdout, /RetryLater with another delay waits in <queue>\.retry\.<step>/);
    for (const x of plan.queues) assert.equal(await admin.queueExists(x.name), false, `${x.name} was not declared`);
    assert.equal(await exchangeExists(admin, exchange), false);
  });

  it('check exits 4 on a queue declared classic that exists as quorum, says which and changes nothing; topology --apply then check exits 0', async () => {
    const { q, quorum, downstream, exchange } = fixtureNames(admin, 'ops.drift');
    await admin.channel.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await admin.channel.assertQueue(downstream, { durable: true }); // its own app declares it

    const found = await warren(q, 'check', ['--json']);
    assert.equal(found.code, 4, found.stderr);
    const report = json<CheckJson>(found);
    assert.equal(report.ok, false);
    assert.equal(checkStatuses(report), 'options ok, connect ok, deadlines ok, topology failed, permissions ok');
    const drifted = report.differences.filter((d) => d.problem === 'differs');
    assert.deepEqual(
      drifted.map((d) => [d.what, d.name]),
      [['queue', q]],
    );
    assert.deepEqual(
      drifted[0]?.arguments.find((a) => a.argument === 'x-queue-type'),
      { argument: 'x-queue-type', declared: null, actual: 'quorum' },
    );
    assert.deepEqual(
      report.differences.filter((d) => d.problem === 'missing').map((d) => `${d.what} ${d.name}`),
      [
        `exchange ${exchange}`,
        `queue ${q}.dlq`,
        `queue ${q}.retry.200`,
        `queue ${q}.retry.60000`,
        `queue ${quorum}.dlq`,
        `queue ${quorum}`,
      ],
    );
    assert.equal(report.differences.length, 7);

    const human = await warren(q, 'check');
    assert.equal(human.code, 4);
    assert.match(
      human.stdout,
      new RegExp(`queue "${q}" differs \\(queue of OrdersWorker\\): .*x-queue-type: declared none \\(classic\\), exists as "quorum"`),
    );
    assert.match(human.stdout, /guest:\*\*\*@127\.0\.0\.1/);
    assert.doesNotMatch(human.stdout + human.stderr, /:guest@/, 'the password is never printed');
    assert.equal(await admin.queueExists(`${q}.dlq`), false);
    assert.equal(await exchangeExists(admin, exchange), false);

    // --apply declares what is missing and leaves what differs: its messages are the operator's to move.
    const partly = await warren(q, 'topology', ['--apply', '--json']);
    assert.equal(partly.code, 4, partly.stderr);
    const first = json<ApplyJson>(partly);
    assert.deepEqual(
      { ...results(first), 'warren.cancel': 'either' },
      {
        [exchange]: 'created',
        'warren.cancel': 'either',
        [`${q}.dlq`]: 'created',
        [q]: 'failed',
        [`${q}.retry.200`]: 'created',
        [`${q}.retry.60000`]: 'created',
        [`${quorum}.dlq`]: 'created',
        [quorum]: 'created',
        [downstream]: 'exists',
        [`${exchange} -> ${q} ("order.*")`]: 'created',
      },
    );
    assert.match(first.results.find((r) => r.name === q)?.reason ?? '', /^differs: .*x-queue-type/);
    assert.deepEqual(await queueTypes(q, quorum), ['quorum', 'quorum'], 'neither check nor apply changed the drifted queue');

    await admin.channel.deleteQueue(q); // the operator's decision
    const applied = await warren(q, 'topology', ['--apply']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.match(applied.stdout, new RegExp(`created +queue +${q}\\n`));
    assert.match(applied.stdout, new RegExp(`exists +queue +${quorum}\\n`));
    // Deleting the queue took its binding with it.
    assert.match(applied.stdout, new RegExp(`created +binding +${exchange} -> ${q} \\("order\\.\\*"\\)\\n`));
    assert.match(applied.stdout, /ok: 2 created, 8 already there/);

    const clean = await warren(q, 'check', ['--json']);
    assert.equal(clean.code, 0, clean.stdout);
    const ok = json<CheckJson>(clean);
    assert.deepEqual([ok.ok, ok.differences, ok.notices], [true, [], []]);
    assert.ok(ok.checks.every((c) => c.status === 'ok'));
  });

  it('check lists a missing binding and each argument of a queue that differs, and notes a DLQ start keeps classic; apply binds and leaves the queue', async () => {
    const { q, quorum, downstream, exchange } = fixtureNames(admin, 'ops.args');
    await admin.channel.assertQueue(downstream, { durable: true });
    assert.equal((await warren(q, 'topology', ['--apply'])).code, 0);
    await admin.channel.unbindQueue(q, exchange, 'order.*');
    await admin.channel.deleteQueue(`${q}.retry.200`);
    await admin.channel.assertQueue(`${q}.retry.200`, { durable: true, arguments: { 'x-message-ttl': 300, 'x-max-length': 7 } });
    // The quorum consumer's DLQ as an earlier Warren made it, classic: start keeps it, so it is no difference.
    await admin.channel.deleteQueue(`${quorum}.dlq`);
    await admin.channel.assertQueue(`${quorum}.dlq`, { durable: true });

    const out = await warren(q, 'check', ['--json']);
    assert.equal(out.code, 4, out.stderr);
    const report = json<CheckJson>(out);
    // The broker names one setting per refusal, in its own order: compared sorted.
    const byName = (a: { argument: string }, b: { argument: string }): number => a.argument.localeCompare(b.argument);
    assert.deepEqual(
      report.differences.map((d) => [d.what, d.name, d.problem, [...d.arguments].sort(byName)]),
      [
        [
          'queue',
          `${q}.retry.200`,
          'differs',
          [
            { argument: 'x-dead-letter-exchange', declared: '', actual: null },
            { argument: 'x-dead-letter-routing-key', declared: q, actual: null },
            { argument: 'x-max-length', declared: null, actual: 7 },
            { argument: 'x-message-ttl', declared: 200, actual: 300 },
          ].sort(byName),
        ],
        ['binding', `${exchange} -> ${q} ("order.*")`, 'missing', []],
      ],
    );
    assert.deepEqual(
      report.notices.map((n) => n.split(' (')[0]),
      [`queue "${quorum}.dlq"`],
    );
    assert.match(report.notices[0] ?? '', /is classic, as an earlier Warren made it/);

    const apply = json<ApplyJson>(await warren(q, 'topology', ['--apply', '--json']));
    assert.equal(apply.ok, false);
    assert.equal(results(apply)[`${exchange} -> ${q} ("order.*")`], 'created');
    assert.equal(results(apply)[`${q}.retry.200`], 'failed');
    assert.equal(results(apply)[`${quorum}.dlq`], 'exists');
  });

  it('a bad option exits 2 naming it, before any connection', async () => {
    const out = await warren(uniqueName('ops.bad'), 'check', ['--json', '--url', 'amqp://guest:guest@127.0.0.1:1'], {
      FIXTURE_PREFETCH: '0',
    });
    assert.equal(out.code, 2, out.stderr);
    const report = json<CheckJson>(out);
    assert.equal(checkStatuses(report), 'options failed');
    assert.match(report.checks[0]?.summary ?? '', /OrdersWorker.*prefetch/);
  });

  it('a refused login exits 1, and no output carries the password', async () => {
    const url = 'amqp://guest:N0t-the-pw-93@127.0.0.1:5672';
    const check = await warren(uniqueName('ops.auth'), 'check', ['--json', '--url', url]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.equal(checkStatuses(json<CheckJson>(check)), 'options ok, connect failed');
    const status = await warren(uniqueName('ops.auth'), 'status', ['--url', url]);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^warren: broker amqp:\/\/guest:\*\*\*@127.0.0.1:5672 refused the login/m);
    for (const out of [check, status]) assert.doesNotMatch(out.stdout + out.stderr, /N0t-the-pw-93/);
  });
});
