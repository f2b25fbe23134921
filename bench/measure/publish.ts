import { jsonBody } from '../lib/messages.js';
import type { Subject } from '../subjects/Subject.js';
import type { Job, PublishResult } from './jobs.js';
import { between, type Snapshot, schedule, snapshot } from './snapshot.js';

const BODY = jsonBody(0);

/** Keeps `window` confirmed publishes outstanding (a new one as each confirm arrives); counts confirms in the window. */
export async function measurePublish(job: Extract<Job, { kind: 'publish' }>, subject: Subject): Promise<PublishResult> {
  const publishing = await subject.publisher(job.publish);
  const window = job.publish.window;
  let confirmed = 0;
  let outstanding = 0;
  let stopping = false;
  let opened: Snapshot | undefined;
  let closed: Snapshot | undefined;
  let failure: unknown;
  let settle: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const pump = (): void => {
    while (!stopping && outstanding < window) {
      outstanding++;
      publishing.send(BODY, done);
    }
  };
  function done(error?: unknown): void {
    outstanding--;
    if (error !== undefined) {
      failure ??= error;
      stopping = true;
    } else if (++confirmed === 1) {
      schedule(
        job.window.warmupMs,
        job.window.windowMs,
        () => {
          opened = snapshot(confirmed);
        },
        () => {
          closed = snapshot(confirmed);
          stopping = true;
          if (outstanding === 0) settle();
        },
      );
    }
    if (stopping) {
      if (outstanding === 0) settle();
    } else pump();
  }
  pump();
  await drained;
  await publishing.close();
  if (failure !== undefined) throw failure;
  if (opened === undefined || closed === undefined) throw new Error('the publish window never closed');
  return { ...between(opened, closed), confirmed };
}
