import { InvalidPublishError } from '../errors/publishErrors.js';
import { describeValue } from './checkPublish.js';

/**
 * amqplib encodes a header table into one 64 KiB scratch buffer (lib/defs.js SCRATCH) and throws
 * RangeError beyond it, so no header table is larger, whatever frame_max allows.
 */
export const AMQPLIB_TABLE_BYTES = 65_536;
/** The frame_max amqplib asks for; the broker may negotiate it lower, never higher. */
export const AMQPLIB_FRAME_MAX = 131_072;
/**
 * Tables and arrays nested deeper than this are refused: no header needs it, a cycle reaches it
 * at once, and the walk stays far from the stack limit (amqplib's own recursion overflows near 12,000).
 */
export const MAX_HEADER_DEPTH = 100;

/**
 * The size in bytes of `headers` encoded as an AMQP field table (its 4-byte length included),
 * computed the way amqplib 2.x encodes (lib/codec.js encodeTable) without encoding it. Throws
 * InvalidPublishError naming the path of the first value that amqplib cannot encode (BigInt,
 * undefined in an array, functions, symbols, keys over 255 bytes, integers out of range, a
 * table over amqplib's 64 KiB), or that RabbitMQ cannot decode: NaN or ±Infinity as a double
 * or float closes the whole connection (541 INTERNAL_ERROR). Objects other than plain ones,
 * arrays and Buffers (a Date, a Map, a class instance) are refused too: amqplib would send their
 * enumerable fields as a table, so a Date or a Map would arrive as {}.
 */
export function headerTableBytes(headers: unknown): number {
  const walk = new TableWalk();
  try {
    if (!isPlainObject(headers)) throw new Unencodable(`must be a plain object, got ${describeValue(headers)}`);
    walk.table(headers, 1);
  } catch (error) {
    if (error instanceof Unencodable) throw new InvalidPublishError(`publish option headers${error.path}: ${error.message}`);
    throw error;
  }
  return walk.bytes;
}

/** The properties amqplib encodes in a content header frame (its Options.Publish, headers aside). */
export interface HeaderFrameProperties {
  contentType?: string;
  contentEncoding?: string;
  persistent?: boolean;
  deliveryMode?: boolean | number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string | number;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

/**
 * The size of the content header frame amqplib writes for these properties (lib/defs.js
 * encodeBasicProperties): 22 bytes of frame and fixed fields, then each property present. The
 * broker closes the connection (501 FRAME_ERROR) when a frame exceeds the negotiated frame_max.
 */
export function contentHeaderFrameBytes(p: HeaderFrameProperties, tableBytes: number): number {
  return (
    22 +
    tableBytes +
    shortString(p.contentType) +
    shortString(p.contentEncoding) +
    (p.persistent !== undefined || p.deliveryMode !== undefined ? 1 : 0) +
    (p.priority !== undefined ? 1 : 0) +
    shortString(p.correlationId) +
    shortString(p.replyTo) +
    shortString(p.expiration) +
    shortString(p.messageId) +
    (p.timestamp !== undefined ? 8 : 0) +
    shortString(p.type) +
    shortString(p.userId) +
    shortString(p.appId)
  );
}

/** A header frame over the connection's frame_max: refused, since the broker would close the connection. */
export function frameTooLarge(bytes: number, frameMax: number): InvalidPublishError {
  return new InvalidPublishError(
    `publish option headers: the content header frame would be ${bytes} bytes, over this connection's frame_max of ${frameMax} (the broker would close the connection)`,
  );
}

function shortString(value: string | number | undefined): number {
  return value === undefined ? 0 : 1 + Buffer.byteLength(String(value));
}

/** A value that cannot go in a header; `path` is filled in (".a.b[2]") as the error unwinds. */
class Unencodable extends Error {
  path = '';
}

const TOO_LARGE = `encodes to more than ${AMQPLIB_TABLE_BYTES} bytes, amqplib's limit for a header table`;

/** Integer types of amqplib's `{ '!': type, value }` form: [min, max, bytes after the tag]. */
const TYPED_INTEGERS = new Map<unknown, readonly [number, number, number]>([
  ['byte', [-128, 127, 1]],
  ['int8', [-128, 127, 1]],
  ['unsignedbyte', [0, 255, 1]],
  ['uint8', [0, 255, 1]],
  ['short', [-32_768, 32_767, 2]],
  ['int16', [-32_768, 32_767, 2]],
  ['unsignedshort', [0, 65_535, 2]],
  ['uint16', [0, 65_535, 2]],
  ['int', [-2_147_483_648, 2_147_483_647, 4]],
  ['int32', [-2_147_483_648, 2_147_483_647, 4]],
  ['unsignedint', [0, 4_294_967_295, 4]],
  ['uint32', [0, 4_294_967_295, 4]],
]);
const INT64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];

