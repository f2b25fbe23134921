import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DownstreamFullError } from '../errors/publishErrors.js';
import { BUFFERED, PendingPublish, settle, WRITTEN } from './PendingPublish.js';
import { type DepthAnswer, QueueDepthLimits, type QueueDepthView, type QueueLimit } from './QueueDepthLimits.js';

const waitLimit = (maxReady: number, sampleEveryMs = 100): QueueLimit => ({ maxReady, policy: 'wait', sampleEveryMs });
const failLimit = (maxReady: number, sampleEveryMs = 100): QueueLimit => ({ maxReady, policy: 'fail-fast', sampleEveryMs });

/** Limits over a clock and a broker the test drives: each ask waits until the test answers it. */
function setup(limits: Record<string, QueueLimit>, options: { room?: () => boolean } = {}) {
  let now = 1000;
  const asks: Array<{ queue: string; answer: (a: DepthAnswer) => Promise<void>; fail: (e: Error) => Promise<void> }> = [];
  const released: string[] = [];
  const refused = new Map<string, Error>();
  const changes: Array<{ view: QueueDepthView; notable: boolean }> = [];
  const unanswered: number[] = [];
  const depth = new QueueDepthLimits(new Map(Object.entries(limits)), {
    probe: (queue) =>
      new Promise<DepthAnswer>((resolve, reject) => {
        // Settling takes a turn of the microtask queue before the limits see it: the test awaits it.
        const settled = (): Promise<void> => new Promise((r) => setImmediate(r));
        asks.push({
          queue,
          answer: (a) => {
            resolve(a);
            return settled();
          },
          fail: (e) => {
            reject(e);
            return settled();
          },
        });
      }),
    hasRoom: options.room ?? (() => true),
    release: (entry) => released.push(String(entry.properties.messageId)),
    released: () => undefined,
    refuse: (entry, error) => refused.set(String(entry.properties.messageId), error),
    changed: (view, notable) => changes.push({ view, notable }),
    unanswered: (_queue, _error, inARow) => unanswered.push(inARow),
    now: () => now,
  });
  const entry = (queue: string, id: string, deadline = now + 10_000): PendingPublish =>
    new PendingPublish('', queue, Buffer.from(id), { messageId: id }, deadline, 0);
  /** Publishes ids to `queue`; returns those admitted at once. */
  const publish = (queue: string, ...ids: string[]): string[] => ids.filter((id) => depth.admit(entry(queue, id)));
  return {
    depth,
    asks,
    released,
    refused,
    changes,
    unanswered,
    entry,
    publish,
    advance: (ms: number) => {
      now += ms;
      depth.sweep(now);
    },
    lastAsk: () => asks[asks.length - 1] as (typeof asks)[number],
  };
}

