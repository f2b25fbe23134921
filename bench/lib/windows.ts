import type { Window } from '../measure/jobs.js';
import type { BenchContext } from './types.js';

/** Warm-up where every warm-up message must be in the queue beforehand (consume): the broker pays to fill it. */
export const SHORT_WARMUP_MS = 500;
/**
 * Warm-up where nothing is pre-filled (publish, latency, rpc): long enough for a steady state.
 * Measured here (publish, window 100, 3 rounds each): after 700 ms Warren's publisher was still
 * tiering up and V8 still growing its young generation (0.21–0.22 page faults per message,
 * 1.20–1.23× raw amqplib's CPU per message); after 2 s, 0.01–0.06 faults and 0.90–1.18×; after
 * 4 s, 0.00–0.01 and 1.08–1.19×. Raw amqplib, with less code and a smaller heap, was steady after 700 ms.
 */
export const STEADY_WARMUP_MS = 2000;

/**
 * Warm-up of the confirmed-publish scenarios. Measured here (window 1000, 2026-12-04): after 2 s,
 * 7 of Warren's 15 windows still ran a full collection every 0.6 s (V8 still sizing its old
 * generation: `node --trace-gc`) at 16–22 µs CPU per message against 10.6–12.6 in the others, and
 * raw amqplib's none of 15; after 6 s, 1 of Warren's 10 (in one run 8.0–9.2 µs, 0.73× raw
 * amqplib), while raw amqplib's CPU ran high in 5 of its 10: later, either library can be caught.
 * A standalone publisher of 25 s had no full collection after its first 0.5 s.
 */
export const PUBLISH_WARMUP_MS = 6000;

/**
 * Full run: 2 s windows (the harness; 700 ms ones swung by ±30 % per round here) after
 * `warmupMs` (--warmup overrides it). --quick: just long enough to catch a gross regression.
 */
export function windowFor(ctx: BenchContext, warmupMs: number = STEADY_WARMUP_MS): Window {
  return ctx.quick ? { warmupMs: 300, windowMs: 700 } : { warmupMs: ctx.warmupMs ?? warmupMs, windowMs: ctx.windowMs ?? 2000 };
}
