import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BrokerAdmin, uniqueName, waitFor } from '@warren/testing';
import { BROKER_URL } from '../support/broker.js';
import { fixture, spawnWarren } from '../support/cli.js';
import { deleteQueues, within } from './harness.js';

const PREFETCH = 100;
const COUNT = 3000;
const KILL_AFTER = 1000;
const ROUNDS = 3;

type Subject = 'warren' | 'raw amqplib';

interface Kill {
  handledBeforeKill: number;
  /** Handled by the killed worker and delivered again afterwards: acks the broker never got. */
  duplicates: number;
}

/** Ids of the fixture's "done" lines, in file order. */
function dones(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const [kind, id] = line.split(' ');
    if (kind === 'done' && id !== undefined) ids.push(id);
  }
  return ids;
}

function start(subject: Subject, queue: string, out: string): ReturnType<typeof spawnWarren> {
  const env = { FIXTURE_QUEUE: queue, FIXTURE_NAME: queue, FIXTURE_PREFETCH: String(PREFETCH), FIXTURE_DELAY_MS: '0', FIXTURE_OUT: out };
  if (subject === 'warren') return spawnWarren(['start', fixture('faultApp')], env);
  const child = spawn(process.execPath, [fixture('rawAckWorker')], {
    env: { ...process.env, ...env, AMQP_URL: BROKER_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
  });
  return { child, exited };
}

/**
 * One SIGKILL of a worker with a no-op handler in the middle of a full queue, then a drain of the
 * rest: every id accounted for, and the duplicates counted — messages the worker had handled but
 * whose acks the broker never got.
 */
async function killOnce(subject: Subject): Promise<Kill> {
  const queue = uniqueName('fault.killack');
  const out = join(tmpdir(), `${queue}.log`);
  rmSync(out, { force: true });
  const ids = Array.from({ length: COUNT }, (_, i) => `a${i}`);
  const admin = await BrokerAdmin.open();
  let worker: ReturnType<typeof spawnWarren> | undefined;
  try {
    // As faultApp's consumer declares it (with its dead-letter route), so both subjects read the same queue.
    await admin.channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` },
    });
    await admin.sendMany(
      queue,
      ids.map((id) => ({ id })),
    );
    worker = start(subject, queue, out);
    await waitFor(`${KILL_AFTER} handled by ${subject}`, () => dones(out).length >= KILL_AFTER, 30_000, 5);
    worker.child.kill('SIGKILL');
    assert.equal((await within(10_000, 'the killed worker to exit', worker.exited)).signal, 'SIGKILL');
    const handled = dones(out);
    const handledSet = new Set(handled);
    assert.equal(handledSet.size, handled.length, `${subject} handled no message twice before the kill`);

    // What the broker still holds: everything not acked, each id counted as it comes.
    const seen = new Map<string, number>();
    await admin.channel.prefetch(500);
    await admin.channel.consume(queue, (m) => {
      if (m === null) return;
      const { id } = JSON.parse(m.content.toString()) as { id: string };
      seen.set(id, (seen.get(id) ?? 0) + 1);
      admin.channel.ack(m);
    });
    await waitFor('every id handled or drained', () => ids.every((id) => handledSet.has(id) || seen.has(id)), 30_000, 20);
    const twice = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'the drain got each message once');
    const duplicates = [...seen.keys()].filter((id) => handledSet.has(id)).length;
    assert.equal(handled.length + seen.size - duplicates, COUNT, 'every id accounted for, none lost');
    assert.ok(duplicates <= PREFETCH, `${duplicates} duplicates: at most the prefetch window (${PREFETCH}) can be unacked`);
    return { handledBeforeKill: handled.length, duplicates };
  } finally {
    worker?.child.kill('SIGKILL');
    rmSync(out, { force: true });
    await admin.connection.close().catch(() => undefined);
    await deleteQueues(queue);
  }
}

/**
 * What batching the acks of a turn costs when the process dies outright: Warren (acks of one
 * event-loop turn written together at its end, ChannelAcks) against raw amqplib acking each
 * message as it goes, the same no-op work, killed at the same point, alternating. Either way a
 * killed worker's unwritten acks come back as redeliveries, at most the prefetch window.
 */
describe('SIGKILL duplicates: acks batched per turn vs acked one by one', () => {
  it(`${ROUNDS} kills each at prefetch ${PREFETCH}: nothing lost, duplicates within the window, printed side by side`, async () => {
    const results: Record<Subject, Kill[]> = { warren: [], 'raw amqplib': [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const subject of ['warren', 'raw amqplib'] as const) results[subject].push(await killOnce(subject));
    }
    const line = (s: Subject): string =>
      `${s}: duplicates ${results[s].map((k) => k.duplicates).join('/')} (handled before the kill ${results[s].map((k) => k.handledBeforeKill).join('/')})`;
    console.log(`[faults] SIGKILL at ${KILL_AFTER} of ${COUNT}, prefetch ${PREFETCH}: ${line('warren')}; ${line('raw amqplib')}`);
  });
});
