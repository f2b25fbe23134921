// Side by side with other files: each scenario has its own queue and worker processes, and nothing here changes the broker as a whole.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BrokerAdmin, queueCounts, Tally, uniqueName, waitFor } from '@warren/testing';
import { fixture, spawnWarren } from '../support/cli.js';
import { COUNT, checkTally, deleteQueues, waitQueueSettled, within } from './harness.js';

const PREFETCH = 20;

interface Line {
  id: string;
  at: number;
}

/** The fixture's "start"/"done" lines, in file order. */
function read(file: string): { starts: Line[]; dones: Line[] } {
  const starts: Line[] = [];
  const dones: Line[] = [];
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { starts, dones };
  }
  for (const l of text.split('\n')) {
    const [kind, id, at] = l.split(' ');
    if (id === undefined || at === undefined) continue;
    if (kind === 'start') starts.push({ id, at: Number(at) });
    else if (kind === 'done') dones.push({ id, at: Number(at) });
  }
  return { starts, dones };
}

/** Declares the queue as the worker will (with its dead-letter route) and fills it. */
async function fill(queue: string, bodies: Array<{ id: string; slow?: boolean }>): Promise<void> {
  const admin = await BrokerAdmin.open();
  try {
    await admin.channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` },
    });
    await admin.sendMany(queue, bodies);
  } finally {
    await admin.connection.close();
  }
}

function worker(queue: string, out: string, env: Record<string, string> = {}): ReturnType<typeof spawnWarren> {
  return spawnWarren(['start', fixture('faultApp'), '--grace', '10000'], {
    FIXTURE_QUEUE: queue,
    FIXTURE_NAME: queue,
    FIXTURE_PREFETCH: String(PREFETCH),
    FIXTURE_DELAY_MS: '3',
    FIXTURE_OUT: out,
    ...env,
  });
}

/** Waits until the fixture's log shows every id done. */
function allHandled(ids: readonly string[], out: string): Promise<void> {
  return waitFor(
    `all ${ids.length} handled`,
    () => {
      const seen = new Set(read(out).dones.map((d) => d.id));
      return ids.every((id) => seen.has(id));
    },
    30_000,
    50,
  );
}

describe('worker process faults (warren start)', () => {
  it('SIGKILL mid-batch, then a restart: every id handled, duplicates only from the deliveries in flight at the kill', async (t) => {
    const queue = uniqueName('fault.sigkill');
    const out = join(tmpdir(), `${queue}.log`);
    rmSync(out, { force: true });
    const ids = Array.from({ length: COUNT }, (_, i) => `k${i}`);
    let first: ReturnType<typeof spawnWarren> | undefined;
    let second: ReturnType<typeof spawnWarren> | undefined;
    try {
      await fill(
        queue,
        ids.map((id) => ({ id })),
      );
      first = worker(queue, out);
      await waitFor('800 handled by the first worker', () => read(out).dones.length >= 800, 30_000, 10);
      first.child.kill('SIGKILL');
      const killed = await within(10_000, 'the killed worker to exit', first.exited);
      assert.equal(killed.signal, 'SIGKILL');
      const atKill = read(out);
      const doneBeforeKill = new Set(atKill.dones.map((d) => d.id));
      const startedNotDone = atKill.starts.filter((s) => !doneBeforeKill.has(s.id)).length;

      second = worker(queue, out);
      await allHandled(ids, out);
      // And nothing left in the queue: messages the killed worker had finished but not acked come
      // back, and may still be waiting (ready, or taken but not yet run) once every id has been seen.
      await waitQueueSettled(queue);
      second.child.kill('SIGTERM');
      const stopped = await within(15_000, 'the second worker to exit', second.exited);
      assert.equal(stopped.code, 0, `exit code; stderr: ${stopped.stderr}`);

      const tally = new Tally();
      for (const d of read(out).dones) tally.add(d.id);
      const redone = [...tally.seen].filter(([id, n]) => n > 1 && doneBeforeKill.has(id)).length;
      await checkTally(t, {
        scenario: 'SIGKILL mid-batch + restart',
        expected: ids,
        tally,
        // Handled but not yet acked when the process died: at most the prefetch window.
        maxDuplicates: PREFETCH,
        queues: [queue],
        extra: {
          'handled by the killed worker': doneBeforeKill.size,
          'started but unfinished at the kill': startedNotDone,
          'duplicates that were handled before the kill': redone,
        },
      });
      assert.equal(redone, tally.duplicates(), 'every duplicate is a message the killed worker had handled but not acked');
    } finally {
      first?.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      rmSync(out, { force: true });
      await deleteQueues(queue);
    }
  });

  it('SIGTERM with slow in-flight handlers: intake stops, in-flight work finishes, exit 0, nothing lost, nothing unacked', async (t) => {
    const queue = uniqueName('fault.sigterm');
    const out = join(tmpdir(), `${queue}.log`);
    rmSync(out, { force: true });
    const fast = Array.from({ length: COUNT - 500 }, (_, i) => `f${i}`);
    const slow = Array.from({ length: 500 }, (_, i) => `s${i}`);
    const ids = [...fast, ...slow];
    let first: ReturnType<typeof spawnWarren> | undefined;
    let second: ReturnType<typeof spawnWarren> | undefined;
    try {
      await fill(queue, [...fast.map((id) => ({ id })), ...slow.map((id) => ({ id, slow: true }))]);
      first = worker(queue, out, { FIXTURE_SLOW_MS: '4000' });
      await waitFor(
        `${PREFETCH} slow handlers running`,
        () => read(out).starts.filter((s) => s.id.startsWith('s')).length >= PREFETCH,
        30_000,
        10,
      );
      const signalledAt = Date.now();
      first.child.kill('SIGTERM');
      // While the slow handlers drain: the broker already sees no consumer, and the in-flight ones still unacked.
      const draining = await queueCounts(queue);
      const drainSampledAt = Date.now();
      const result = await within(20_000, 'exit after SIGTERM', first.exited);
      const exitedMs = Date.now() - signalledAt;
      assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
      const afterStop = read(out);
      const lateStarts = afterStop.starts.filter((s) => s.at > signalledAt);
      const doneIds = new Set(afterStop.dones.map((d) => d.id));
      const unfinished = afterStop.starts.filter((s) => !doneIds.has(s.id));
      const finishedDuringDrain = afterStop.dones.filter((d) => d.at > signalledAt).length;
      const stoppedLog = result.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; clean?: boolean })
        .find((l) => l.msg === 'stopped');
      const afterExit = await queueCounts(queue);
      const drain = {
        'SIGTERM -> exit (ms)': exitedMs,
        'broker while draining': `${draining.consumers} consumers, ${draining.unacked} unacked (sampled ${drainSampledAt - signalledAt} ms after SIGTERM)`,
        'handlers started after SIGTERM': lateStarts.length,
        'in-flight finished during the drain': finishedDuringDrain,
        'started, never finished': unfinished.length,
        'after exit': `${afterExit.ready} ready, ${afterExit.unacked} unacked`,
        'stop report clean': stoppedLog?.clean,
      };
      console.log(`[faults] SIGTERM drain: ${JSON.stringify(drain)}`);
      assert.equal(lateStarts.length, 0, 'no delivery started after SIGTERM');
      assert.equal(unfinished.length, 0, 'every started handler finished');
      assert.equal(finishedDuringDrain, PREFETCH, 'the in-flight slow handlers finished during the drain');
      if (drainSampledAt - signalledAt < 3500) {
        assert.equal(draining.consumers, 0, 'intake stopped first');
        assert.equal(draining.unacked, PREFETCH, 'in-flight deliveries still held while they finish');
      }
      assert.equal(afterExit.unacked, 0);
      assert.equal(afterExit.ready, ids.length - doneIds.size, 'the rest is still queued');
      assert.equal(stoppedLog?.clean, true);

      // A fresh worker takes the rest (fast now): nothing was lost.
      second = worker(queue, out, { FIXTURE_SLOW_MS: '3' });
      await allHandled(ids, out);
      second.child.kill('SIGTERM');
      assert.equal((await within(15_000, 'the second worker to exit', second.exited)).code, 0);
      const tally = new Tally();
      for (const d of read(out).dones) tally.add(d.id);
      await checkTally(t, {
        scenario: 'SIGTERM drain + restart',
        expected: ids,
        tally,
        maxDuplicates: 0,
        queues: [queue],
        extra: { 'handled before SIGTERM exit': doneIds.size, ...drain },
      });
    } finally {
      first?.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      rmSync(out, { force: true });
      await deleteQueues(queue);
    }
  });
});