/** Adds up encoded bytes as it goes and stops at the limit, so a huge or self-multiplying structure costs no more than 64 KiB of walking. */
class TableWalk {
  bytes = 0;

  #add(n: number): void {
    this.bytes += n;
    if (this.bytes > AMQPLIB_TABLE_BYTES) throw new Unencodable(TOO_LARGE);
  }

  table(table: object, depth: number): void {
    checkDepth(depth);
    this.#add(4);
    // for-in, like amqplib: inherited enumerable keys count too (plain objects have none).
    for (const key in table) {
      const value = (table as Record<string, unknown>)[key];
      if (value === undefined) continue; // amqplib leaves the key out
      try {
        const keyBytes = Buffer.byteLength(key);
        if (keyBytes > 255) throw new Unencodable(`the key is ${keyBytes} bytes; AMQP allows 255`);
        this.#add(1 + keyBytes);
        this.#value(value, depth);
      } catch (error) {
        throw withPath(error, `.${key.slice(0, 40)}`);
      }
    }
  }

  #array(array: readonly unknown[], depth: number): void {
    checkDepth(depth);
    this.#add(5);
    for (let i = 0; i < array.length; i++) {
      try {
        this.#value(array[i], depth);
      } catch (error) {
        throw withPath(error, `[${i}]`);
      }
    }
  }

  #value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.#add(5 + Buffer.byteLength(value));
        break;
      case 'number':
        this.#add(1 + numberBytes(value));
        break;
      case 'boolean':
        this.#add(2);
        break;
      case 'object':
        this.#object(value, depth);
        break;
      case 'bigint':
        throw new Unencodable(`${describeValue(value)} cannot be encoded; use { '!': 'long', value } (signed 64-bit) or a string`);
      case 'undefined':
        throw new Unencodable('undefined in an array cannot be encoded; use null');
      default:
        throw new Unencodable(`${describeValue(value)} cannot be encoded`);
    }
  }

  #object(value: object | null, depth: number): void {
    if (value === null) {
      this.#add(1);
    } else if (Object.hasOwn(value, '!')) {
      // amqplib's `{ '!': type, value }` form, which picks the AMQP type.
      const { '!': type, value: inner } = value as { '!': unknown; value?: unknown };
      if (type === 'string' || type === 'number' || type === 'boolean' || type === 'object') {
        // JavaScript type names: amqplib then encodes `value` as it would untyped.
        if (typeof inner !== type) throw new Unencodable(`${type} must be a ${type}, got ${describeValue(inner)}`);
        this.#value(inner, depth + 1);
      } else {
        this.#add(typedBytes(type, inner));
      }
    } else if (Buffer.isBuffer(value)) {
      this.#add(5 + value.length);
    } else if (Array.isArray(value)) {
      this.#array(value, depth + 1);
    } else if (isPlainObject(value)) {
      this.#add(1);
      this.table(value, depth + 1);
    } else {
      throw new Unencodable(
        `${describeValue(value)} would be sent as a table of its enumerable fields ({} for a Date or a Map); convert it to a string, number or plain object`,
      );
    }
  }
}

