import type { Subject } from '../subjects/Subject.js';
import type { ConsumeResult, Job } from './jobs.js';
import { between, type Snapshot, schedule, snapshot } from './snapshot.js';

const FIRST_MESSAGE_LIMIT_MS = 30_000;

/** Consumes the pre-filled queue: counts handler calls in the window, then stops the subject gracefully. */
export async function measureConsume(job: Extract<Job, { kind: 'consume' }>, subject: Subject): Promise<ConsumeResult> {
  let handled = 0;
  let opened: Snapshot | undefined;
  let closed: Snapshot | undefined;
  let ranDry = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const noMessage = setTimeout(() => {
    ranDry = true;
    finish();
  }, FIRST_MESSAGE_LIMIT_MS);
  const consuming = await subject.consume(job.consume, () => {
    if (++handled === 1) {
      clearTimeout(noMessage);
      schedule(
        job.window.warmupMs,
        job.window.windowMs,
        () => {
          opened = snapshot(handled);
        },
        () => {
          closed = snapshot(handled);
          finish();
        },
      );
    }
    if (handled === job.available && closed === undefined) {
      ranDry = true;
      finish();
    }
  });
  await finished;
  await consuming.stop();
  if (handled === 0) throw new Error(`no message arrived within ${FIRST_MESSAGE_LIMIT_MS} ms`);
  if (ranDry || opened === undefined || closed === undefined)
    return {
      rate: Number.NaN,
      cpuUsPerMsg: Number.NaN,
      gcUsPerMsg: Number.NaN,
      faultsPerMsg: Number.NaN,
      brokerCpuUsPerMsg: Number.NaN,
      handled,
      ranDry: true,
    };
  return { ...between(opened, closed), handled, ranDry: false };
}
