import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BreakerOpenError,
  DeadlineExceededError,
  DecodeError,
  DependencyDown,
  Reject,
  RetryLater,
  UnrecoverableError,
} from '../errors/handlerErrors.js';
import { decideOutcome, describeFailure, type Ending, SUCCEEDED } from './outcome.js';

/** A handler that ran and failed with `error` (or, with `started: false`, one that never ran). */
function failed(error: unknown, how: { started?: boolean; shutdown?: boolean } = {}): Ending {
  return { ok: false, error, started: how.started ?? true, interruptedByShutdown: how.shutdown ?? false };
}

const retry = { attempts: 3, delaysMs: [200, 400] };
const noRetry = { attempts: 1, delaysMs: [] };

describe('decideOutcome: every error class x attempts left', () => {
  const errors: Array<[string, unknown]> = [
    ['plain Error', new Error('boom')],
    ['TypeError', new TypeError('x')],
    ['a thrown string', 'oops'],
    ['RetryLater', new RetryLater('later')],
    ['DeadlineExceededError', new DeadlineExceededError('slow')],
  ];

  for (const [label, error] of errors) {
    it(`${label}: retries with the configured delay while attempts remain, then dead-letters as exhausted`, () => {
      assert.deepEqual(decideOutcome(failed(error), 1, retry), { action: 'retry', delayMs: 200 });
      assert.deepEqual(decideOutcome(failed(error), 2, retry), { action: 'retry', delayMs: 400 });
      assert.deepEqual(decideOutcome(failed(error), 3, retry), { action: 'dead-letter', reason: 'exhausted' });
      assert.deepEqual(decideOutcome(failed(error), 9, retry), { action: 'dead-letter', reason: 'exhausted' });
      assert.deepEqual(decideOutcome(failed(error), 1, noRetry), { action: 'dead-letter', reason: 'exhausted' });
    });
  }

  it('the last delay repeats when there are more attempts than delays', () => {
    assert.deepEqual(decideOutcome(failed(new Error()), 4, { attempts: 6, delaysMs: [10, 20] }), { action: 'retry', delayMs: 20 });
  });

  it("RetryLater's own delay wins over the configured one", () => {
    assert.deepEqual(decideOutcome(failed(new RetryLater('rate limited', { delayMs: 5000 })), 1, retry), {
      action: 'retry',
      delayMs: 5000,
    });
    for (const bad of [1500.5, -1, Number.NaN, 10 ** 12]) {
      assert.deepEqual(
        decideOutcome(failed(new RetryLater('odd delay', { delayMs: bad })), 1, retry),
        { action: 'retry', delayMs: 200 },
        String(bad),
      );
    }
  });

  for (const [label, error] of [
    ['Reject', new Reject('bad order')],
    ['UnrecoverableError', new UnrecoverableError('never')],
  ] as const) {
    it(`${label} dead-letters at once, attempts left or not`, () => {
      for (const attempt of [1, 2, 3])
        assert.deepEqual(decideOutcome(failed(error), attempt, retry), { action: 'dead-letter', reason: 'rejected' });
    });
  }

  it('a decode or schema failure dead-letters at once, even during shutdown', () => {
    const e = new DecodeError('schema', 'bad');
    assert.deepEqual(decideOutcome(failed(e), 1, retry), { action: 'dead-letter', reason: 'decode' });
    assert.deepEqual(decideOutcome(failed(e, { shutdown: true }), 1, retry), { action: 'dead-letter', reason: 'decode' });
  });

  it('success acks, also at shutdown; work cut short by shutdown goes back to the queue, whatever it threw', () => {
    assert.deepEqual(decideOutcome(SUCCEEDED, 1, retry), { action: 'ack' });
    assert.deepEqual(decideOutcome(SUCCEEDED, 3, retry), { action: 'ack' });
    assert.deepEqual(decideOutcome(failed(new Error('aborted'), { shutdown: true }), 3, retry), { action: 'requeue' });
    assert.deepEqual(decideOutcome(failed(new Reject('x'), { shutdown: true }), 1, retry), { action: 'requeue' });
  });

  it('a rejection without a reason is a failure, never a success', () => {
    for (const nothing of [undefined, null]) {
      assert.deepEqual(decideOutcome(failed(nothing), 1, retry), { action: 'retry', delayMs: 200 });
      assert.deepEqual(decideOutcome(failed(nothing), 3, retry), { action: 'dead-letter', reason: 'exhausted' });
    }
  });

  it("a deadline that passed before the handler started: the message's own expires it, timeoutMs puts it back uncounted", () => {
    const own = new DeadlineExceededError('caller gave up', { fromMessage: true });
    const ours = new DeadlineExceededError('waited for a slot');
    assert.deepEqual(decideOutcome(failed(own, { started: false }), 1, retry), { action: 'dead-letter', reason: 'expired' });
    assert.deepEqual(decideOutcome(failed(ours, { started: false }), 3, retry), { action: 'requeue' });
    // Once the handler ran, our own timeoutMs is a failed attempt like any other...
    assert.deepEqual(decideOutcome(failed(ours), 1, retry), { action: 'retry', delayMs: 200 });
    assert.deepEqual(decideOutcome(failed(ours), 3, retry), { action: 'dead-letter', reason: 'exhausted' });
    // ...but the caller's own deadline means nobody waits: no retry, expired.
    assert.deepEqual(decideOutcome(failed(own), 1, retry), { action: 'dead-letter', reason: 'expired' });
  });

  it("a request whose caller's deadline passed is dropped (acked), not dead-lettered; a cancelled one too", () => {
    const own = new DeadlineExceededError('caller gave up', { fromMessage: true });
    const request = { ok: false as const, error: own, started: true, interruptedByShutdown: false, isRequest: true };
    assert.deepEqual(decideOutcome(request, 1, retry), { action: 'ack' });
    const cancelled = {
      ok: false as const,
      error: new Error('aborted'),
      started: true,
      interruptedByShutdown: false,
      cancelledByCaller: true,
    };
    assert.deepEqual(decideOutcome(cancelled, 1, retry), { action: 'ack' });
  });

  it('DependencyDown: put back uncounted when a breaker opened on it, else retried after its retryAfterMs', () => {
    const opened = new DependencyDown({ retryAfterMs: 3000 });
    opened.breakerOpened = true;
    assert.deepEqual(decideOutcome(failed(opened), 1, retry), { action: 'requeue' });
    assert.deepEqual(decideOutcome(failed(opened), 3, retry), { action: 'requeue' }, 'not an attempt, even the last');
    assert.deepEqual(decideOutcome(failed(new DependencyDown({ retryAfterMs: 3000 })), 1, retry), { action: 'retry', delayMs: 3000 });
    assert.deepEqual(decideOutcome(failed(new DependencyDown()), 1, retry), { action: 'retry', delayMs: 200 });
    assert.deepEqual(decideOutcome(failed(new DependencyDown()), 3, retry), { action: 'dead-letter', reason: 'exhausted' });
    assert.deepEqual(decideOutcome(failed(new BreakerOpenError('open'), { started: false }), 3, retry), { action: 'requeue' });
  });

  it('a value whose prototype cannot be read is an ordinary failure', () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    assert.deepEqual(decideOutcome(failed(hostile), 1, retry), { action: 'retry', delayMs: 200 });
  });
});

describe('describeFailure never throws', () => {
  const cases: Array<[string, unknown, string]> = [
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a string', 'oops', 'string'],
    ['a number', 42, 'number'],
    ['a symbol', Symbol('s'), 'symbol'],
    ['Object.create(null)', Object.create(null), 'object'],
    ['{ message: null }', { message: null }, 'object'],
    [
      'an error whose message getter throws',
      Object.defineProperty(new Error('x'), 'message', {
        get() {
          throw new Error('getter');
        },
      }),
      'Error',
    ],
  ];
  for (const [label, value, name] of cases) {
    it(label, () => {
      const d = describeFailure(value);
      assert.equal(d.name, name);
      assert.equal(typeof d.message, 'string');
      assert.ok(d.message.length > 0);
    });
  }

  it('keeps a real error as it is, code included', () => {
    const e = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
    assert.deepEqual(describeFailure(e), { name: 'TypeError', message: 'bad input', code: 'E_BAD' });
  });
});
