import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchQueueName, Reservoir, withQueue } from '../lib/broker.js';
import { rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';
import { PEERS, RAW, type SubjectSpec, selectSubjects, WARREN } from '../subjects/catalogue.js';

const COUNTER = fileURLToPath(new URL('../measure/countPublish.js', import.meta.url));
const WINDOW = 100;
/** Two runs per subject; the difference of their counts over the difference of their messages is the steady per-message cost. */
const SHORT = 20_000;
const LONG = 40_000;

/**
 * Instructions a confirmed publish costs the publishing process, counted by valgrind's callgrind
 * (`--tool=callgrind`, every thread, user space only): counts repeat run to run within about 1%
 * whatever else the machine does, where CPU time on a shared 2-core VM swings by ±20%. The cost
 * per message is (count of a 40,000-message run − count of a 20,000-message run) / 20,000, so
 * start-up, loading and most compilation cancel out. System calls are not counted (the kernel's
 * share is in the publish scenario's CPU rows). Needs valgrind; under it a run is ~50× slower.
 */
function instructionsScenario(): Scenario {
  const name = `instructions publish window=${WINDOW}`;
  return {
    name,
    extra: true,
    description: `callgrind instructions per confirmed publish (window ${WINDOW}), the difference of a ${LONG} and a ${SHORT} message run; needs valgrind`,
    async run(ctx: BenchContext): Promise<BenchRow[]> {
      const subjects = selectSubjects([RAW, WARREN, ...PEERS], ctx.subjects ?? ['warren']);
      const queue = benchQueueName('instructions');
      const counts: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      await withQueue(ctx.url, queue, async () => {
        const reservoir = new Reservoir(ctx.url, queue);
        try {
          for (let round = 0; round < ctx.rounds; round++) {
            for (const s of subjects) {
              const short = await count(s, ctx.url, queue, SHORT);
              await reservoir.purge();
              const long = await count(s, ctx.url, queue, LONG);
              await reservoir.purge();
              const perMsg = (long - short) / (LONG - SHORT);
              ctx.note(`  ${s.label}: ${short} and ${long} instructions: ${perMsg.toFixed(0)} per message`);
              counts[s.key]?.push(perMsg);
            }
          }
        } finally {
          await reservoir.close();
        }
      });
      const label = (key: string): string => subjects.find((s) => s.key === key)?.label ?? key;
      return rowsFromRounds(name, 'instructions/msg', counts, label);
    },
  };
}

/** Runs countPublish.js under callgrind and returns the instructions it executed. */
function count(s: SubjectSpec, url: string, queue: string, messages: number): Promise<number> {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null'];
  args.push(process.execPath, COUNTER, s.key, url, queue, String(messages), String(WINDOW));
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new Error(`cannot run valgrind (${error.message}): the instructions scenario needs it`)));
    child.on('exit', (code) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (code !== 0 || collected === null) reject(new Error(`${s.label} under callgrind exited ${code}: ${stderr.slice(-500)}`));
      else resolve(Number(collected[1]));
    });
  });
}

export const instructions: Scenario = instructionsScenario();
