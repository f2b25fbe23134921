import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTraceparent, parseTraceparent, readTracestate } from './traceparent.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('parses the spec example, as a string or as bytes', () => {
  const expected = { traceId: TRACE, spanId: SPAN, flags: 1 };
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), expected);
  assert.deepEqual(parseTraceparent(Buffer.from(`00-${TRACE}-${SPAN}-01`)), expected);
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-00`), { ...expected, flags: 0 });
});

test('format is the inverse of parse', () => {
  const text = `00-${TRACE}-${SPAN}-01`;
  assert.equal(formatTraceparent(parseTraceparent(text) as NonNullable<ReturnType<typeof parseTraceparent>>), text);
  assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 0 }), `00-${TRACE}-${SPAN}-00`);
});

test('refuses what the spec calls invalid', () => {
  for (const bad of [
    undefined,
    42,
    '',
    `00-${TRACE}-${SPAN}`, // too short
    `00-${TRACE}-${SPAN}-01-extra`, // version 00 is exactly 55 characters
    `ff-${TRACE}-${SPAN}-01`, // version ff is invalid
    `00-${TRACE.toUpperCase()}-${SPAN}-01`, // lowercase only
    `00-${'0'.repeat(32)}-${SPAN}-01`, // all-zero trace-id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent-id
    `00_${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-0g`,
    `zz-${TRACE}-${SPAN}-01`,
  ]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
});

test('a later version is read by its first fields, if what follows starts with a dash', () => {
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`), { traceId: TRACE, spanId: SPAN, flags: 1 });
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, flags: 1 });
  assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01future`), undefined);
});

test('tracestate: kept as text, dropped when empty or oversized', () => {
  assert.equal(readTracestate('congo=t61rcWkgMzE'), 'congo=t61rcWkgMzE');
  assert.equal(readTracestate(Buffer.from(' rojo=00f067aa0ba902b7 ')), 'rojo=00f067aa0ba902b7');
  assert.equal(readTracestate(''), undefined);
  assert.equal(readTracestate(7), undefined);
  assert.equal(readTracestate(`a=${'x'.repeat(600)}`), undefined);
});
