import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RingBuffer } from './RingBuffer.js';

test('keeps items oldest first until full', () => {
  const r = new RingBuffer<number>(3);
  assert.deepEqual(r.toArray(), []);
  assert.equal(r.last(), undefined);
  r.push(1);
  r.push(2);
  assert.deepEqual(r.toArray(), [1, 2]);
  assert.equal(r.last(), 2);
  assert.equal(r.size, 2);
});

test('once full, each push drops the oldest', () => {
  const r = new RingBuffer<number>(3);
  for (let i = 1; i <= 7; i++) r.push(i);
  assert.deepEqual(r.toArray(), [5, 6, 7]);
  assert.equal(r.size, 3);
  assert.equal(r.last(), 7);
});

test('a capacity of one keeps the newest', () => {
  const r = new RingBuffer<string>(1);
  r.push('a');
  r.push('b');
  assert.deepEqual(r.toArray(), ['b']);
});

test('refuses a capacity that is not a positive whole number', () => {
  assert.throws(() => new RingBuffer(0), /capacity must be a whole number of at least 1, got 0/);
  assert.throws(() => new RingBuffer(2.5), /got 2.5/);
});
