/**
 * What adversarial.test.ts runs on: the inputs a foreign client sends, each row with the fate it
 * must meet, the ways a handler fails, and the waits and the report table the run uses. Kept
 * apart so that the test file reads as the run itself.
 */
import { DEADLINE_HEADER, HEADER } from '@warren/core';
import type * as amqp from 'amqplib';

export type Fate = string;

export interface ForeignRow {
  kind: 'foreign';
  name: string;
  expect: Fate;
  queue: 'lenient' | 'strict';
  body: Buffer;
  props?: amqp.Options.Publish;
  /** What the handler does: `ok` (default), a check, or a way to fail. */
  behaviour?: string;
}

export const MAX_BYTES = 1024;
export const PUBLISHER_MAX_BYTES = 65_536;
export const MAX_HEADER_TEXT = 1000;
export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const boom = (): never => {
  throw new Error('trap');
};

/** The ways a handler fails: each must end in the DLQ with reason 'exhausted', never be acked or stuck. */
export const FAILURES: Record<string, () => unknown> = {
  'throw undefined': () => undefined,
  'throw null': () => null,
  'throw a string': () => 'a string, not an Error',
  'throw a number': () => 42,
  'throw Object.create(null)': () => Object.create(null),
  'throw an Error whose message getter throws': () => Object.defineProperty(new Error('x'), 'message', { get: boom }),
  'throw an Error with a circular cause': () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    return a;
  },
  'throw { message: null }': () => ({ message: null }),
  'throw a Proxy whose every trap throws': () => new Proxy({}, new Proxy({}, { get: () => boom })),
  'throw a Symbol': () => Symbol('sym'),
  'throw an Error whose name is 200 KiB': () => Object.assign(new Error('m'), { name: 'N'.repeat(200 * 1024) }),
  'throw an Error whose code is 200 KiB': () => Object.assign(new Error('m'), { code: 'C'.repeat(200 * 1024) }),
  'throw an Error with a 1 MiB message': () => new Error('M'.repeat(1024 * 1024)),
  error: () => new Error('planned failure'),
};

/** A field table value of each AMQP type (amqplib's `{ '!': type, value }` picks the type). */
const GARBAGE: Array<[string, unknown]> = [
  ['"" (longstr)', ''],
  ['"abc" (longstr)', 'abc'],
  ['-1 (byte)', -1],
  ['1e300 (double)', 1e300],
  ['1.5 (double)', 1.5],
  ['2.5 (float)', { '!': 'float', value: 2.5 }],
  ['[1] (array)', [1]],
  ['{a:1} (table)', { a: 1 }],
  ['void', null],
  ['true (boolean)', true],
  ['2^62 (long)', { '!': 'long', value: 2n ** 62n }],
  ['5 (timestamp)', { '!': 'timestamp', value: 5 }],
  ['1.5 (decimal)', { '!': 'decimal', value: { places: 1, digits: 15 } }],
  ['bytes', Buffer.from([1, 2, 3])],
];

/** Sent as a table; decoded, it is `{ '!': 'bogus', value: 1 }`, which amqplib reads as a type tag when encoding it again. */
const TRAPDOOR = { '!': 'object', value: { '!': 'bogus', value: 1 } };

