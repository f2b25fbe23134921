import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfirmWindow, MAX_RING_SLOTS } from './ConfirmWindow.js';

function filled(n: number): ConfirmWindow<string> {
  const w = new ConfirmWindow<string>();
  for (let i = 1; i <= n; i++) assert.equal(w.add(`m${i}`), i);
  return w;
}

test('single confirms match by tag, in any order', () => {
  const w = filled(4);
  const seen: string[] = [];
  w.confirm(3, false, (m) => seen.push(m));
  w.confirm(1, false, (m) => seen.push(m));
  w.confirm(3, false, (m) => seen.push(m)); // duplicate: ignored
  assert.deepEqual(seen, ['m3', 'm1']);
  assert.equal(w.size, 2);
});

test('multiple settles every tag up to and including it, skipping ones already settled', () => {
  const w = filled(6);
  const seen: string[] = [];
  w.confirm(2, false, (m) => seen.push(m));
  w.confirm(4, true, (m) => seen.push(`*${m}`));
  assert.deepEqual(seen, ['m2', '*m1', '*m3', '*m4']);
  assert.deepEqual([...w.values()], ['m5', 'm6']);
});

test('takeAll returns the unconfirmed, oldest first, and restarts tags at 1', () => {
  const w = filled(3);
  w.confirm(2, false, () => undefined);
  assert.deepEqual(w.takeAll(), ['m1', 'm3']);
  assert.equal(w.size, 0);
  assert.equal(w.add('n1'), 1);
  assert.equal(w.maxSeen, 3);
});

test('a tag left unconfirmed while many later ones are confirmed one by one: the ring grows and keeps every message', () => {
  const w = new ConfirmWindow<string>();
  const seen: string[] = [];
  w.add('m1');
  for (let i = 2; i <= 1000; i++) {
    w.add(`m${i}`);
    w.confirm(i, false, (m) => seen.push(m));
  }
  assert.equal(w.size, 1);
  assert.equal(seen.length, 999);
  assert.deepEqual([...w.values()], ['m1']);
  w.confirm(1, false, (m) => seen.push(m));
  assert.equal(w.size, 0);
  assert.equal(seen.at(-1), 'm1');
  assert.equal(w.add('m1001'), 1001);
});

test('one message never confirmed while 10,000 after it are: the ring stays at its bound, the message is kept', () => {
  const w = new ConfirmWindow<string>(16);
  w.add('stuck');
  for (let i = 2; i <= 10_001; i++) {
    w.add(`m${i}`);
    w.confirm(i, false, () => undefined);
  }
  assert.equal(w.ringSlots, 16);
  assert.equal(w.size, 1);
  assert.deepEqual([...w.values()], ['stuck']);
  const seen: string[] = [];
  w.confirm(1, false, (m) => seen.push(m));
  assert.deepEqual(seen, ['stuck']);
  assert.equal(w.size, 0);
});

test('the bound must be a power of two', () => {
  assert.throws(() => new ConfirmWindow(12), /power of two/);
  assert.throws(() => new ConfirmWindow(1), /power of two/);
  assert.equal(new ConfirmWindow().ringSlots, 64);
  assert.equal(new ConfirmWindow(8).ringSlots, 8);
});

test('a settle that adds (a write on each confirm) during a multiple confirm: every message settled once', () => {
  const w = filled(100);
  const seen: string[] = [];
  let n = 100;
  w.confirm(100, true, (m) => {
    seen.push(m);
    w.add(`m${++n}`);
  });
  assert.equal(seen.length, 100);
  assert.equal(w.size, 100);
  assert.deepEqual([...w.values()][0], 'm101');
});

/** The contract as a Map keeps it: tag -> message in tag order. */
class MapModel {
  readonly pending = new Map<number, string>();
  next = 1;
  add(m: string): number {
    this.pending.set(this.next, m);
    return this.next++;
  }
  confirm(tag: number, multiple: boolean, settle: (m: string) => void): void {
    if (!multiple) {
      const m = this.pending.get(tag);
      if (m !== undefined) {
        this.pending.delete(tag);
        settle(m);
      }
      return;
    }
    for (const [t, m] of this.pending) {
      if (t > tag) break;
      this.pending.delete(t);
      settle(m);
    }
  }
}

test('any sequence of writes, single and multiple confirms and channel losses: as a Map of tags would', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), n: fc.integer({ min: 1, max: 150 }) }),
    fc.record({ kind: fc.constant('confirm' as const), back: fc.integer({ min: 0, max: 200 }), multiple: fc.boolean() }),
    fc.record({ kind: fc.constant('lose' as const) }),
  );
  fc.assert(
    // Small bounds too: the oldest unconfirmed move out of the ring into the stragglers.
    fc.property(fc.constantFrom(2, 4, 16, MAX_RING_SLOTS), fc.array(op, { maxLength: 60 }), (maxSlots, ops) => {
      const w = new ConfirmWindow<string>(maxSlots);
      const model = new MapModel();
      let id = 0;
      for (const o of ops) {
        if (o.kind === 'add') {
          for (let i = 0; i < o.n; i++) {
            const m = `m${++id}`;
            assert.equal(w.add(m), model.add(m));
          }
        } else if (o.kind === 'confirm') {
          // A tag up to `back` below the newest: some confirmed already, some not, some before the oldest.
          const tag = Math.max(1, model.next - 1 - o.back);
          const got: string[] = [];
          const want: string[] = [];
          w.confirm(tag, o.multiple, (m) => got.push(m));
          model.confirm(tag, o.multiple, (m) => want.push(m));
          assert.deepEqual(got, want);
        } else {
          assert.deepEqual(w.takeAll(), [...model.pending.values()]);
          model.pending.clear();
          model.next = 1;
        }
        assert.equal(w.size, model.pending.size);
        assert.deepEqual([...w.values()], [...model.pending.values()]);
      }
    }),
    { numRuns: 500 },
  );
});

test('some visits the unconfirmed oldest first and stops at the first true', () => {
  const w = filled(5);
  w.confirm(2, false, () => undefined);
  const visited: string[] = [];
  assert.equal(
    w.some((m) => {
      visited.push(m);
      return m === 'm4';
    }),
    true,
  );
  assert.deepEqual(visited, ['m1', 'm3', 'm4']);
  assert.equal(
    w.some(() => false),
    false,
  );
});
