import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deadlineHeader, HEADER, intHeader, MAX_COUNT, messageDeadline, requestCorrelationId, requestDeadline } from './headers.js';

const boom = (): never => {
  throw new Error('trap');
};

/** Every trap throws: reading anything from it, even its prototype, is an attack. */
const hostileProxy = (): object =>
  new Proxy(
    {},
    new Proxy(
      {},
      {
        get: () => boom,
      },
    ),
  );

/** What a foreign client (or amqplib's decoder) can put into one header value. Hostile ones are built per test: fast-check reads what it generates. */
const anyHeaderValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  fc.bigInt(),
  fc.uint8Array().map((bytes) => Buffer.from(bytes)),
  fc.double(),
  fc.string().map((s) => Symbol(s)),
  fc.stringMatching(/^-?\d{0,25}(\.\d*)?(e\d+)?$/),
  fc.constantFrom<unknown>(
    '',
    ' ',
    ' 7',
    '7 ',
    '0x10',
    '1e3',
    '-0',
    'Infinity',
    'NaN',
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 62,
    2n ** 62n,
    -(2n ** 63n),
    { '!': 'timestamp', value: 5 },
    { '!': 'decimal', value: { places: 0, digits: 3 } },
  ),
);

const isCount = (n: unknown, max: number): boolean =>
  n === undefined || (Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max);

describe('intHeader: any value a foreign client sends', () => {
  it('never throws, and reads as absent or as a whole number in 0..MAX_COUNT', () => {
    fc.assert(
      fc.property(anyHeaderValue, (value) => {
        const n = intHeader({ [HEADER.attempt]: value }, HEADER.attempt);
        assert.ok(isCount(n, MAX_COUNT), `intHeader(${String(typeof value)}) = ${String(n)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on a value built to hurt (a Proxy whose every trap throws, throwing conversions)', () => {
    const hostile = [hostileProxy(), { valueOf: boom, toString: boom, [Symbol.toPrimitive]: boom }, Object.create(null)];
    for (const value of hostile) {
      assert.equal(intHeader({ x: value }, 'x'), undefined);
      assert.equal(deadlineHeader({ [HEADER.deadline]: value }), undefined);
    }
  });

  it('with a smaller max, never returns more than it', () => {
    fc.assert(
      fc.property(anyHeaderValue, fc.integer({ min: 0, max: MAX_COUNT }), (value, max) => {
        assert.ok(isCount(intHeader({ x: value }, 'x', max), max));
      }),
      { numRuns: 1000 },
    );
  });

  it('honours whole numbers in range, sent as numbers or longs (bigint)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_COUNT }), (n) => {
        assert.equal(intHeader({ x: n }, 'x'), n);
        assert.equal(intHeader({ x: BigInt(n) }, 'x'), n);
      }),
    );
  });

  it('reads anything out of range or fractional as absent, never as 0 or a clamp', () => {
    const outside = fc.oneof(
      fc.integer({ max: -1 }),
      fc.double({ min: MAX_COUNT + 1, noNaN: true }),
      fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
      fc.bigInt({ min: BigInt(MAX_COUNT) + 1n }),
      fc.bigInt({ max: -1n }),
    );
    fc.assert(
      fc.property(outside, (value) => {
        assert.equal(intHeader({ x: value }, 'x'), undefined, String(value));
      }),
    );
  });

  it('reads empty, blank and non-decimal strings as absent', () => {
    for (const s of ['', ' ', '\t', 'abc', '-1', '1.5', '1e3', '0x10', ' 7', '7 ', 'Infinity', 'NaN', '١٢']) {
      assert.equal(intHeader({ x: s }, 'x'), undefined, JSON.stringify(s));
    }
  });

  it('reads arrays, tables, void, booleans, byte arrays and typed AMQP values as absent', () => {
    for (const v of [[1], { a: 1 }, null, true, false, Buffer.from([1]), { '!': 'timestamp', value: 5 }, new Date(5)]) {
      assert.equal(intHeader({ x: v }, 'x'), undefined, String(v));
    }
  });

  it('reads only the header itself, not one smuggled in through the prototype (amqplib decodes a "__proto__" key with `fields[key] = value`)', () => {
    const smuggled = Object.create({ [HEADER.attempt]: 7, [HEADER.redeliveries]: 3 }) as Record<string, unknown>;
    assert.equal(intHeader(smuggled, HEADER.attempt), undefined);
    assert.equal(intHeader(smuggled, HEADER.redeliveries), undefined);
    assert.equal(intHeader({}, '__proto__'), undefined);
    assert.equal(intHeader({}, 'constructor'), undefined);
  });
});

describe('deadlineHeader: any value a foreign client sends', () => {
  it('never throws, and reads as absent or as a positive whole number of ms', () => {
    fc.assert(
      fc.property(anyHeaderValue, (value) => {
        const d = deadlineHeader({ [HEADER.deadline]: value });
        assert.ok(d === undefined || (Number.isSafeInteger(d) && d > 0), String(d));
      }),
      { numRuns: 2000 },
    );
  });

  it('honours a plausible time, sent as a number or a long', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4_102_444_800_000 }), (ms) => {
        assert.equal(deadlineHeader({ [HEADER.deadline]: ms }), ms);
        assert.equal(deadlineHeader({ [HEADER.deadline]: BigInt(ms) }), ms);
      }),
    );
  });
});

describe("a request's deadline in its correlation id", () => {
  const uuid = '550e8400-e29b-41d4-a716-446655440000';

  it('round-trips any plausible deadline, and reads nothing from any other id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4_102_444_800_000 }), (ms) => {
        const id = requestCorrelationId(ms);
        assert.equal(requestDeadline(id), ms);
        assert.match(id, /^w1\.\d+\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (id) => {
        const d = requestDeadline(id);
        assert.ok(d === undefined || (id.startsWith('w1.') && Number.isSafeInteger(d) && d > 0), id);
      }),
      { numRuns: 2000 },
    );
    for (const id of [uuid, 'w1.', 'w1..x', 'w1.0.x', 'w1.12', 'w1.99999999999999999.x', 'w2.1700000000000.x']) {
      assert.equal(requestDeadline(id), undefined, id);
    }
  });

  it('counts for a request as its caller sent it; the sooner of it and a header wins; a copy or a replay keeps only a header', () => {
    const correlationId = requestCorrelationId(2_000);
    assert.equal(messageDeadline({ correlationId, replyTo: 'amq.rabbitmq.reply-to.x' }), 2_000);
    assert.equal(messageDeadline({ correlationId }), undefined, 'not a request: no replyTo');
    assert.equal(messageDeadline({ correlationId, replyTo: 'r', headers: { [HEADER.deadline]: 1_000 } }), 1_000);
    assert.equal(messageDeadline({ correlationId, replyTo: 'r', headers: { [HEADER.deadline]: 3_000 } }), 2_000);
    assert.equal(messageDeadline({ correlationId, replyTo: 'r', headers: { [HEADER.originalExchange]: '' } }), undefined);
    assert.equal(messageDeadline({ correlationId, replyTo: 'r', headers: { [HEADER.originalExchange]: '', [HEADER.deadline]: 5 } }), 5);
    assert.equal(messageDeadline({ correlationId, replyTo: 'r', headers: { [HEADER.replayedAt]: '2026-12-02T00:00:00Z' } }), undefined);
    assert.equal(messageDeadline({ correlationId: uuid, replyTo: 'r' }), undefined);
  });
});
