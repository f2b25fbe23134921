import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchQueueName, Reservoir, withQueue } from '../lib/broker.js';
import { rowsFromRounds } from '../lib/stats.js';
import type { BenchContext, BenchRow, Scenario } from '../lib/types.js';
import { PEERS, RAW, selectSubjects, WARREN } from '../subjects/catalogue.js';
import { RPC_LABELS, RPC_SUBJECTS } from '../subjects/rpc.js';

const COUNTER = fileURLToPath(new URL('../measure/count.js', import.meta.url));
/** Two runs per subject; the difference of their counts over the difference of their messages is the steady per-message cost. */
const SHORT = 20_000;
const LONG = 40_000;
/** A round trip costs the process a few times a message, caller and responder both: fewer of them keep a run under a minute. */
const SHORT_RPC = 5_000;
const LONG_RPC = 10_000;

type Kind = 'publish' | 'consume' | 'rpc';

/** Who is counted: a key for count.js and --subjects, a label for the table. */
interface Counted {
  key: string;
  label: string;
}

/**
 * Instructions a message costs the process, counted by valgrind's callgrind (`--tool=callgrind`,
 * every thread, user space only): a count repeats far better than CPU time on a shared 2-core
 * VM, which swings by ±20%. The cost per message is (count of a 40,000-message run − count of a
 * 20,000-message run) / 20,000, so start-up, loading and most compilation cancel out; what is
 * left varies by a few percent (when a major GC or a late compilation falls in one run only).
 * System calls are not counted (the kernel's share is in the CPU rows). Needs valgrind; under it
 * a run is ~50× slower. Raw amqplib and Warren unless --subjects names others (for rpc: raw, "Warren's guarantees" and Warren).
 */
function instructionsScenario(kind: Kind, window: number): Scenario {
  const [short, long] = kind === 'rpc' ? [SHORT_RPC, LONG_RPC] : [SHORT, LONG];
  const each = kind === 'rpc' ? 'round trip' : 'message';
  const name = {
    publish: `instructions publish window=${window}`,
    consume: `instructions consume prefetch=${window}`,
    rpc: `instructions rpc concurrency=${window}`,
  }[kind];
  const what = {
    publish: `confirmed publish (window ${window})`,
    consume: `consumed and acked message (prefetch ${window}, no-op handler)`,
    rpc: `request/reply round trip (${window} callers; caller and responder in one process)`,
  }[kind];
  return {
    name,
    extra: true,
    description: `callgrind instructions per ${what}, the difference of a ${long} and a ${short} ${each} run; needs valgrind`,
    async run(ctx: BenchContext): Promise<BenchRow[]> {
      const subjects: Counted[] =
        kind === 'rpc' ? rpcSubjects(ctx.subjects) : selectSubjects([RAW, WARREN, ...PEERS], ctx.subjects ?? ['warren']);
      const queue = benchQueueName(`instructions-${kind}`);
      const counts: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.key, []]));
      await withQueue(ctx.url, queue, async () => {
        const reservoir = new Reservoir(ctx.url, queue);
        // Publishing and request/reply start from an empty queue; consuming from one holding exactly the messages to consume.
        const prepare = (n: number): Promise<void> => (kind === 'consume' ? reservoir.fill(n) : reservoir.purge());
        try {
          for (let round = 0; round < ctx.rounds; round++) {
            for (const s of subjects) {
              await prepare(short);
              const fewer = await count(kind, s, ctx.url, queue, short, window);
              await prepare(long);
              const more = await count(kind, s, ctx.url, queue, long, window);
              const perMsg = (more - fewer) / (long - short);
              ctx.note(`  ${s.label}: ${fewer} and ${more} instructions: ${perMsg.toFixed(0)} per ${each}`);
              counts[s.key]?.push(perMsg);
            }
          }
          await reservoir.purge();
        } finally {
          await reservoir.close();
        }
      });
      const label = (key: string): string => subjects.find((s) => s.key === key)?.label ?? key;
      return rowsFromRounds(name, kind === 'rpc' ? 'instructions/req' : 'instructions/msg', counts, label);
    },
  };
}

/** Raw amqplib always, and those --subjects names (default: raw amqplib doing Warren's protocol work, and Warren). */
function rpcSubjects(only: readonly string[] = ['same', 'warren']): Counted[] {
  return RPC_SUBJECTS.filter((k) => k === 'raw' || only.includes(k)).map((k) => ({ key: k, label: RPC_LABELS[k] }));
}

/** Runs count.js under callgrind and returns the instructions it executed. */
function count(kind: Kind, s: Counted, url: string, queue: string, messages: number, window: number): Promise<number> {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null'];
  args.push(process.execPath, COUNTER, kind, s.key, url, queue, String(messages), String(window));
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new Error(`cannot run valgrind (${error.message}): the instructions scenarios need it`)));
    child.on('exit', (code) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (code !== 0 || collected === null) reject(new Error(`${s.label} under callgrind exited ${code}: ${stderr.slice(-500)}`));
      else resolve(Number(collected[1]));
    });
  });
}

export const instructionScenarios: readonly Scenario[] = [
  instructionsScenario('publish', 100),
  instructionsScenario('consume', 100),
  instructionsScenario('rpc', 100),
];
