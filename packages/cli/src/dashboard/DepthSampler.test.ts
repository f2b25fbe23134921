import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DepthReader, DepthSampler } from './DepthSampler.js';

function readers(names: string[], answer: (name: string) => number | undefined = () => 1) {
  const calls: string[] = [];
  const map = new Map<string, DepthReader>();
  for (const name of names)
    map.set(name, async () => {
      calls.push(name);
      const ready = answer(name);
      return ready === undefined ? undefined : { ready };
    });
  return { map, calls };
}

test('reads each queue at most once per everyMs', async () => {
  const { map, calls } = readers(['a', 'b']);
  const s = new DepthSampler(map, { everyMs: 2000, perRound: 10 });
  await s.round(0);
  await s.round(1000);
  await s.round(1999);
  assert.deepEqual(calls, ['a', 'b']);
  await s.round(2000);
  assert.deepEqual(calls, ['a', 'b', 'a', 'b']);
  assert.equal(s.depth('a'), 1);
});

test('reads at most perRound queues a round, stalest first, so every queue gets its turn', async () => {
  const { map, calls } = readers(['a', 'b', 'c', 'd', 'e']);
  const s = new DepthSampler(map, { everyMs: 0, perRound: 2 });
  for (let t = 0; t < 5; t++) await s.round(t * 1000);
  assert.equal(calls.length, 10);
  // Five rounds of two: each queue read twice, never three times before another's second.
  for (const name of ['a', 'b', 'c', 'd', 'e']) assert.equal(calls.filter((c) => c === name).length, 2, name);
  assert.deepEqual(calls.slice(0, 5).sort(), ['a', 'b', 'c', 'd', 'e']);
});

test('a round still under way makes the next one wait for it instead of starting another', async () => {
  let release: () => void = () => undefined;
  let calls = 0;
  const map = new Map<string, DepthReader>([
    [
      'slow',
      () => {
        calls++;
        return new Promise((resolve) => {
          release = () => resolve({ ready: 9 });
        });
      },
    ],
  ]);
  const s = new DepthSampler(map, { everyMs: 0 });
  const first = s.round(0);
  const second = s.round(5000);
  assert.equal(calls, 1);
  release();
  await Promise.all([first, second]);
  assert.equal(s.depth('slow'), 9);
  assert.equal(s.reads, 1);
});

test('an unanswered or failed read makes the depth unknown, not stale', async () => {
  let ready: number | undefined = 5;
  const map = new Map<string, DepthReader>([['q', async () => (ready === undefined ? undefined : { ready })]]);
  map.set('broken', () => Promise.reject(new Error('channel closed')));
  const s = new DepthSampler(map, { everyMs: 0 });
  await s.round(0);
  assert.equal(s.depth('q'), 5);
  assert.equal(s.depth('broken'), null);
  ready = undefined;
  await s.round(1);
  assert.equal(s.depth('q'), null);
  assert.equal(s.depth('never-read'), null);
});
