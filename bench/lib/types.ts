/** One measured number. `ratioToRaw` is this subject's value over the raw amqplib baseline of the same scenario, same run (1 for the baseline itself). */
export interface BenchRow {
  scenario: string;
  subject: string;
  value: number;
  unit: string;
  ratioToRaw: number;
  /** Where a scenario compares a subject with the best of a sweep (the adaptive limit against static prefetch): value over that best's. */
  ratioToBestStatic?: number;
}

export interface BenchContext {
  url: string;
  /** Alternating rounds per scenario (each round runs every subject once, in alternating order). */
  rounds: number;
  /** Progress lines for people; goes to stderr so --json output stays clean. */
  note(message: string): void;
}

/** A benchmark: compares Warren with raw amqplib doing the same work, in the same run. */
export interface Scenario {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
