/**
 * One measurement in a process of its own, so its CPU is its subject's alone and no library's
 * state leaks into another's: the parent (run.ts) forks this file, sends a Job, waits for
 * 'ready' (the subject's library loaded), prepares the broker (fills the queue), sends 'go',
 * and gets a 'result' or an 'error'.
 */
import { measureConsume } from './measure/consume.js';
import { measureIdle } from './measure/idle.js';
import type { ChildMessage, Job, Result } from './measure/jobs.js';
import { measureLatency } from './measure/latency.js';
import { profileWindow } from './measure/profile.js';
import { measurePublish } from './measure/publish.js';
import { measureRpc } from './measure/rpc.js';
import type { Subject } from './subjects/Subject.js';

function next(): Promise<unknown> {
  return new Promise((resolve) => process.once('message', resolve));
}

function reply(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) throw new Error('bench/child.js runs only as a forked child of bench/run.js');
    process.send(message, () => resolve());
  });
}

async function main(): Promise<void> {
  const job = (await next()) as Job;
  if (job.profile !== undefined) profileWindow(job.profile.dir, job.profile.name);
  if (job.kind === 'rpc') {
    // Its subjects (subjects/rpc.ts) are loaded with it.
    await reply({ type: 'ready' });
    await next();
    await reply({ type: 'result', result: await measureRpc(job) });
    return;
  }
  const { subject } = (await import(`./subjects/${job.module}.js`)) as { subject: Subject };
  await reply({ type: 'ready' });
  await next();
  let result: Result;
  if (job.kind === 'consume') result = await measureConsume(job, subject);
  else if (job.kind === 'publish') result = await measurePublish(job, subject);
  else if (job.kind === 'latency') result = await measureLatency(job, subject);
  else result = await measureIdle(job, subject);
  await reply({ type: 'result', result });
}

main().then(
  // Some libraries keep timers (reconnects, heartbeats) after close: the result is in, so exit.
  () => process.exit(0),
  async (error: unknown) => {
    await reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(() => undefined);
    process.exit(1);
  },
);
