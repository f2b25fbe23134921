import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineExceededError } from '../errors/handlerErrors.js';
import { Deadline } from './deadline.js';
import type { ConsumeContext } from './Middleware.js';

/** The part of a delivery the deadline reads and aborts. */
function ctx(over: Partial<{ deadline: number; messageDeadline: number; started: boolean }> = {}) {
  const aborted: unknown[] = [];
  const c = {
    receivedAt: Date.now(),
    deadline: over.deadline,
    messageDeadline: over.messageDeadline,
    started: over.started ?? true,
    abort: (reason: unknown) => aborted.push(reason),
  } as unknown as ConsumeContext;
  return { c, aborted };
}
const never = (): Promise<void> => new Promise(() => undefined);

describe('Deadline', () => {
  it('without timeoutMs or a deadline it passes straight through', async () => {
    const d = new Deadline(undefined);
    const { c } = ctx();
    let ran = false;
    await d.run(c, async () => {
      ran = true;
    });
    assert.equal(ran, true);
  });

  it('a deadline already passed fails before next, saying whether it was the message own', async () => {
    const d = new Deadline(undefined);
    const past = Date.now() - 10;
    const { c } = ctx({ deadline: past, messageDeadline: past, started: false });
    await assert.rejects(
      d.run(c, never),
      (e: unknown) => e instanceof DeadlineExceededError && e.fromMessage && /before the handler started/.test(e.message),
    );
    assert.equal((d.describe() as { expired: number }).expired, 1);
  });

  it('timeoutMs aborts the signal and rejects at once; a late result is counted, not awaited', async () => {
    const d = new Deadline(30);
    const { c, aborted } = ctx();
    let finish: () => void = () => undefined;
    const late = new Promise<void>((r) => (finish = r));
    const started = Date.now();
    await assert.rejects(
      d.run(c, () => late),
      (e: unknown) => e instanceof DeadlineExceededError && !e.fromMessage,
    );
    assert.ok(Date.now() - started < 1000);
    assert.equal(aborted.length, 1);
    finish();
    await new Promise((r) => setImmediate(r));
    assert.equal(d.late, 1);
  });

  it("the earlier of timeoutMs and the message's own deadline wins", async () => {
    const d = new Deadline(10_000);
    // One reading of the clock: two could fall either side of a millisecond, and then the deadline would not be the message's.
    const at = Date.now() + 20;
    const { c } = ctx({ deadline: at, messageDeadline: at });
    await assert.rejects(d.run(c, never), (e: unknown) => e instanceof DeadlineExceededError && e.fromMessage);
  });

  it('a deadline beyond what a timer can hold is no deadline', async () => {
    const d = new Deadline(undefined);
    const far = Date.now() + 2 ** 31 + 1000;
    const { c } = ctx({ deadline: far, messageDeadline: far });
    await d.run(c, async () => undefined);
    assert.equal((d.describe() as { expired: number }).expired, 0);
  });
});
