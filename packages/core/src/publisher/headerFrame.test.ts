import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type * as amqp from 'amqplib';
import { InvalidPublishError } from '../errors/publishErrors.js';
import { AMQPLIB_TABLE_BYTES, contentHeaderFrameBytes, headerTableBytes, MAX_HEADER_DEPTH } from './headerFrame.js';

// amqplib's own encoders, to check the sizes against (its package exports do not list lib/).
const require = createRequire(import.meta.url);
const lib = join(dirname(require.resolve('amqplib')), 'lib');
const codec = require(join(lib, 'codec.js')) as {
  encodeTable(buffer: Buffer, table: object, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
};
const defs = require(join(lib, 'defs.js')) as {
  BasicProperties: number;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
};

function amqplibTableBytes(headers: object): number {
  return codec.encodeTable(Buffer.alloc(AMQPLIB_TABLE_BYTES), headers, 0);
}

/** The message of the InvalidPublishError thrown, or the size. */
function outcome(headers: unknown): string | number {
  try {
    return headerTableBytes(headers);
  } catch (error) {
    assert.ok(error instanceof InvalidPublishError, String(error));
    return error.message;
  }
}

const fine: Record<string, Record<string, unknown>> = {
  empty: {},
  strings: { a: 'x', 'x-tenant': 'acme', utf8: 'héllo €', empty: '' },
  'numbers of every width': { b: 1, nb: -128, s: 300, ns: -32_768, i: 70_000, l: 2 ** 40, nl: -(2 ** 62), d: 1.5, big: 2 ** 64, zero: -0 },
  'booleans, null, undefined (left out)': { t: true, f: false, n: null, u: undefined },
  'Buffer and nested tables and arrays': {
    buf: Buffer.from([1, 2, 3]),
    nested: { a: { b: [1, 'two', { c: [] }] } },
    arr: [null, true, 2.5],
  },
  'x-death as amqplib decodes it': {
    'x-death': [
      {
        count: 2,
        reason: 'expired',
        queue: 'orders.retry.1000',
        time: { '!': 'timestamp', value: 1_700_000_000 },
        exchange: '',
        'routing-keys': ['orders.retry.1000'],
      },
    ],
  },
  'typed values': {
    i8: { '!': 'int8', value: -5 },
    u8: { '!': 'uint8', value: 200 },
    i16: { '!': 'short', value: 1 },
    u16: { '!': 'unsignedshort', value: 60_000 },
    i32: { '!': 'int32', value: 5 },
    u32: { '!': 'uint32', value: 4_000_000_000 },
    l: { '!': 'long', value: 10n },
    l2: { '!': 'int64', value: 7 },
    f: { '!': 'float', value: 1.5 },
    d: { '!': 'double', value: 1 },
    dec: { '!': 'decimal', value: { places: 2, digits: 12_345 } },
    ts: { '!': 'timestamp', value: 0 },
    str: { '!': 'string', value: 'x' },
    num: { '!': 'number', value: 3 },
  },
  'a prototype-less table': Object.assign(Object.create(null) as object, { a: 1 }),
  'the largest table amqplib takes': { k: 'x'.repeat(AMQPLIB_TABLE_BYTES - 11) },
};

test('sizes match amqplib’s encoding byte for byte', () => {
  for (const [name, headers] of Object.entries(fine)) assert.equal(outcome(headers), amqplibTableBytes(headers), name);
});

test('headers as amqplib decodes them from a delivery pass (retry and dead-letter copies carry them)', () => {
  for (const [name, headers] of Object.entries(fine)) {
    const buffer = Buffer.alloc(AMQPLIB_TABLE_BYTES);
    const decoded = codec.decodeFields(buffer.subarray(4, codec.encodeTable(buffer, headers, 0)));
    // Not always the original size: decoded numbers lose their wire type and are sized again.
    assert.equal(outcome(decoded), amqplibTableBytes(decoded), name);
  }
});

test('the content header frame size matches amqplib’s', () => {
  const headers = fine['x-death as amqplib decodes it'] as object;
  const all: amqp.Options.Publish = {
    headers,
    contentType: 'application/json',
    contentEncoding: 'gzip',
    persistent: true,
    priority: 3,
    correlationId: 'c',
    replyTo: 'r',
    expiration: '1000',
    messageId: 'ab4a8c1e-7d2c-4d3e-9f0e-0123456789ab',
    timestamp: 1_700_000_000,
    type: 'order.created',
    appId: 'app',
  };
  const some: amqp.Options.Publish = { headers, messageId: 'm', persistent: false };
  for (const props of [all, some]) {
    // amqplib takes deliveryMode, not persistent, at this layer.
    const fields = { ...props, deliveryMode: props.persistent === undefined ? undefined : props.persistent ? 2 : 1 };
    assert.equal(
      contentHeaderFrameBytes(props, headerTableBytes(headers)),
      defs.encodeProperties(defs.BasicProperties, 1, 10, fields).length,
    );
  }
});

test('what amqplib cannot encode is refused, named by its path', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ n: 10n }, /^publish option headers\.n: BigInt 10n cannot be encoded; use \{ '!': 'long', value \}/],
    [{ a: [1, undefined] }, /^publish option headers\.a\[1\]: undefined in an array cannot be encoded; use null$/],
    [{ f: () => 1 }, /^publish option headers\.f: a function cannot be encoded$/],
    [{ s: Symbol('s') }, /^publish option headers\.s: a symbol cannot be encoded$/],
    [{ [`k${'x'.repeat(255)}`]: 1 }, /^publish option headers\.kx{39}: the key is 256 bytes; AMQP allows 255$/],
    [{ n: 2 ** 50 + 0.5 }, /headers\.n: 1125899906842624\.5 has a fraction/],
    [{ n: -(2 ** 64) }, /headers\.n: -18446744073709552000 is below the signed 64-bit range/],
    [{ t: { '!': 'int8', value: 300 } }, /headers\.t: int8 must be a whole number from -128 to 127, got 300$/],
    [{ t: { '!': 'uint32', value: -1 } }, /headers\.t: uint32 must be/],
    [{ t: { '!': 'long', value: 2n ** 63n } }, /headers\.t: long must be a whole number \(or BigInt\)/],
    [{ t: { '!': 'timestamp', value: -1 } }, /headers\.t: timestamp must be/],
    [{ t: { '!': 'decimal', value: { places: 256, digits: 1 } } }, /headers\.t: decimal must be/],
    [{ t: { '!': 'bogus', value: 1 } }, /headers\.t: unknown type "bogus"/],
    [{ t: { '!': 'constructor', value: 1 } }, /headers\.t: unknown type "constructor"/],
    [{ t: { '!': 'string', value: 5 } }, /headers\.t: string must be a string, got 5$/],
    [
      { big: 'x'.repeat(AMQPLIB_TABLE_BYTES) },
      /^publish option headers: encodes to more than 65536 bytes, amqplib's limit for a header table$/,
    ],
    ['x', /^publish option headers: must be a plain object, got "x"$/],
    [[1], /^publish option headers: must be a plain object, got an array$/],
  ];
  for (const [headers, expected] of cases) {
    assert.match(String(outcome(headers)), expected);
    // amqplib throws on each too: the check moves the error to publish() and gives it its type and path.
    if (typeof headers === 'object' && !Array.isArray(headers)) assert.throws(() => amqplibTableBytes(headers as object));
  }
});

