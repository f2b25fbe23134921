import { InvalidPublishError } from '../errors/publishErrors.js';

/** RabbitMQ 4.0+'s default `max_message_size` (16 MiB; 128 MiB in 3.8 to 3.13): a larger body closes the channel with a 406. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16_777_216;

export interface SerializedBody {
  content: Buffer;
  /** The content type implied by the body's JavaScript type; undefined for raw bytes. */
  contentType: string | undefined;
}

/**
 * Turns a publish body into bytes: a Buffer (or any Uint8Array) as-is, a string as UTF-8 text,
 * anything else as JSON. Throws InvalidPublishError for what JSON cannot carry (undefined,
 * functions, BigInt, cycles), so the caller gets a clear error and the channel is untouched.
 */
export function serializeBody(body: unknown): SerializedBody {
  if (Buffer.isBuffer(body)) return { content: body, contentType: undefined };
  if (body instanceof Uint8Array) return { content: Buffer.from(body.buffer, body.byteOffset, body.byteLength), contentType: undefined };
  if (typeof body === 'string') return { content: Buffer.from(body, 'utf8'), contentType: 'text/plain' };
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (error) {
    throw new InvalidPublishError(`message body cannot be serialised as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (json === undefined) throw new InvalidPublishError(`message body of type ${typeof body} cannot be serialised as JSON`);
  return { content: Buffer.from(json, 'utf8'), contentType: 'application/json' };
}