export function foreignRows(): ForeignRow[] {
  const ok = json({ ok: true });
  const rows: ForeignRow[] = [];
  for (const header of [HEADER.attempt, HEADER.redeliveries, DEADLINE_HEADER]) {
    for (const [label, value] of GARBAGE) {
      rows.push({
        kind: 'foreign',
        name: `${header} = ${label}`,
        expect: 'handled',
        queue: 'lenient',
        body: ok,
        props: { headers: { [header]: value } },
      });
    }
  }
  rows.push(
    {
      kind: 'foreign',
      name: `${DEADLINE_HEADER} valid, 60 s in the past`,
      expect: 'deadline-passed',
      queue: 'lenient',
      body: ok,
      props: { headers: { [DEADLINE_HEADER]: Date.now() - 60_000 } },
    },
    {
      // amqplib decodes tables with `fields[key] = value`: a "__proto__" key sets the headers' prototype.
      kind: 'foreign',
      name: 'header "__proto__" = {x-warren-attempt: 7, x-warren-redeliveries: 3}',
      expect: 'handled',
      queue: 'lenient',
      body: ok,
      props: { headers: { ['__proto__']: { [HEADER.attempt]: 7, [HEADER.redeliveries]: 3 } } },
    },
    { kind: 'foreign', name: 'body not JSON, no content type', expect: 'dlq:decode', queue: 'lenient', body: Buffer.from('hello <b>') },
    {
      kind: 'foreign',
      name: 'body invalid JSON, application/json',
      expect: 'dlq:decode',
      queue: 'lenient',
      body: Buffer.from('{"id": 1,'),
      props: { contentType: 'application/json' },
    },
    {
      kind: 'foreign',
      name: 'body text/plain, decode json: handler gets a Buffer',
      expect: 'handled',
      queue: 'lenient',
      body: Buffer.from('plain words'),
      props: { contentType: 'text/plain' },
      behaviour: 'expect-buffer',
    },
    {
      kind: 'foreign',
      name: 'body text/plain, decode json-only',
      expect: 'dlq:decode',
      queue: 'strict',
      body: Buffer.from('plain words'),
      props: { contentType: 'text/plain' },
    },
    { kind: 'foreign', name: 'body empty', expect: 'dlq:decode', queue: 'lenient', body: Buffer.alloc(0) },
    {
      kind: 'foreign',
      name: `body exactly maxBytes (${MAX_BYTES}) of JSON`,
      expect: 'handled',
      queue: 'lenient',
      body: json({ pad: 'x'.repeat(MAX_BYTES - 10) }),
      props: { contentType: 'application/json' },
    },
    {
      kind: 'foreign',
      name: `body maxBytes + 1 (${MAX_BYTES + 1}) of JSON`,
      expect: 'dlq:decode',
      queue: 'lenient',
      body: json({ pad: 'x'.repeat(MAX_BYTES - 9) }),
      props: { contentType: 'application/json' },
    },
    {
      kind: 'foreign',
      name: 'body JSON with invalid UTF-8 in a string: handled with U+FFFD',
      expect: 'handled',
      queue: 'lenient',
      body: Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('b"}')]),
      props: { contentType: 'application/json' },
      behaviour: 'expect-replacement-char',
    },
    {
      kind: 'foreign',
      // V8's JSON.parse is not recursive: it parses this without a stack overflow, so the handler gets it.
      name: 'body JSON nested 100,000 deep: parsed, worker alive',
      expect: 'handled',
      queue: 'strict',
      body: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      props: { contentType: 'application/json' },
    },
    {
      kind: 'foreign',
      name: 'body {"__proto__":…, "constructor":{"prototype":…}}: no pollution',
      expect: 'handled',
      queue: 'lenient',
      body: Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
      props: { contentType: 'application/json' },
      behaviour: 'expect-no-pollution',
    },
  );
  for (const how of Object.keys(FAILURES)) {
    if (how === 'error') continue;
    rows.push({ kind: 'foreign', name: `handler: ${how}`, expect: 'dlq:exhausted', queue: 'lenient', body: ok, behaviour: how });
  }
  rows.push(
    {
      kind: 'foreign',
      name: 'handler: Promise.reject() (no reason)',
      expect: 'dlq:exhausted',
      queue: 'lenient',
      body: ok,
      behaviour: 'reject-undefined',
    },
    {
      // Decoded, this table has an own '!' key: amqplib's type trapdoor when Warren sends a copy.
      kind: 'foreign',
      name: "handler throws (told by the body); a foreign header table has a '!' key",
      expect: 'dlq:exhausted',
      queue: 'lenient',
      body: json({ adv: 'error' }),
      props: { headers: { 'x-foreign': TRAPDOOR } },
    },
    {
      kind: 'foreign',
      name: "handler throws (told by header x-adv); another header has a '!' key",
      expect: 'dlq:exhausted',
      queue: 'lenient',
      body: ok,
      behaviour: 'error',
      props: { headers: { 'x-foreign': TRAPDOOR } },
    },
  );
  return rows;
}

/** Publish options Warren's publisher must refuse (or pass harmlessly), each sent amid innocent publishes to `queue`. */
export function badPublishOptions(
  queue: string,
): Array<{ name: string; body?: unknown; queue?: string; options: Record<string, unknown> }> {
  return [
    { name: 'publish: expiration -1', options: { expiration: -1 } },
    { name: 'publish: expiration 1.5', options: { expiration: 1.5 } },
    { name: 'publish: expiration NaN', options: { expiration: Number.NaN } },
    { name: 'publish: expiration "abc"', options: { expiration: 'abc' } },
    { name: 'publish: timeoutMs NaN', options: { timeoutMs: Number.NaN } },
    { name: 'publish: a 200 KiB header (over the frame size)', options: { headers: { 'x-big': 'h'.repeat(200 * 1024) } } },
    {
      name: `publish: body over the publisher's maxMessageBytes (${PUBLISHER_MAX_BYTES})`,
      body: { pad: 'b'.repeat(PUBLISHER_MAX_BYTES) },
      options: {},
    },
    { name: 'publish: priority 300', options: { priority: 300 } },
    { name: 'publish: timestamp NaN', options: { timestamp: Number.NaN } },
    { name: 'publish: a header of type bigint', options: { headers: { 'x-n': 1n } } },
    { name: 'publish: queue name of 300 chars', queue: `${queue}.${'q'.repeat(300)}`, options: {} },
  ];
}

export interface TableRow {
  id: string;
  name: string;
  expect: Fate;
  actual: Fate;
}

/** A promise's result, or its failure, or 'timeout' after `ms`: a test wait that can never hang. */
export async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ status: 'ok'; value: T } | { status: 'failed'; error: unknown } | { status: 'timeout' }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ status: 'timeout' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'ok' as const, value }),
        (error: unknown) => ({ status: 'failed' as const, error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until true or `ms` passes; returns whether it became true (never throws on timeout). */
export async function until(check: () => boolean | Promise<boolean>, ms: number, everyMs = 20): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function errorName(error: unknown): string {
  if (error instanceof Error) return error.constructor.name;
  return typeof error;
}

export function printTable(rows: TableRow[]): string {
  const w = [Math.max(...rows.map((r) => r.name.length)), Math.max(...rows.map((r) => r.expect.length))];
  const line = (ok: string, n: string, e: string, a: string): string => `${ok} ${n.padEnd(w[0] ?? 0)}  ${e.padEnd(w[1] ?? 0)}  ${a}`;
  return [
    line(' ', 'input', 'expected', 'actual'),
    ...rows.map((r) => line(r.actual === r.expect ? '✓' : '✗', r.name, r.expect, r.actual)),
  ].join('\n');
}
