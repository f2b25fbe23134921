import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ratioText } from './report.js';

test('a missed ratio that two decimals would round onto its bound gets a third', () => {
  assert.equal(ratioText({ ratioToRaw: 0.9493, target: '>= 0.95x raw', met: false }), '0.949x');
  assert.equal(ratioText({ ratioToRaw: 1.0512, target: '<= 1.05x raw', met: false }), '1.051x');
});

test('otherwise two decimals, and a dash for no ratio', () => {
  assert.equal(ratioText({ ratioToRaw: 0.9512, target: '>= 0.95x raw', met: true }), '0.95x');
  assert.equal(ratioText({ ratioToRaw: 0.93, target: '>= 0.95x raw', met: false }), '0.93x');
  assert.equal(ratioText({ ratioToRaw: 1.2345, target: undefined, met: undefined }), '1.23x');
  assert.equal(ratioText({ ratioToRaw: Number.NaN, target: undefined, met: undefined }), '-');
});
