import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../errors/handlerErrors.js';
import { decodeBody } from './decode.js';
import { validatePayload } from './validate.js';

const json = { decode: 'json' as const, maxBytes: 1024 };
const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError);
    return e.reason;
  }
  throw new Error('did not throw');
};

describe('decodeBody', () => {
  it('parses JSON content types and bodies without one', () => {
    assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), 'application/json', json), { a: 1 });
    assert.deepEqual(decodeBody(Buffer.from('[1]'), 'application/vnd.orders+json; charset=utf-8', json), [1]);
    assert.deepEqual(decodeBody(Buffer.from('2'), undefined, json), 2);
  });
  it('hands other content types over as a Buffer, unless the consumer takes only JSON', () => {
    const body = Buffer.from('<xml/>');
    assert.equal(decodeBody(body, 'text/xml', json), body);
    assert.equal(
      reason(() => decodeBody(body, 'text/xml', { ...json, decode: 'json-only' })),
      'content-type',
    );
  });
  it('refuses bad JSON, empty bodies and oversize ones (before parsing)', () => {
    assert.equal(
      reason(() => decodeBody(Buffer.from('{'), 'application/json', json)),
      'invalid-json',
    );
    assert.equal(
      reason(() => decodeBody(Buffer.alloc(0), 'application/json', json)),
      'empty',
    );
    assert.equal(
      reason(() => decodeBody(Buffer.alloc(2000, 0x20), 'application/json', json)),
      'too-large',
    );
    assert.equal(
      reason(() => decodeBody(Buffer.alloc(2000), undefined, { decode: 'buffer', maxBytes: 10 })),
      'too-large',
    );
  });
});

describe('validatePayload', () => {
  const schema = {
    '~standard': {
      version: 1 as const,
      vendor: 'test',
      validate: (v: unknown) =>
        typeof (v as { id?: unknown }).id === 'string'
          ? { value: v }
          : {
              issues: [
                { message: 'Required', path: ['id'] },
                { message: 'bad', path: [{ key: 'items' }, 0] },
              ],
            },
    },
  };
  it('returns the value when valid and lists paths and messages when not', async () => {
    assert.deepEqual(await validatePayload(schema, { id: 'a' }), { id: 'a' });
    await assert.rejects(
      validatePayload(schema, {}),
      (e: unknown) => e instanceof DecodeError && e.reason === 'schema' && e.message.includes('id: Required; items.0: bad'),
    );
  });
});