test('NaN and Infinity are refused: amqplib encodes +Infinity, and RabbitMQ then closes the connection (541)', () => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    assert.match(
      String(outcome({ x: { y: value } })),
      /^publish option headers\.x\.y: (NaN|-?Infinity) cannot be sent: RabbitMQ cannot decode/,
    );
  }
  for (const type of ['double', 'float64', 'float']) {
    assert.match(String(outcome({ v: { '!': type, value: Number.NaN } })), new RegExp(`headers\\.v: ${type} must be a finite number`));
  }
  // A double beyond float range is Infinity as a float.
  assert.match(String(outcome({ v: { '!': 'float', value: 1e39 } })), /float must be a finite number, got 1e\+39/);
});

test('objects that amqplib would flatten to their enumerable fields are refused', () => {
  class Point {
    x = 1;
  }
  for (const [value, shown] of [
    [new Date(0), 'Date'],
    [new Map([['a', 1]]), 'Map'],
    [new Uint8Array([1]), 'Uint8Array'],
    [new Point(), 'Point'],
  ] as const) {
    assert.match(
      String(outcome({ v: value })),
      new RegExp(`^publish option headers\\.v: an object \\(${shown}\\) would be sent as a table of its enumerable fields`),
    );
  }
});

test('deep nesting and cycles stop at the depth limit', () => {
  let ok: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < MAX_HEADER_DEPTH; i++) ok = { n: ok };
  assert.equal(typeof outcome(ok), 'number');
  assert.match(String(outcome({ n: ok })), /nested more than 100 tables or arrays deep/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.match(String(outcome(cyclic)), /^publish option headers(\.self){100}: nested more than 100 tables or arrays deep \(a cycle\?\)$/);
  const array: unknown[] = [];
  array.push(array);
  assert.match(String(outcome({ a: array })), /nested more than 100/);
});

test('a structure that multiplies itself stops at the byte limit, not after 2^50 visits', () => {
  let x: unknown[] = ['x'.repeat(100)];
  for (let i = 0; i < 50; i++) x = [x, x];
  assert.match(String(outcome({ x })), /encodes to more than 65536 bytes/);
});
