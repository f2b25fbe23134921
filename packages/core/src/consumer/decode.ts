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
  const isJson = contentType === undefined || contentType === '' ? true : isJsonType(contentType);
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
    // V8's message quotes a piece of the body, which may hold personal data: keep only where it
    // broke. The original error is not kept as `cause` for the same reason.
    throw new DecodeError('invalid-json', `body is not valid JSON${jsonErrorPosition(error)}`);
  }
}

let lastType = '';
let lastIsJson = true;

/** JSON_TYPE.test with a one-entry memo: a queue's messages nearly always share one content type. */
function isJsonType(contentType: string): boolean {
  if (contentType !== lastType) {
    lastIsJson = JSON_TYPE.test(contentType);
    lastType = contentType;
  }
  return lastIsJson;
}

/** " (at position N)" from a JSON.parse error, without any of the text. */
function jsonErrorPosition(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return ` (at position ${position})`;
  return /end of (?:JSON )?input/i.test(message) ? ' (unexpected end)' : '';
}
