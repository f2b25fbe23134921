import type { Window } from '../measure/jobs.js';
import type { BenchContext } from './types.js';

/** Full run: the harness used 2 s windows (700 ms ones swung by ±30 % per round here). --quick: just long enough to catch a gross regression. */
export function windowFor(ctx: BenchContext): Window {
  return ctx.quick ? { warmupMs: 300, windowMs: 700 } : { warmupMs: 500, windowMs: ctx.windowMs ?? 2000 };
}
