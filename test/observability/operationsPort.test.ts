import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerAdmin, uniqueName, waitFor } from '@warren/testing';
import { fixture, spawnWarren } from '../support/cli.js';
import { freePort } from '../support/ports.js';

describe('warren start --http-port: one operations port', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('serves /metrics, the health endpoints and the dashboard on one port (WARREN_HTTP_PORT works too)', async () => {
    const port = await freePort();
    const queue = uniqueName('ops.port');
    admin.trackQueue(queue);
    const { child, exited } = spawnWarren(['start', fixture('slowApp')], { FIXTURE_QUEUE: queue, WARREN_HTTP_PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        'the operations port answers',
        async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200,
        20_000,
      );
      const metrics = await fetch(`${base}/metrics`);
      assert.equal(metrics.status, 200);
      const text = await metrics.text();
      assert.match(text, new RegExp(`warren_consumer_prefetch\\{consumer="SlowWorker",queue="${queue.replace(/\./g, '\\.')}"\\} 20`));
      assert.match(text, /^process_cpu_user_seconds_total /m, "the process's own metrics too");
      assert.match(text, /^# TYPE warren_consumer_messages_total counter$/m);
      assert.equal((await fetch(`${base}/health/live`)).status, 200);
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
      const missing = await fetch(`${base}/nope`);
      assert.equal(missing.status, 404);
      assert.ok(((await missing.json()) as { try: string[] }).try.includes('/metrics'));
      child.kill('SIGTERM');
      const run = await exited;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`operations port: http://127\\.0\\.0\\.1:${port}/`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a bad port, host or log level stops start with one line naming the option', async () => {
    const runs: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['--http-port', 'abc'], {}, /^warren: --http-port must be a port from 1 to 65535, got "abc"\n$/],
      [['--health-port', '70000'], {}, /^warren: --health-port must be a port from 1 to 65535, got "70000"\n$/],
      [[], { WARREN_HTTP_PORT: '0' }, /^warren: WARREN_HTTP_PORT must be a port from 1 to 65535, got "0"\n$/],
      [['--http-port', '9464', '--health-port', '9465'], {}, /^warren: --http-port and --health-port name one port/],
      [['--http-host', '0.0.0.0'], {}, /^warren: --http-host needs --http-port/],
      [['--log-level', 'loud'], {}, /^warren: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"\n$/],
      [[], { WARREN_LOG_LEVEL: 'verbose' }, /^warren: WARREN_LOG_LEVEL must be one of .*got "verbose"\n$/],
    ];
    for (const [args, env, expected] of runs) {
      const r = await spawnWarren(['start', fixture('slowApp'), ...args], { FIXTURE_QUEUE: uniqueName('ops.bad'), ...env }).exited;
      assert.equal(r.code, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, expected);
    }
  });
});
