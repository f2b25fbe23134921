import { setTimeout as sleep } from 'node:timers/promises';
import { injectable } from 'inversify';
import type { EnrichedReading } from './readings.js';

/**
 * A stand-in for the slow end of the pipeline, a database write of 40–60 ms. It sets the
 * pipeline's pace: the store stage writes 5 at a time (its prefetch), so at most 100 readings a
 * second (about 80 on a busy laptop). It honours the caller's AbortSignal, so a deadline or a shutdown stops the wait.
 */
@injectable()
export class Warehouse {
  written = 0;

  async write(_reading: EnrichedReading, { signal }: { signal: AbortSignal }): Promise<void> {
    await sleep(40 + Math.floor(Math.random() * 21), undefined, { signal });
    this.written++;
  }
}