function checkDepth(depth: number): void {
  if (depth > MAX_HEADER_DEPTH) throw new Unencodable(`nested more than ${MAX_HEADER_DEPTH} tables or arrays deep (a cycle?)`);
}

/** Prefixes the path of a value that cannot be encoded, as the error unwinds ("over the limit" has no path: the whole table is). */
function withPath(error: unknown, segment: string): unknown {
  if (error instanceof Unencodable && error.message !== TOO_LARGE) error.path = `${segment}${error.path}`;
  return error;
}

/** Bytes, tag included, of a value in amqplib's `{ '!': type, value }` form with an AMQP type name. */
function typedBytes(type: unknown, value: unknown): number {
  const range = TYPED_INTEGERS.get(type);
  if (range !== undefined) {
    if (!(Number.isInteger(value) && (value as number) >= range[0] && (value as number) <= range[1])) {
      throw new Unencodable(`${String(type)} must be a whole number from ${range[0]} to ${range[1]}, got ${describeValue(value)}`);
    }
    return 1 + range[2];
  }
  switch (type) {
    case 'long':
    case 'int64':
      check64Bit(type, value, INT64);
      return 9;
    case 'timestamp':
      check64Bit(type, value, UINT64);
      return 9;
    case 'double':
    case 'float64':
      checkFinite(type, value, value);
      return 9;
    case 'float':
      // A double beyond float range becomes Infinity as a float, which the broker cannot decode either.
      checkFinite(type, value, typeof value === 'number' ? Math.fround(value) : value);
      return 5;
    case 'decimal': {
      const d = value as { places?: unknown; digits?: unknown } | null;
      const ok =
        typeof d === 'object' &&
        d !== null &&
        Object.hasOwn(d, 'places') &&
        Object.hasOwn(d, 'digits') &&
        Number.isInteger(d.places) &&
        (d.places as number) >= 0 &&
        (d.places as number) <= 255 &&
        Number.isInteger(d.digits) &&
        (d.digits as number) >= 0 &&
        (d.digits as number) <= 4_294_967_295;
      if (!ok) throw new Unencodable('decimal must be { places: 0..255, digits: 0..4294967295 }');
      return 6;
    }
    default:
      throw new Unencodable(`unknown type ${describeValue(type)} in { '!': type, value }`);
  }
}

/** Bytes after the tag of a plain number, picked as amqplib picks them; throws where it would throw or the broker would choke. */
function numberBytes(n: number): number {
  if (!Number.isFinite(n)) {
    throw new Unencodable(`${n} cannot be sent: RabbitMQ cannot decode NaN or Infinity and closes the connection (541 INTERNAL_ERROR)`);
  }
  // amqplib sends a double from 2^63 up, or for a fraction below 2^50; else the smallest signed integer.
  if (n >= 2 ** 63 || (Math.abs(n) < 2 ** 50 && !Number.isInteger(n))) return 8;
  if (!Number.isInteger(n)) throw new Unencodable(`${n} has a fraction, but amqplib sends numbers from 2^50 up as integers`);
  if (n >= -128 && n < 128) return 1;
  if (n >= -32_768 && n < 32_768) return 2;
  if (n >= -2_147_483_648 && n < 2_147_483_648) return 4;
  if (n < -(2 ** 63)) throw new Unencodable(`${n} is below the signed 64-bit range`);
  return 8;
}

function check64Bit(type: string, value: unknown, [min, max]: readonly [bigint, bigint]): void {
  const n = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value as number) : undefined;
  if (n === undefined || n < min || n > max) {
    throw new Unencodable(`${type} must be a whole number (or BigInt) from ${min} to ${max}, got ${describeValue(value)}`);
  }
}

function checkFinite(type: string, value: unknown, encoded: unknown): void {
  if (typeof encoded !== 'number' || !Number.isFinite(encoded)) {
    throw new Unencodable(
      `${type} must be a finite number, got ${describeValue(value)} (RabbitMQ cannot decode NaN or Infinity and closes the connection)`,
    );
  }
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
