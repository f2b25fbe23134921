import { DecodeError, Reject } from '../errors/handlerErrors.js';
import type { BreakerSettings } from './BreakerMachine.js';

// The circuit breaker's options: their defaults and the one check that both `new CircuitBreaker`
// and the `breaker` consumer option (at boot, before any connection) run. Apart from the policy
// (breaker.ts) so each reads alone.

/** The longest windowMs, openMs or maxOpenMs: a day. */
const MAX_MS = 86_400_000;

/** `@Consumer({ breaker })`: when the dependency fails, stop taking messages instead of failing them. */
export interface BreakerOptions {
  /** Open when the share of failed calls in the window reaches this (0 < failureRate <= 1). */
  failureRate: number;
  /** ...but only once the window holds at least this many calls. */
  minCalls: number;
  /** The sliding window the failure rate is measured over. */
  windowMs: number;
  /** How long it stays open before letting probes through; grows on each failed probe, up to maxOpenMs. */
  openMs: number;
  /** How many deliveries a half-open breaker lets through to test the dependency. */
  halfOpenProbes: number;
  /** The longest openMs grows to (and the longest a `DependencyDown`'s retryAfterMs is honoured). Default 10 × openMs. */
  maxOpenMs?: number;
  /**
   * Which errors count against the dependency; the others count as calls that went through.
   * Default: any error except Reject (and UnrecoverableError) and DecodeError. `DependencyDown`
   * always opens the breaker, whatever this says.
   */
  isFailure?: (error: unknown) => boolean;
  /** A name for logs, events and /health. Default: the consumer's name (or 'breaker' when shared). */
  name?: string;
}

/** Every option with its default filled in, for the machine; `options` were checked (breakerOptionsProblem). */
export function breakerSettings(options: BreakerOptions): BreakerSettings {
  return {
    failureRate: options.failureRate,
    minCalls: options.minCalls,
    windowMs: options.windowMs,
    openMs: options.openMs,
    halfOpenProbes: options.halfOpenProbes,
    maxOpenMs: options.maxOpenMs ?? Math.min(MAX_MS, 10 * options.openMs),
  };
}

/** By default every error counts against the dependency, except those about the message itself. */
export function defaultIsFailure(error: unknown): boolean {
  return !(error instanceof Reject || error instanceof DecodeError);
}

const KNOWN_OPTIONS = ['failureRate', 'minCalls', 'windowMs', 'openMs', 'halfOpenProbes', 'maxOpenMs', 'isFailure', 'name'];

/** What is wrong with breaker options, naming the option (`breaker.failureRate`); undefined if nothing. */
export function breakerOptionsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `must be { failureRate, minCalls, windowMs, openMs, halfOpenProbes } or a CircuitBreaker, got ${describeValue(value)}`;
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(key)) return `breaker.${key} is not a known option (known: ${KNOWN_OPTIONS.join(', ')})`;
  }
  const whole = (key: string, min: number, max: number): string | undefined => {
    const v = o[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `breaker.${key} must be a whole number from ${min} to ${max}, got ${describeValue(v)}`;
  };
  const rate = o.failureRate;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
    return `breaker.failureRate must be a number above 0 and at most 1 (0.5: half the calls failed), got ${describeValue(rate)}`;
  }
  const problem =
    whole('minCalls', 1, 1_000_000) ??
    whole('windowMs', 1, MAX_MS) ??
    whole('openMs', 1, MAX_MS) ??
    whole('halfOpenProbes', 1, 65_535) ??
    (o.maxOpenMs === undefined ? undefined : whole('maxOpenMs', o.openMs as number, MAX_MS));
  if (problem !== undefined) return problem;
  if (o.isFailure !== undefined && typeof o.isFailure !== 'function') {
    return `breaker.isFailure must be a function (error) => boolean, got ${describeValue(o.isFailure)}`;
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) {
    return `breaker.name must be a non-empty string, got ${describeValue(o.name)}`;
  }
  return undefined;
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}