describe('QueueDepthLimits', () => {
  it('holds the first publishes until the first answer, then lets through exactly the room under the mark, in order', async () => {
    const t = setup({ jobs: waitLimit(5) });
    assert.deepEqual(t.publish('jobs', 'a', 'b', 'c', 'd', 'e'), [], 'nothing known yet: all wait');
    assert.equal(t.asks.length, 1, 'one ask for all of them');
    assert.equal(t.depth.held, 5);
    await t.lastAsk().answer(2);
    assert.deepEqual(t.released, ['a', 'b', 'c'], '2 ready + 3 = the mark');
    assert.equal(t.depth.held, 2);
    assert.deepEqual(t.publish('jobs', 'f'), [], 'behind the held ones');
    assert.equal(t.depth.describe()[0]?.full, true);
  });

  it('counts what it lets through between answers, so a burst cannot pass the mark', async () => {
    const t = setup({ jobs: waitLimit(100) });
    t.publish('jobs', 'first');
    await t.lastAsk().answer(0);
    const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const admitted = t.publish('jobs', ...ids);
    assert.equal(admitted.length + t.released.length, 100, 'exactly the mark, with no new answer');
    assert.equal(t.depth.held, 201);
  });

  it('counts publishes let through and not yet confirmed on top of each answer: the broker may not have them yet', async () => {
    const t = setup({ jobs: waitLimit(10, 100) });
    t.publish('jobs', 'first');
    await t.lastAsk().answer(0);
    const sent = Array.from({ length: 9 }, (_, i) => t.entry('jobs', `s${i}`));
    for (const e of sent) assert.equal(t.depth.admit(e), true);
    t.advance(100);
    assert.deepEqual(t.publish('jobs', 'x'), [], 'at the mark by count');
    await t.lastAsk().answer(0);
    assert.deepEqual(t.released, ['first'], 'the answer says 0, but 9 (+ first) are unconfirmed: still no room');
    for (const e of sent.slice(0, 5)) settle(e); // confirmed: in the queue now
    t.advance(100);
    await t.lastAsk().answer(5);
    assert.deepEqual(t.released, ['first'], '5 in the queue + 5 unconfirmed');
    for (const e of sent.slice(5)) settle(e);
    t.advance(100);
    await t.lastAsk().answer(3); // a consumer took some
    assert.deepEqual(t.released, ['first', 'x'], 'room once the answer covers what was sent');
  });

  it('asks at most once per sampleEveryMs and never twice at once, sharing each answer among all publishes', async () => {
    const t = setup({ jobs: waitLimit(1_000_000, 100) });
    t.publish('jobs', 'a');
    t.publish('jobs', 'b');
    t.advance(150);
    t.publish('jobs', 'c');
    assert.equal(t.asks.length, 1, 'one in flight: no second ask');
    await t.lastAsk().answer(0);
    t.publish('jobs', 'd', 'e');
    assert.equal(t.asks.length, 2, 'due (150 ms since the last ask): asked again by the next publish');
    await t.lastAsk().answer(0);
    t.advance(50);
    t.publish('jobs', 'f');
    assert.equal(t.asks.length, 2, 'not due yet (50 ms)');
    t.advance(60);
    assert.equal(t.asks.length, 2, 'nothing held: the sweep does not ask');
    t.publish('jobs', 'g');
    assert.equal(t.asks.length, 3);
  });

  it('while publishes are held, the sweep asks again when due and releases what the new depth allows', async () => {
    const t = setup({ jobs: waitLimit(10, 100) });
    t.publish('jobs', 'a');
    await t.lastAsk().answer(10);
    t.publish('jobs', 'b', 'c');
    assert.deepEqual(t.released, [], 'at the mark: all held');
    t.advance(50);
    assert.equal(t.asks.length, 1);
    t.advance(60);
    assert.equal(t.asks.length, 2, 'due: the sweep asked');
    await t.lastAsk().answer(8);
    assert.deepEqual(t.released, ['a', 'b'], 'room for 2');
    assert.equal(t.depth.held, 1);
  });

  it('one full queue holds only its own publishes: other queues, limited or not, go on', async () => {
    const t = setup({ full: waitLimit(1), roomy: waitLimit(1000) });
    t.publish('full', 'x');
    await t.asks[0]?.answer(5);
    t.publish('roomy', 'y');
    await t.asks[1]?.answer(0);
    assert.deepEqual(t.publish('roomy', 'r1', 'r2'), ['r1', 'r2']);
    assert.deepEqual(t.publish('unlimited', 'u1'), ['u1']);
    assert.deepEqual(t.publish('full', 'f1'), []);
    assert.deepEqual(t.released, ['y']);
    assert.equal(t.depth.held, 2, 'x and f1, both for the full queue');
  });

  it("'fail-fast' waits only for the first answer, then refuses at once with DownstreamFullError while at the mark", async () => {
    const t = setup({ jobs: failLimit(3) });
    t.publish('jobs', 'a', 'b');
    await t.lastAsk().answer(2);
    assert.deepEqual(t.released, ['a']);
    assert.deepEqual([...t.refused.keys()], ['b']);
    assert.deepEqual(t.publish('jobs', 'c'), []);
    const error = t.refused.get('c');
    assert.ok(error instanceof DownstreamFullError);
    assert.deepEqual([error.queue, error.by, error.ready, error.code], ['jobs', 'limit', 2, 'WARREN_ERR_DOWNSTREAM_FULL']);
    assert.equal(t.depth.held, 0);
  });

  it("'wait' publishes held past their deadline fail with DownstreamFullError at the sweep; the others stay", async () => {
    const t = setup({ jobs: waitLimit(1, 10_000) });
    t.publish('jobs', 'warmup');
    await t.lastAsk().answer(1);
    t.depth.admit(t.entry('jobs', 'soon', 1100));
    t.depth.admit(t.entry('jobs', 'later', 5000));
    t.advance(200);
    assert.deepEqual([...t.refused.keys()], ['soon']);
    assert.match(t.refused.get('soon')?.message ?? '', /stayed full until this publish's deadline/);
    assert.equal(t.depth.held, 2, 'warmup and later');
  });

  it('a held publish that would pass the buffer bounds is refused instead', async () => {
    let room = true;
    const t = setup({ jobs: waitLimit(1) }, { room: () => room });
    t.publish('jobs', 'a');
    await t.lastAsk().answer(1);
    room = false;
    t.publish('jobs', 'b');
    assert.match(t.refused.get('b')?.message ?? '', /publish buffer is full/);
  });

  it('a queue that does not exist has nothing ready', async () => {
    const t = setup({ jobs: waitLimit(2) });
    t.publish('jobs', 'a', 'b', 'c');
    await t.lastAsk().answer('absent');
    assert.deepEqual(t.released, ['a', 'b']);
  });

  it('no answer (connection down): keeps the last estimate, reports it, and asks again when due', async () => {
    const t = setup({ jobs: waitLimit(5, 100) });
    t.publish('jobs', 'a');
    await t.lastAsk().fail(new Error('no channel'));
    await t.lastAsk().fail(new Error('no channel')); // the same ask: settles once
    assert.deepEqual(t.unanswered, [1]);
    assert.equal(t.depth.held, 1);
    t.advance(120);
    assert.equal(t.asks.length, 2);
    await t.lastAsk().fail(new Error('no channel'));
    t.advance(120);
    await t.lastAsk().answer(0);
    assert.deepEqual(t.unanswered, [1, 2]);
    assert.deepEqual(t.released, ['a']);
  });

  describe("the queue's own refusals (reject-publish)", () => {
    it("'wait': a refused publish waits again, first in line; nothing goes until the next answer, whose depth becomes the mark", async () => {
      const t = setup({ jobs: waitLimit(1000, 100) });
      t.publish('jobs', 'a');
      await t.lastAsk().answer(0);
      const refusedOne = t.entry('jobs', 'r');
      assert.equal(t.depth.admit(refusedOne), true);
      refusedOne.phase = WRITTEN;
      t.advance(100);
      assert.equal(t.depth.refused(refusedOne), true, 'taken back to wait');
      assert.equal(refusedOne.phase, BUFFERED);
      assert.equal(t.asks.length, 2, 'asked at once (due)');
      assert.deepEqual(t.publish('jobs', 'b'), [], 'refused: nothing goes until the answer');
      await t.lastAsk().answer(100);
      assert.equal(t.depth.describe()[0]?.mark, 100, 'the queue refused at about 100: that is the mark now');
      assert.deepEqual(t.released, ['a'], 'at the learned mark: r and b still wait');
      t.advance(110);
      await t.lastAsk().answer(95);
      // Held by the learned mark: raised by a tenth (110), so 15 fit: r first, then b.
      assert.equal(t.depth.describe()[0]?.mark, 110);
      assert.deepEqual(t.released, ['a', 'r', 'b']);
    });

    it("'fail-fast': the refused publish is the caller's to fail, and publishes until the next answer fail at once", async () => {
      const t = setup({ jobs: failLimit(1000, 100) });
      t.publish('jobs', 'a');
      await t.lastAsk().answer(0);
      const r = t.entry('jobs', 'r');
      r.phase = WRITTEN;
      assert.equal(t.depth.refused(r), false);
      t.publish('jobs', 'b');
      assert.equal((t.refused.get('b') as DownstreamFullError | undefined)?.by, 'broker');
    });

    it('a learned mark at or above maxReady is dropped: maxReady rules again', async () => {
      const t = setup({ jobs: waitLimit(50, 100) });
      t.publish('jobs', 'a');
      await t.lastAsk().answer(0);
      const r = t.entry('jobs', 'r');
      r.phase = WRITTEN;
      t.advance(100);
      t.depth.refused(r);
      await t.lastAsk().answer(70);
      assert.equal(t.depth.describe()[0]?.mark, 50);
    });
  });

  it('reports each transition once; "full" is worth a log line at most every 10 s, "room again" after a hold of 1 s or more', async () => {
    const t = setup({ jobs: waitLimit(10, 100) });
    t.publish('jobs', 'a');
    await t.lastAsk().answer(0);
    assert.equal(t.changes.length, 0, 'room after the first answer: no transition');
    const fill = async (label: string): Promise<void> => {
      t.advance(200);
      t.publish('jobs', label); // asks (due) and goes: counted on top of the answer
      await t.lastAsk().answer(10);
    };
    const drain = async (label: string, heldMs: number): Promise<void> => {
      t.advance(heldMs);
      t.publish('jobs', label); // waits
      await t.lastAsk().answer(0);
    };
    await fill('b');
    await drain('c', 200);
    await fill('d');
    await drain('e', 1500);
    assert.deepEqual(
      t.changes.map((c) => [c.view.full, c.notable]),
      [
        [true, true],
        [false, false], // held 200 ms: the ordinary sawtooth
        [true, false], // full again within 10 s: no second line
        [false, true], // held 1.5 s
      ],
    );
    assert.deepEqual(t.released, ['a', 'c', 'e']);
  });

  it('takeAll() hands over every held publish and asks no more', async () => {
    const t = setup({ a: waitLimit(1), b: waitLimit(1) });
    t.publish('a', 'a1', 'a2');
    t.publish('b', 'b1');
    const all = t.depth.takeAll().map((e) => e.properties.messageId);
    assert.deepEqual(all, ['a1', 'a2', 'b1']);
    assert.equal(t.depth.held, 0);
    await t.asks[0]?.answer(0);
    assert.deepEqual(t.released, [], 'a late answer releases nothing');
    t.advance(1000);
    assert.equal(t.asks.length, 2);
  });
});
