import { jsonBody } from '../lib/messages.js';
import type { Publishing, Subject } from '../subjects/Subject.js';
import type { Job, PublishResult } from './jobs.js';
import { between, type Snapshot, schedule, snapshot } from './snapshot.js';

const BODY = jsonBody(0);

/**
 * Keeps `window` confirmed publishes of `body` outstanding, a new one as each confirm arrives,
 * until `more(confirmed)` says no after a confirm or `maxSends` were sent; resolves with the
 * confirms once nothing is outstanding, or rejects with the first failure (after the rest settle).
 */
export function keepPublishing(
  publishing: Publishing,
  window: number,
  body: Buffer,
  more: (confirmed: number) => boolean,
  maxSends = Number.POSITIVE_INFINITY,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    let outstanding = 0;
    let stopping = false;
    let failure: unknown;
    const pump = (): void => {
      while (!stopping && outstanding < window && sent < maxSends) {
        outstanding++;
        sent++;
        publishing.send(body, done);
      }
    };
    function done(error?: unknown): void {
      outstanding--;
      if (error !== undefined) {
        failure ??= error;
        stopping = true;
      } else if (!more(++confirmed)) stopping = true;
      pump();
      if (outstanding > 0) return;
      if (failure === undefined) resolve(confirmed);
      else reject(failure);
    }
    pump();
  });
}

/** Keeps `window` confirmed publishes outstanding (a new one as each confirm arrives); counts confirms in the window. */
export async function measurePublish(job: Extract<Job, { kind: 'publish' }>, subject: Subject): Promise<PublishResult> {
  const publishing = await subject.publisher(job.publish);
  let opened: Snapshot | undefined;
  let closed: Snapshot | undefined;
  let windowClosed = false;
  let latest = 0;
  const confirmed = await keepPublishing(publishing, job.publish.window, BODY, (n) => {
    latest = n;
    if (n === 1) {
      schedule(
        job.window.warmupMs,
        job.window.windowMs,
        () => {
          opened = snapshot(latest);
        },
        () => {
          closed = snapshot(latest);
          windowClosed = true;
        },
      );
    }
    return !windowClosed;
  }).finally(() => publishing.close());
  if (opened === undefined || closed === undefined) throw new Error('the publish window never closed');
  return { ...between(opened, closed), confirmed };
}
