import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PublishBuffer } from './PublishBuffer.js';

interface Item {
  id: number;
  bytes: number;
}
const item = (id: number, bytes = 10): Item => ({ id, bytes });

test('FIFO order with byte and count accounting', () => {
  const b = new PublishBuffer<Item>(10, 1000);
  for (let i = 0; i < 5; i++) b.push(item(i));
  assert.equal(b.length, 5);
  assert.equal(b.bytes, 50);
  assert.equal(b.shift()?.id, 0);
  assert.equal(b.shift()?.id, 1);
  assert.equal(b.length, 3);
  assert.equal(b.bytes, 30);
});

test('fits() enforces both bounds', () => {
  const b = new PublishBuffer<Item>(2, 25);
  assert.equal(b.fits(10), true);
  b.push(item(1));
  assert.equal(b.fits(16), false, 'bytes bound');
  assert.equal(b.fits(15), true);
  b.push(item(2));
  assert.equal(b.fits(1), false, 'count bound');
});

test('unshift puts accepted items back at the front, past the bounds', () => {
  const b = new PublishBuffer<Item>(1, 10);
  b.push(item(1));
  b.unshift(item(0));
  assert.equal(b.length, 2);
  assert.equal(b.shift()?.id, 0);
  b.push(item(2));
  b.shift();
  b.unshift(item(9)); // reuses the freed head slot
  assert.deepEqual(
    b.takeAll().map((i) => i.id),
    [9, 2],
  );
});

test('many shifts stay in order across compaction', () => {
  const b = new PublishBuffer<Item>(100_000, Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < 50_000; i++) b.push(item(i, 1));
  for (let i = 0; i < 30_000; i++) assert.equal(b.shift()?.id, i);
  for (let i = 50_000; i < 60_000; i++) b.push(item(i, 1));
  let expected = 30_000;
  for (let x = b.shift(); x !== undefined; x = b.shift()) assert.equal(x.id, expected++);
  assert.equal(expected, 60_000);
  assert.equal(b.length, 0);
  assert.equal(b.bytes, 0);
});

test('removeWhere removes expired items, keeps the order of the rest and the byte count', () => {
  const b = new PublishBuffer<Item>(10, 1000);
  for (let i = 0; i < 6; i++) b.push(item(i, i));
  b.shift();
  const removed: number[] = [];
  assert.equal(
    b.removeWhere(
      (i) => i.id % 2 === 0,
      (i) => removed.push(i.id),
    ),
    2,
  );
  assert.deepEqual(removed, [2, 4]);
  assert.equal(b.bytes, 1 + 3 + 5);
  assert.deepEqual(
    b.takeAll().map((i) => i.id),
    [1, 3, 5],
  );
  assert.equal(b.bytes, 0);
});
