import { setTimeout as sleep } from 'node:timers/promises';
import { jsonBody } from '../lib/messages.js';
import type { Subject } from '../subjects/Subject.js';
import type { IdleResult, Job } from './jobs.js';

/**
 * A worker between messages: the subject's consumer on its queue and its publisher, each used
 * once (one message published, confirmed and handled), then left with nothing to do for
 * `warmupMs` and measured over `windowMs`: the process's CPU per second of idling (its timers,
 * heartbeats, anything it polls), and its voluntary context switches per second (getrusage: each
 * time a thread of it slept and was woken, mostly the event loop waking for a timer or a frame).
 */
export async function measureIdle(job: Extract<Job, { kind: 'idle' }>, subject: Subject): Promise<IdleResult> {
  let handled: () => void = () => undefined;
  const once = new Promise<void>((resolve) => {
    handled = resolve;
  });
  const consuming = await subject.consume(job.consume, () => handled());
  const publishing = await subject.publisher(job.publish);
  try {
    await new Promise<void>((resolve, reject) =>
      publishing.send(jsonBody(0, performance.now()), (error) => (error === undefined ? resolve() : reject(error))),
    );
    await once;
    await sleep(job.window.warmupMs);
    const cpu = process.cpuUsage();
    const switches = process.resourceUsage().voluntaryContextSwitches;
    const started = performance.now();
    await sleep(job.window.windowMs);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      cpuMsPerSec: (used.user + used.system) / 1000 / seconds,
      wakeupsPerSec: (process.resourceUsage().voluntaryContextSwitches - switches) / seconds,
    };
  } finally {
    await publishing.close();
    await consuming.stop();
  }
}
