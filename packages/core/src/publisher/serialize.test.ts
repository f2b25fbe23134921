import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { serializeBody } from './serialize.js';

test('a Buffer goes as-is, with no content type', () => {
  const b = Buffer.from([1, 2, 3]);
  const out = serializeBody(b);
  assert.equal(out.content, b);
  assert.equal(out.contentType, undefined);
});

test('a Uint8Array is wrapped without copying', () => {
  const u = new Uint8Array([9, 8, 7]);
  const out = serializeBody(u);
  assert.deepEqual([...out.content], [9, 8, 7]);
  assert.equal(out.content.buffer, u.buffer);
});

test('a string is UTF-8 text/plain', () => {
  const out = serializeBody('héllo');
  assert.equal(out.content.toString('utf8'), 'héllo');
  assert.equal(out.contentType, 'text/plain');
});

test('objects, arrays, numbers and null are JSON', () => {
  assert.equal(serializeBody({ a: 1 }).content.toString(), '{"a":1}');
  assert.equal(serializeBody([1, 2]).content.toString(), '[1,2]');
  assert.equal(serializeBody(42).content.toString(), '42');
  assert.equal(serializeBody(null).content.toString(), 'null');
  assert.equal(serializeBody({}).contentType, 'application/json');
});

test('what JSON cannot carry is an InvalidPublishError', () => {
  assert.throws(() => serializeBody(undefined), InvalidPublishError);
  assert.throws(() => serializeBody(() => 1), InvalidPublishError);
  assert.throws(() => serializeBody({ n: 10n }), InvalidPublishError);
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  assert.throws(() => serializeBody(cyclic), InvalidPublishError);
});
