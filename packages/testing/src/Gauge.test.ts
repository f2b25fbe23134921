import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge } from './Gauge.js';

test('current follows enter and leave; max keeps the highest', () => {
  const gauge = new Gauge();
  gauge.enter();
  gauge.enter();
  gauge.leave();
  gauge.enter();
  gauge.enter();
  assert.deepEqual({ current: gauge.current, max: gauge.max }, { current: 3, max: 3 });
  gauge.leave();
  gauge.leave();
  gauge.leave();
  gauge.enter();
  assert.deepEqual({ current: gauge.current, max: gauge.max }, { current: 1, max: 3 });
});
