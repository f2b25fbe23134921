/**
 * `scheme://user:password@` in any text: the password, up to the `@`. Stops at whitespace, quotes
 * and backslashes, so it never runs past the end of a JSON string.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*):[^\s@/"'\\]+@/gi;
/** An HTTP credential after its scheme word: `Bearer eyJ…`, `Basic Z3Vlc3Q6…`. */
const AUTH_TOKEN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*/g;
/** A PEM private key (a TLS key read into an options object that got logged), to its END line or the end of the text. */
const PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * Masks the secrets a log line or an error message may carry by accident: the password of any
 * URL (`amqp://bob:***@host`), HTTP bearer or basic credentials, and PEM private keys. Warren never logs a broker
 * URL unmasked on purpose; this catches what it does not write itself (a handler's error that
 * names its database URL, a library's message). Lines without `://`, `Bearer`, `Basic` or
 * `PRIVATE KEY-----` are returned as they are without running a regex.
 */
export function scrubSecrets(text: string): string {
  let out = text;
  if (out.includes('://')) out = out.replace(URL_PASSWORD, '$1:***@');
  if (out.includes('Bearer') || out.includes('Basic')) out = out.replace(AUTH_TOKEN, '$1 ***');
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PRIVATE_KEY, '-----BEGIN $1PRIVATE KEY----- *** -----END $1PRIVATE KEY-----');
  return out;
}
