import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ratioText } from './report.js';

test('a missed ratio that two decimals would round onto its bound gets as many more as it takes', () => {
  assert.equal(ratioText({ ratioToRaw: 0.9493, target: '>= 0.95x raw', met: false }), '0.949x');
  assert.equal(ratioText({ ratioToRaw: 1.0512, target: '<= 1.05x raw', met: false }), '1.051x');
  // A bound with one decimal, and a ratio that three decimals would still round onto its bound.
  assert.equal(ratioText({ ratioToRaw: 1.104, target: '<= 1.1x raw', met: false }), '1.104x');
  assert.equal(ratioText({ ratioToRaw: 0.94996, target: '>= 0.95x raw', met: false }), '0.94996x');
});

test('otherwise two decimals, and a dash for no ratio', () => {
  assert.equal(ratioText({ ratioToRaw: 0.9512, target: '>= 0.95x raw', met: true }), '0.95x');
  assert.equal(ratioText({ ratioToRaw: 0.93, target: '>= 0.95x raw', met: false }), '0.93x');
  assert.equal(ratioText({ ratioToRaw: 1.2345, target: undefined, met: undefined }), '1.23x');
  assert.equal(ratioText({ ratioToRaw: Number.NaN, target: undefined, met: undefined }), '-');
});
