import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineTimer, type Watched } from './DeadlineTimer.js';

/** A deadline `ms` from now that records when it expired. */
function watch(ms: number, expired: string[], name: string): Watched {
  return { at: performance.now() + ms, expire: () => expired.push(name) };
}

/** Resolves once `expired` holds `n` names (polling the event loop, no fixed sleep), or fails after `limitMs`. */
async function until(expired: string[], n: number, limitMs = 2000): Promise<void> {
  const end = Date.now() + limitMs;
  while (expired.length < n) {
    if (Date.now() > end) assert.fail(`only ${expired.length} of ${n} deadlines expired within ${limitMs} ms`);
    await sleep(2);
  }
}

describe('DeadlineTimer', () => {
  it('expires each deadline once, in time, and never one removed before it passed', async () => {
    const t = new DeadlineTimer();
    const expired: string[] = [];
    const started = Date.now();
    const a = watch(20, expired, 'a');
    const b = watch(40, expired, 'b');
    const c = watch(30, expired, 'c');
    for (const w of [a, b, c]) t.add(w);
    t.remove(c);
    await until(expired, 2);
    assert.deepEqual(expired, ['a', 'b']);
    assert.ok(Date.now() - started >= 40 - 1, 'b expired before its deadline');
    assert.equal(t.size, 0);
    await sleep(30);
    assert.deepEqual(expired, ['a', 'b'], 'nothing expires twice');
  });

  it('a deadline earlier than the armed one re-arms the timer for it', async () => {
    const t = new DeadlineTimer();
    const expired: string[] = [];
    t.add(watch(5_000, expired, 'late'));
    const started = Date.now();
    t.add(watch(15, expired, 'early'));
    await until(expired, 1);
    assert.deepEqual(expired, ['early']);
    assert.ok(Date.now() - started < 1000);
    assert.equal(t.size, 1);
  });

  it('after its first deadline ended early, the timer still fires for the next one', async () => {
    const t = new DeadlineTimer();
    const expired: string[] = [];
    const first = watch(10, expired, 'first');
    t.add(first);
    t.add(watch(25, expired, 'second'));
    t.remove(first);
    await until(expired, 1);
    assert.deepEqual(expired, ['second']);
  });

  it('a thousand deadlines take one timer, and each expires once', async () => {
    const t = new DeadlineTimer();
    const expired: string[] = [];
    for (let i = 0; i < 1000; i++) t.add(watch(10 + (i % 20), expired, String(i)));
    await until(expired, 1000);
    assert.equal(new Set(expired).size, 1000);
    assert.equal(t.size, 0);
  });
});
