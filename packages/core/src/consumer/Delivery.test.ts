import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../logging/logger.js';
import type { ReceivedMessage } from '../message/MessageContext.js';
import { watchAbort } from '../middleware/watchAbort.js';
import { Delivery } from './Delivery.js';

const delivery = (): Delivery =>
  new Delivery(
    { fields: { deliveryTag: 1 }, properties: { headers: {} }, content: Buffer.from('{}') } as unknown as ReceivedMessage,
    1,
    'c',
    'q',
    1,
    silentLogger(),
  );

describe("Delivery's abort watch", () => {
  it('calls each watcher once on abort, not one that unwatched, and still aborts a signal read before or after', () => {
    const d = delivery();
    const calls: string[] = [];
    const early = d.signal;
    watchAbort(d, () => calls.push('a'));
    const unwatch = watchAbort(d, () => calls.push('gone'));
    watchAbort(d, () => calls.push('b'));
    unwatch();
    unwatch(); // twice: harmless
    const reason = new Error('deadline');
    d.abort(reason);
    d.abort(new Error('again'));
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(early.aborted, true);
    assert.equal(early.reason, reason);
    assert.equal(d.signal.reason, reason);
  });

  it('makes no AbortSignal for a watcher, and a watch taken after the abort never fires (as a listener added then)', () => {
    const d = delivery();
    let called = 0;
    watchAbort(d, () => called++);
    d.abort(new Error('x'));
    assert.equal(called, 1);
    watchAbort(d, () => called++)();
    assert.equal(called, 1);
    // The signal is made only now, already aborted.
    assert.equal(d.signal.aborted, true);
  });
});
