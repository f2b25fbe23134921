import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withMemoryAlarm } from '@warren/testing';
import { benchQueueName, withQueue } from '../lib/broker.js';
import { alternate, median, rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';

const run = promisify(execFile);
const DURATION_MS = 10_000;
const RATE = 5_000;
const CHILD = fileURLToPath(new URL('./blockedMemoryChild.js', import.meta.url));

interface ChildResult {
  growthMiB: number;
  attempted: number;
  rejected: number;
}

async function measure(ctx: BenchContext, subject: 'raw' | 'warren'): Promise<ChildResult> {
  const queue = benchQueueName(`blocked.${subject}`);
  // The queue is deleted after the alarm clears (deleting is not publishing, but cleanup should not race the alarm).
  return withQueue(ctx.url, queue, () =>
    withMemoryAlarm(async () => {
      const { stdout } = await run(process.execPath, ['--expose-gc', CHILD, subject, queue, ctx.url, String(DURATION_MS), String(RATE)], {
        timeout: DURATION_MS + 30_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
      ctx.note(`  ${subject}: +${result.growthMiB.toFixed(1)} MiB, ${result.attempted} attempted, ${result.rejected} rejected`);
      return result;
    }),
  );
}

export const blockedMemory: Scenario = {
  name: 'memory blocked',
  description: `heap+Buffer growth while publishing 1 KiB messages at ${RATE}/s for ${DURATION_MS / 1000} s into a broker under a memory alarm`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const refused: number[] = [];
    const attempted: number[] = [];
    const r = await alternate(ctx.rounds, {
      raw: async () => (await measure(ctx, 'raw')).growthMiB,
      warren: async () => {
        const x = await measure(ctx, 'warren');
        refused.push(x.rejected);
        attempted.push(x.attempted);
        return x.growthMiB;
      },
    });
    const label = (k: string): string =>
      k === 'raw' ? 'raw amqplib, publish() return ignored' : `warren defaults (${median(refused)}/${median(attempted)} refused)`;
    return rowsFromRounds(`memory blocked ${DURATION_MS / 1000}s rate=${RATE}`, 'MiB', r, label);
  },
};
