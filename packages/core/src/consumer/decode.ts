import { DecodeError } from '../errors/handlerErrors.js';
import type { ResolvedConsumerOptions } from '../options/resolveConsumerOptions.js';

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Turns a body into the handler's payload, per the consumer's `decode` option. Size is checked
 * before parsing: JSON.parse of a huge body blocks the event loop (and the heartbeats).
 */
export function decodeBody(
  body: Buffer,
  contentType: string | undefined,
  options: Pick<ResolvedConsumerOptions, 'decode' | 'maxBytes'>,
): unknown {
  if (body.length > options.maxBytes) {
    throw new DecodeError('too-large', `body is ${body.length} bytes, more than maxBytes (${options.maxBytes})`);
  }
  if (options.decode === 'buffer') return body;
  const isJson = contentType === undefined || contentType === '' ? true : JSON_TYPE.test(contentType);
  if (!isJson) {
    if (options.decode === 'json-only') {
      throw new DecodeError('content-type', `content-type "${contentType}" is not JSON, and this consumer takes only JSON`);
    }
    return body;
  }
  if (body.length === 0) throw new DecodeError('empty', 'body is empty, expected JSON');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new DecodeError('invalid-json', `body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
