import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateClock } from './StateClock.js';

test('counts each state up to now, the current one included', () => {
  const clock = new StateClock<'on' | 'off'>('on', 1000);
  assert.equal(clock.totalMs('on', 1500), 500);
  assert.equal(clock.totalMs('off', 1500), 0);
  clock.enter('off', 2000);
  assert.equal(clock.totalMs('on', 2600), 1000);
  assert.equal(clock.totalMs('off', 2600), 600);
  clock.enter('on', 3000);
  clock.enter('off', 3100);
  assert.equal(clock.totalMs('on', 4000), 1100);
  assert.equal(clock.totalMs('off', 4000), 1900);
  assert.deepEqual(clock.states().sort(), ['off', 'on']);
});

test('entering the state it is in changes nothing, and time never runs backwards', () => {
  const clock = new StateClock<'a' | 'b'>('a', 0);
  clock.enter('a', 500);
  assert.equal(clock.totalMs('a', 1000), 1000);
  clock.enter('b', 2000);
  assert.equal(clock.totalMs('b', 1500), 0, 'a scrape read with an older clock counts nothing negative');
  assert.equal(clock.state, 'b');
});
