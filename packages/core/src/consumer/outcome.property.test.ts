import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeadlineExceededError, DecodeError, Reject, RetryLater, UnrecoverableError } from '../errors/handlerErrors.js';
import { decideOutcome, describeFailure, type Ending, MAX_DELAY_MS, type RetryPolicy } from './outcome.js';

/** The bound outcome.ts keeps a description's name and message under (its MAX_DESCRIPTION). */
const MAX_DESCRIPTION = 8000;

const boom = (): never => {
  throw new Error('trap');
};

/** A Proxy whose every trap throws: even `instanceof` and `typeof`-guarded reads blow up on it. */
const everyTrapThrows = (target: object): object => new Proxy(target, new Proxy({}, { get: () => boom }));

/** An Error whose named properties are getters that throw ('stack' first: redefining it formats the stack, which reads 'name'). */
function throwingGetters(keys: readonly string[], base: object = new Error('x')): object {
  for (const key of keys) Object.defineProperty(base, key, { get: boom, configurable: true });
  return base;
}

function circularCause(depth: number): Error {
  const first = new Error('first');
  let last = first;
  for (let i = 0; i < depth; i++) {
    const next = new Error(`cause ${i}`);
    last.cause = next;
    last = next;
  }
  last.cause = first;
  return first;
}

/**
 * A thrown value, built inside the property: fast-check itself reads the values it generates
 * (to clone and print them), and a hostile one must only ever reach the code under test.
 */
type Thrown = { make(): unknown } & fc.WithToStringMethod;

const plain = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Thrown> =>
  arb.map((value) => ({ make: () => value, [fc.toStringMethod]: () => fc.stringify(value) }));

const built = (label: string, make: () => unknown): Thrown => ({ make, [fc.toStringMethod]: () => label });

/** What a handler can throw or reject with: anything at all, and some things built to hurt. */
const thrown: fc.Arbitrary<Thrown> = fc.oneof(
  plain(fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true })),
  fc.string().map((s) => built(`Symbol(${s})`, () => Symbol(s))),
  fc.string().map((m) => built(`new Error(${JSON.stringify(m)})`, () => new Error(m))),
  fc.string({ maxLength: 5 }).map((m) => built(`an Error with a ${m.length * 40_000}-char message`, () => new Error(m.repeat(40_000)))),
  plain(fc.record({ name: fc.anything(), message: fc.anything(), code: fc.anything(), stack: fc.anything(), cause: fc.anything() })),
  fc
    .record({ name: fc.string(), message: fc.string() })
    .map((r) => built(`Object.create(null) with ${fc.stringify(r)}`, () => Object.assign(Object.create(null) as object, r))),
  fc.constantFrom<Thrown>(
    built('undefined', () => undefined),
    built('null', () => null),
    built('Object.create(null)', () => Object.create(null)),
    built('{ message: null }', () => ({ message: null })),
    built('{ message: { toString: throws } }', () => ({ message: { toString: boom } })),
    built('an object whose every conversion throws', () => ({ toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom })),
    built('an Error whose name is 300,000 chars', () => Object.assign(new Error('m'), { name: 'x'.repeat(300_000) })),
    built('an Error whose code is 300,000 chars', () => Object.assign(new Error('m'), { code: 'C'.repeat(300_000) })),
    built('an Error with numbers for name, message and code', () => Object.assign(new Error('m'), { name: 42, message: 43, code: 44 })),
    built('an Error whose message getter throws', () => throwingGetters(['message'])),
    built('an Error whose every getter throws', () => throwingGetters(['stack', 'name', 'message', 'code', 'cause'])),
    built('Object.create(null) whose message getter throws', () => throwingGetters(['message'], Object.create(null) as object)),
    built('an Error that is its own cause', () => circularCause(0)),
    built('an Error with a cause cycle of 4', () => circularCause(3)),
    built('a Proxy of {} whose every trap throws', () => everyTrapThrows({})),
    built('a Proxy of an Error whose every trap throws', () => everyTrapThrows(new Error('inside'))),
    built('a Proxy of a function whose every trap throws', () => everyTrapThrows(() => undefined)),
    built('a Proxy of a RetryLater whose every trap throws', () => everyTrapThrows(new RetryLater('r', { delayMs: 10 }))),
    // `instanceof` passes (getPrototypeOf is not trapped), then reading a field throws.
    built('a RetryLater behind a throwing get trap', () => new Proxy(new RetryLater('r', { delayMs: 10 }), { get: boom })),
    built(
      'a DeadlineExceededError behind a throwing get trap',
      () => new Proxy(new DeadlineExceededError('d', { fromMessage: true }), { get: boom }),
    ),
    built('a Reject behind a throwing get trap', () => new Proxy(new Reject('x'), { get: boom })),
    built('a DecodeError behind a throwing get trap', () => new Proxy(new DecodeError('schema', 'x'), { get: boom })),
    built('a RetryLater whose delayMs getter throws', () => throwingGetters(['delayMs'], new RetryLater('r'))),
    built('a DeadlineExceededError whose fromMessage getter throws', () =>
      throwingGetters(['fromMessage'], new DeadlineExceededError('d')),
    ),
  ),
  fc.double().map((delayMs) => built(`RetryLater { delayMs: ${delayMs} }`, () => new RetryLater('later', { delayMs }))),
  fc
    .integer({ min: -1, max: 2 * MAX_DELAY_MS })
    .map((delayMs) => built(`RetryLater { delayMs: ${delayMs} }`, () => new RetryLater('later', { delayMs }))),
  fc
    .boolean()
    .map((fromMessage) =>
      built(`DeadlineExceededError { fromMessage: ${fromMessage} }`, () => new DeadlineExceededError('d', { fromMessage })),
    ),
  fc.constantFrom<Thrown>(
    built('Reject', () => new Reject('no')),
    built('UnrecoverableError', () => new UnrecoverableError('never')),
    built('DecodeError', () => new DecodeError('invalid-json', 'bad')),
  ),
);

