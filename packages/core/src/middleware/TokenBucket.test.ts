import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './TokenBucket.js';

/** Floats from a refill: equal to a millionth. */
function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} is not ${expected}`);
}

test('starts full: the burst goes at once, then nothing until a token refills', () => {
  const bucket = new TokenBucket(3, 10, 0);
  assert.equal(bucket.tryTake(0), true);
  assert.equal(bucket.tryTake(0), true);
  assert.equal(bucket.tryTake(0), true);
  assert.equal(bucket.tryTake(0), false);
  near(bucket.msUntilToken(0), 100);
  assert.equal(bucket.tryTake(99), false);
  assert.equal(bucket.tryTake(100), true);
});

test('refills continuously, in fractions, and never past its capacity', () => {
  const bucket = new TokenBucket(2, 4, 1000);
  bucket.tryTake(1000);
  bucket.tryTake(1000);
  near(bucket.tokens(1125), 0.5);
  near(bucket.msUntilToken(1125), 125);
  assert.equal(bucket.tokens(60_000), 2, 'a long quiet spell earns only the burst');
});

test('a clock going back earns nothing, and the span is not earned twice', () => {
  const bucket = new TokenBucket(10, 1000, 100);
  for (let i = 0; i < 10; i++) bucket.tryTake(100);
  assert.equal(bucket.tokens(50), 0);
  assert.equal(bucket.tokens(102), 2);
});

test('over a long run the rate holds: capacity + perSecond × seconds, not one token more', () => {
  // Take greedily every ms for 10 s at 50/s with a burst of 5: 5 + 500 tokens.
  const bucket = new TokenBucket(5, 50, 0);
  let taken = 0;
  for (let t = 0; t <= 10_000; t++) while (bucket.tryTake(t)) taken++;
  assert.equal(taken, 505);
});

test('a line served late keeps the rate; a caller that comes late to a full bucket does not', () => {
  // Served every 7 ms (a timer that fires up to 6 ms late) at 50/s, burst 1. A full bucket caps,
  // so plain takes lose the lateness of each token; a line keeps the schedule's phase.
  const plain = new TokenBucket(1, 50, 0);
  const line = new TokenBucket(1, 50, 0);
  let plainTaken = 0;
  let lineTaken = 0;
  for (let t = 0; t <= 10_000; t += 7) {
    while (plain.tryTake(t)) plainTaken++;
    const n = line.takeForLine(t, 10);
    assert.ok(n <= 1, `never more than the burst at once (${n} at ${t} ms)`);
    lineTaken += n;
  }
  assert.ok(plainTaken < 490, `plain: ${plainTaken}`);
  assert.ok(lineTaken >= 500 && lineTaken <= 501, `line: ${lineTaken}`);
});

test('a stall of whole intervals is not made up: a line gets at most the burst at once, and keeps the phase', () => {
  const bucket = new TokenBucket(2, 10, 0);
  assert.equal(bucket.takeForLine(0, 5), 2);
  // Stalled 1050 ms: 10.5 tokens were earned; 2 go now (the burst) and the half token is kept.
  assert.equal(bucket.takeForLine(1050, 5), 2);
  near(bucket.tokens(1050), 0.5);
  near(bucket.msUntilToken(1050), 50);
  assert.equal(bucket.takeForLine(1049, 5), 0, 'a clock going back earns nothing');
  assert.equal(bucket.takeForLine(1100, 5), 1);
  assert.equal(bucket.takeForLine(1100, 0), 0, 'a line of none takes nothing');
});

test('a new rate applies from now on; what was earned is kept', () => {
  const bucket = new TokenBucket(1, 10, 0);
  bucket.tryTake(0);
  near(bucket.tokens(50), 0.5);
  bucket.setRate(1, 50);
  assert.equal(bucket.perSecond, 1);
  near(bucket.msUntilToken(50), 500);
  assert.equal(bucket.tryTake(550), true);
});
