import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineExceededError, DecodeError, Reject, RetryLater, UnrecoverableError } from '../errors/handlerErrors.js';
import { decideOutcome } from './outcome.js';

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
      assert.deepEqual(decideOutcome(error, 1, retry), { action: 'retry', delayMs: 200 });
      assert.deepEqual(decideOutcome(error, 2, retry), { action: 'retry', delayMs: 400 });
      assert.deepEqual(decideOutcome(error, 3, retry), { action: 'dead-letter', reason: 'exhausted' });
      assert.deepEqual(decideOutcome(error, 9, retry), { action: 'dead-letter', reason: 'exhausted' });
      assert.deepEqual(decideOutcome(error, 1, noRetry), { action: 'dead-letter', reason: 'exhausted' });
    });
  }

  it('the last delay repeats when there are more attempts than delays', () => {
    assert.deepEqual(decideOutcome(new Error(), 4, { attempts: 6, delaysMs: [10, 20] }), { action: 'retry', delayMs: 20 });
  });

  it("RetryLater's own delay wins over the configured one", () => {
    assert.deepEqual(decideOutcome(new RetryLater('rate limited', { delayMs: 5000 }), 1, retry), { action: 'retry', delayMs: 5000 });
    for (const bad of [1500.5, -1, Number.NaN, 10 ** 12]) {
      assert.deepEqual(
        decideOutcome(new RetryLater('odd delay', { delayMs: bad }), 1, retry),
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
        assert.deepEqual(decideOutcome(error, attempt, retry), { action: 'dead-letter', reason: 'rejected' });
    });
  }

  it('a decode or schema failure dead-letters at once, even during shutdown', () => {
    const e = new DecodeError('schema', 'bad');
    assert.deepEqual(decideOutcome(e, 1, retry), { action: 'dead-letter', reason: 'decode' });
    assert.deepEqual(decideOutcome(e, 1, retry, true), { action: 'dead-letter', reason: 'decode' });
  });

  it('success acks; work cut short by shutdown goes back to the queue, whatever it threw', () => {
    assert.deepEqual(decideOutcome(undefined, 1, retry), { action: 'ack' });
    assert.deepEqual(decideOutcome(undefined, 3, retry, true), { action: 'ack' });
    assert.deepEqual(decideOutcome(new Error('aborted'), 3, retry, true), { action: 'requeue' });
    assert.deepEqual(decideOutcome(new Reject('x'), 1, retry, true), { action: 'requeue' });
  });
});
