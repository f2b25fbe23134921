import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfirmWindow } from './ConfirmWindow.js';
import { DeadlineSweeper } from './DeadlineSweeper.js';
import { BUFFERED, PendingPublish, type Phase, SETTLED, WRITTEN } from './PendingPublish.js';
import { PublishBuffer } from './PublishBuffer.js';

const entry = (id: string, deadline: number, phase: Phase = BUFFERED): PendingPublish => {
  const e = new PendingPublish('', id, Buffer.from(id), { messageId: id }, deadline, 0);
  e.phase = phase;
  return e;
};

/** A sweeper over its own buffer and window, recording what it expires and settling as the publisher would. */
function setup(now = () => 0, everyMs?: number, busy?: () => boolean) {
  const buffer = new PublishBuffer<PendingPublish>(100, 1_000_000);
  const window = new ConfirmWindow<PendingPublish>();
  const expired: string[] = [];
  let sweeps = 0;
  const sweeper = new DeadlineSweeper(buffer, window, {
    expire: (e, written) => {
      e.phase = SETTLED;
      expired.push(`${e.routingKey}${written ? ' (written)' : ''}`);
    },
    swept: () => sweeps++,
    everyMs,
    now,
    busy,
  });
  return { buffer, window, expired, sweeper, sweeps: () => sweeps };
}

describe('DeadlineSweeper', () => {
  it('takes buffered publishes past their deadline out of the buffer, keeping the order of the rest', () => {
    const { buffer, expired, sweeper } = setup();
    for (const [id, deadline] of [
      ['a', 100],
      ['b', 300],
      ['c', 100],
      ['d', 200],
    ] as const)
      buffer.push(entry(id, deadline));
    sweeper.sweep(99);
    assert.deepEqual(expired, []);
    sweeper.sweep(200);
    assert.deepEqual(expired, ['a', 'c', 'd']);
    assert.deepEqual(
      buffer.takeAll().map((e) => e.routingKey),
      ['b'],
    );
  });

  it('tells the callers of written publishes past their deadline, once, and leaves them in the window', () => {
    const { window, expired, sweeper } = setup();
    window.add(entry('w1', 100, WRITTEN));
    window.add(entry('w2', 500, WRITTEN));
    window.add(entry('acked-late', 100, SETTLED));
    sweeper.sweep(100);
    sweeper.sweep(150);
    assert.deepEqual(expired, ['w1 (written)']);
    assert.equal(window.size, 3, 'slots are held until the broker answers or the channel closes');
  });

  it('reads its clock when not given a time, and reports every sweep', () => {
    let now = 0;
    const { buffer, expired, sweeper, sweeps } = setup(() => now);
    buffer.push(entry('a', 1000));
    sweeper.sweep();
    now = 1000;
    sweeper.sweep();
    assert.deepEqual(expired, ['a']);
    assert.equal(sweeps(), 2);
  });

  it('sweeps on one timer once started, and not after stop()', async () => {
    const { buffer, expired, sweeper, sweeps } = setup(Date.now, 5);
    buffer.push(entry('soon', Date.now() + 10));
    const started = performance.now();
    sweeper.start();
    sweeper.start(); // idempotent: a second timer would double the sweeps
    await sleep(60);
    sweeper.stop();
    const elapsed = performance.now() - started;
    assert.deepEqual(expired, ['soon']);
    const after = sweeps();
    // At least the sweep that expired 'soon'; at most one per 5 ms (a second timer would double them).
    // A loaded machine may run fewer, never more.
    assert.ok(after >= 1 && after <= elapsed / 5 + 1, `${after} sweeps in ${elapsed.toFixed(0)} ms at one per 5 ms`);
    await sleep(20);
    assert.equal(sweeps(), after);
  });

  it('runs its timer only while there is something to sweep: armed by wake(), cleared by a sweep that finds nothing', async () => {
    let busy = false;
    const { buffer, window, expired, sweeper, sweeps } = setup(Date.now, 5, () => busy);
    sweeper.wake();
    assert.equal(sweeper.armed, false, 'not before start()');
    sweeper.start();
    assert.equal(sweeper.armed, false, 'started with nothing to sweep: no timer');
    const written = entry('in-flight', Date.now() + 60_000, WRITTEN);
    const tag = window.add(written);
    sweeper.wake();
    assert.equal(sweeper.armed, true);
    await sleep(20);
    assert.equal(sweeper.armed, true, 'a written publish is still unconfirmed');
    assert.ok(sweeps() >= 1);
    window.confirm(tag, false, () => undefined);
    busy = true; // held publishes at a `limits` mark
    await sleep(20);
    assert.equal(sweeper.armed, true, 'busy() keeps it');
    busy = false;
    const until = Date.now() + 2000;
    while (sweeper.armed && Date.now() < until) await sleep(5);
    assert.equal(sweeper.armed, false, 'the first sweep with nothing left clears it');
    const after = sweeps();
    await sleep(20);
    assert.equal(sweeps(), after, 'no sweeps while idle');
    buffer.push(entry('late', Date.now() + 10));
    sweeper.wake();
    while (expired.length === 0 && Date.now() < until) await sleep(5);
    assert.deepEqual(expired, ['late'], 'woken again, it keeps the deadline');
    sweeper.stop();
    assert.equal(sweeper.armed, false);
  });

  it('start() with publishes already waiting arms at once', () => {
    const { buffer, sweeper } = setup(Date.now, 5);
    buffer.push(entry('queued', Date.now() + 60_000));
    sweeper.start();
    assert.equal(sweeper.armed, true);
    sweeper.stop();
    assert.equal(sweeper.armed, false);
  });
});
