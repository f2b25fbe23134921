import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DepthProbe, QueueDepthSampler } from './QueueDepthSampler.js';

function probe(queue: string, answers: Array<number | undefined | Error>): DepthProbe & { asked: number } {
  const p = {
    queue,
    asked: 0,
    read: async () => {
      const a = answers[Math.min(p.asked++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a === undefined ? undefined : { ready: a, consumers: 1 };
    },
  };
  return p;
}

test('reads at most once per interval, however often it is asked', async () => {
  let now = 0;
  const q = probe('q', [5, 7]);
  const sampler = new QueueDepthSampler([q], 1000, () => now);
  assert.deepEqual(
    (await sampler.sample()).map((d) => [d.queue, d.ready]),
    [['q', 5]],
  );
  now = 999;
  await sampler.sample();
  await sampler.sample();
  assert.equal(q.asked, 1);
  now = 1000;
  assert.equal((await sampler.sample())[0]?.ready, 7);
  assert.equal(q.asked, 2);
});

test('askers during a round share it; a queue consumed twice is read once', async () => {
  const q = probe('q', [3]);
  const sampler = new QueueDepthSampler([q, { queue: 'q', read: q.read }], 1000, () => 0);
  const [a, b] = await Promise.all([sampler.sample(), sampler.sample()]);
  assert.equal(q.asked, 1);
  assert.deepEqual(a, b);
  assert.equal(a.length, 1);
});

test('a queue that does not answer keeps its last reading', async () => {
  let now = 0;
  const q = probe('q', [4, undefined, new Error('channel closed')]);
  const sampler = new QueueDepthSampler([q], 10, () => now);
  await sampler.sample();
  now = 10;
  await sampler.sample();
  now = 20;
  const [depth] = await sampler.sample();
  assert.equal(depth?.ready, 4);
  assert.equal(depth?.at, 0, 'its age shows');
  assert.equal(q.asked, 3);
});
