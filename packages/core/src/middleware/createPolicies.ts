import { ConfigError } from '../errors/WarrenError.js';
import type { ConsumerHost, Middleware, Policy } from './Middleware.js';

/** Whether `value` has the shape of a policy: a factory, or an object with name, run and describe. */
export function isPolicy(value: unknown): value is Policy {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<Middleware>;
  return typeof m.name === 'string' && m.name !== '' && typeof m.run === 'function' && typeof m.describe === 'function';
}

/**
 * Turns a consumer's `use` entries into policies: calls each factory with the consumer's host,
 * checks the result, and runs its `validate()`. Runs when the app is created, before any
 * connection opens; every failure is a ConfigError naming the consumer and the policy.
 */
export function createPolicies(consumer: string, entries: readonly Policy[], host: ConsumerHost): Middleware[] {
  return entries.map((entry, i) => {
    let label = typeof entry === 'function' ? entry.name || `use[${i}]` : (entry as Middleware).name || `use[${i}]`;
    const fail = (problem: string, cause?: unknown): never => {
      throw new ConfigError(`@Consumer ${consumer}: policy "${label}" ${problem}`, cause === undefined ? undefined : { cause });
    };
    let policy: unknown = entry;
    if (typeof entry === 'function') {
      try {
        policy = entry(host);
      } catch (error) {
        fail(`could not be created: ${(error as Error)?.message ?? String(error)}`, error);
      }
    }
    if (!isPolicy(policy) || typeof policy === 'function') {
      fail('must be a Middleware { name, run(ctx, next), describe() } or a factory (host) => Middleware');
    }
    const middleware = policy as Middleware;
    label = middleware.name;
    if (typeof middleware.validate === 'function') {
      try {
        middleware.validate();
      } catch (error) {
        fail(`is invalid: ${(error as Error)?.message ?? String(error)}`, error);
      }
    }
    return middleware;
  });
}
