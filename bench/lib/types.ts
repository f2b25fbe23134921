/** A target from the issue, printed beside the row (informational: the full run never fails on it). */
export interface Target {
  /** What is compared: the ratio to raw amqplib, or the value itself. */
  of: 'ratio' | 'value';
  op: '>=' | '<=';
  bound: number;
}

/**
 * One printed row: the median over rounds of a subject's measurement, its min–max, and the median
 * of its per-round ratios to raw amqplib measured in the same round (1 for raw itself).
 */
export interface BenchRow {
  scenario: string;
  subject: string;
  value: number;
  unit: string;
  ratioToRaw: number;
  min: number;
  max: number;
  /** Where a scenario compares a subject with the best of a sweep (the adaptive limit against static prefetch): value over that best's. */
  ratioToBestStatic?: number;
  /** The target as text (`>= 0.98x raw`) and whether the median met it. */
  target?: string;
  met?: boolean;
}

export interface BenchContext {
  url: string;
  /** Alternating rounds per scenario (each round runs every subject once, in alternating order). */
  rounds: number;
  /** --quick: short windows, one round, a subset (the CI smoke). */
  quick: boolean;
  /** Subject keys to run (raw always runs: the ratios need it); undefined runs all. */
  subjects: readonly string[] | undefined;
  /** --window: the measurement window of the consume, publish and latency scenarios, ms (default 2000). */
  windowMs: number | undefined;
  /** --warmup: every scenario's warm-up, ms, instead of its own. */
  warmupMs: number | undefined;
  /** Directory for CPU profiles of each measurement's window (bench/measure/profile.ts), if any. */
  profileDir: string | undefined;
  /** Progress lines for people; goes to stderr so --json output stays clean. */
  note(message: string): void;
}

/** A benchmark: compares Warren with raw amqplib (and the peers) doing the same work, in the same run. */
export interface Scenario {
  /** Row names start with it (`consume prefetch=100`); --only matches its prefix. */
  name: string;
  description: string;
  /** Runs only when named by --only (long studies outside the suite). */
  extra?: boolean;
  /** Part of the --quick smoke. */
  quick?: boolean;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
