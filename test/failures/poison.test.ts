import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HEADER } from '@warren/core';
import { BrokerAdmin, queueCounts, Tally, uniqueName, waitFor } from '@warren/testing';
import { fixture, spawnWarren } from '../support/cli.js';

const read = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/**
 * Runs the poison fixture again each time it dies, as a supervisor would, until the good
 * messages are all handled and the poison one is in the DLQ.
 */
async function superviseUntilSettled(
  admin: BrokerAdmin,
  queue: string,
  env: NodeJS.ProcessEnv,
  out: string,
  good: string[],
): Promise<{ kills: number }> {
  let kills = 0;
  for (let run = 0; run < 12; run++) {
    const { child, exited } = spawnWarren(['start', fixture('poisonApp')], env);
    const settled = waitFor(
      'good ones done and poison dead-lettered',
      async () => {
        const done = new Set(read(out).filter((l) => l.startsWith('done ')));
        // And nothing left in the queue, ready or unacked: a worker SIGKILLed right after handling
        // messages can take their acks with it (not yet on the wire), so messages it finished come
        // back and are handled again (at-least-once; the printed line counts the duplicates).
        if (!good.every((id) => done.has(`done ${id}`)) || (await admin.depth(`${queue}.dlq`)) !== 1) return false;
        const left = await queueCounts(queue);
        return left.ready === 0 && left.unacked === 0;
      },
      30_000,
      100,
    ).then(() => 'settled' as const);
    const outcome = await Promise.race([settled, exited.then((e) => e)]).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    if (outcome === 'settled') {
      child.kill('SIGTERM');
      assert.equal((await exited).code, 0);
      return { kills };
    }
    assert.equal(outcome.signal, 'SIGKILL', `the worker died of the poison message, not of ${outcome.code}: ${outcome.stderr}`);
    kills++;
  }
  throw new Error('the poison message never reached the DLQ');
}

describe('a message that kills the worker', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  for (const kind of ['classic', 'quorum'] as const) {
    it(`${kind} queue: after the redelivery limit it is dead-lettered, and every other message is handled`, async () => {
      const queue = uniqueName(`poison-${kind}`);
      admin.trackQueue(queue);
      const out = join(tmpdir(), `${queue}.log`);
      rmSync(out, { force: true });
      const env = { FIXTURE_QUEUE: queue, FIXTURE_OUT: out, FIXTURE_REDELIVERY_LIMIT: '3', FIXTURE_QUORUM: kind === 'quorum' ? '1' : '0' };
      // Let the worker declare its topology first (a quorum queue cannot be declared by a test's default).
      {
        const { child, exited } = spawnWarren(['start', fixture('poisonApp')], env);
        await waitFor('queue declared', () => admin.queueExists(queue), 15_000, 100);
        child.kill('SIGTERM');
        await exited;
      }
      const good = Array.from({ length: 40 }, (_, i) => `g${i}`);
      const bodies = [...good.slice(0, 20).map((id) => ({ id })), { id: 'poison', poison: true }, ...good.slice(20).map((id) => ({ id }))];
      await admin.sendMany(queue, bodies);
      try {
        const { kills } = await superviseUntilSettled(admin, queue, env, out, good);
        const tally = new Tally();
        for (const l of read(out)) if (l.startsWith('done ')) tally.add(l.slice(5));
        assert.deepEqual(tally.missing(good), []);
        assert.equal(tally.seen.has('poison'), false);
        // Three deliveries allowed (redeliveryLimit 3): the worker died three times, then it went to the DLQ.
        if (kind === 'classic') assert.equal(kills, 3, 'kills');
        // A quorum queue counts every return of a message to the queue, and a copy Warren hands
        // back keeps the count so far: it may reach the limit one kill early, never late.
        else assert.ok(kills >= 2 && kills <= 3, `kills ${kills}`);
        const [dead] = await admin.drain(`${queue}.dlq`);
        const headers = dead?.properties.headers ?? {};
        assert.equal(headers[HEADER.reason], 'redelivery-limit');
        assert.ok(Number(headers[HEADER.attempt]) > 3, 'past the limit');
        assert.deepEqual(JSON.parse(dead?.content.toString() ?? '{}'), { id: 'poison', poison: true });
        const counts = await queueCounts(queue);
        assert.deepEqual([counts.ready, counts.unacked], [0, 0]);
        console.log(`# poison ${kind}: kills ${kills}; good handled ${tally.seen.size}/${good.length}, duplicates ${tally.duplicates()}`);
      } finally {
        rmSync(out, { force: true });
      }
    });
  }
});