/** How a handling ended, as a recipe: `toEnding()` builds the (possibly hostile) value it failed with. */
type EndingRecipe = { ok: true } | { ok: false; error: Thrown; started: boolean; interruptedByShutdown: boolean };

const ending: fc.Arbitrary<EndingRecipe> = fc.oneof(
  fc.constant<EndingRecipe>({ ok: true }),
  fc.record({ ok: fc.constant(false as const), error: thrown, started: fc.boolean(), interruptedByShutdown: fc.boolean() }),
);

const toEnding = (r: EndingRecipe): Ending => (r.ok ? { ok: true } : { ...r, error: r.error.make() });

const attempt = fc.oneof(fc.integer({ min: -3, max: 2000 }), fc.double(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, Number.NaN));

/** Policies as resolveConsumerOptions accepts them. */
const validPolicy: fc.Arbitrary<RetryPolicy> = fc.record({
  attempts: fc.integer({ min: 1, max: 1000 }),
  delaysMs: fc.array(fc.integer({ min: 1, max: MAX_DELAY_MS }), { minLength: 1, maxLength: 6 }),
});

/** Any policy at all: decideOutcome is exported, and must not trust its caller either. */
const anyPolicy: fc.Arbitrary<RetryPolicy> = fc.record({
  attempts: fc.oneof(fc.integer(), fc.double()),
  delaysMs: fc.array(fc.oneof(fc.integer(), fc.double()), { maxLength: 6 }),
});

const ACTIONS = new Set(['ack', 'retry', 'dead-letter', 'requeue']);
const REASONS = new Set(['rejected', 'exhausted', 'decode', 'redelivery-limit', 'expired']);

describe('decideOutcome: whatever the handler threw, whatever the attempt and policy', () => {
  it('never throws and always returns one of the actions', () => {
    fc.assert(
      fc.property(ending, attempt, fc.oneof(validPolicy, anyPolicy), (e, n, policy) => {
        const outcome = decideOutcome(toEnding(e), n, policy);
        assert.ok(ACTIONS.has(outcome.action), JSON.stringify(outcome));
        if (outcome.action === 'dead-letter') assert.ok(REASONS.has(outcome.reason), outcome.reason);
      }),
      { numRuns: 3000 },
    );
  });

  it('acks only a handler that succeeded; a failure with `undefined` is a failure', () => {
    fc.assert(
      fc.property(ending, attempt, validPolicy, (e, n, policy) => {
        assert.equal(decideOutcome(toEnding(e), n, policy).action === 'ack', e.ok);
      }),
      { numRuns: 2000 },
    );
    for (const error of [undefined, null, 0, '', false]) {
      const failed: Ending = { ok: false, error, started: true, interruptedByShutdown: false };
      assert.notEqual(decideOutcome(failed, 1, { attempts: 3, delaysMs: [10] }).action, 'ack', String(error));
    }
  });

  it('never retries once attempt >= attempts', () => {
    fc.assert(
      fc.property(ending, fc.oneof(validPolicy, anyPolicy), fc.nat(1000), (e, policy, extra) => {
        const at = Number.isFinite(policy.attempts) ? policy.attempts + extra : 1e9;
        if (!(at >= policy.attempts)) return;
        assert.notEqual(decideOutcome(toEnding(e), at, policy).action, 'retry');
      }),
      { numRuns: 2000 },
    );
  });

  it('a retry delay is a whole number of ms in 0..MAX_DELAY_MS, for policies as configured', () => {
    assert.equal(MAX_DELAY_MS, 86_400_000);
    fc.assert(
      fc.property(ending, attempt, validPolicy, (e, n, policy) => {
        const outcome = decideOutcome(toEnding(e), n, policy);
        if (outcome.action === 'retry')
          assert.ok(Number.isInteger(outcome.delayMs) && outcome.delayMs >= 0 && outcome.delayMs <= MAX_DELAY_MS, String(outcome.delayMs));
      }),
      { numRuns: 3000 },
    );
  });

  it('a retry delay is a whole number of ms in 0..MAX_DELAY_MS, even for a policy nobody validated', () => {
    fc.assert(
      fc.property(ending, attempt, anyPolicy, (e, n, policy) => {
        const outcome = decideOutcome(toEnding(e), n, policy);
        if (outcome.action === 'retry')
          assert.ok(Number.isInteger(outcome.delayMs) && outcome.delayMs >= 0 && outcome.delayMs <= MAX_DELAY_MS, String(outcome.delayMs));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('describeFailure: whatever the handler threw', () => {
  it('never throws, and gives a string name and message of bounded length, and a string code or none', () => {
    fc.assert(
      fc.property(thrown, (error) => {
        const d = describeFailure(error.make());
        assert.equal(typeof d.name, 'string');
        assert.equal(typeof d.message, 'string');
        assert.ok(d.name.length <= MAX_DESCRIPTION, `name of ${d.name.length} chars`);
        assert.ok(d.message.length <= MAX_DESCRIPTION, `message of ${d.message.length} chars`);
        assert.ok(d.code === undefined || (typeof d.code === 'string' && d.code.length <= MAX_DESCRIPTION));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the name and message of an ordinary error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), fc.constantFrom(Error, TypeError, RangeError), (message, Type) => {
        const d = describeFailure(new Type(message));
        assert.equal(d.name, Type.name);
        assert.equal(d.message, message);
      }),
    );
  });
});
