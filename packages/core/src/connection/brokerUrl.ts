import { ConfigError, WarrenError } from '../errors/WarrenError.js';

/** One broker address, parsed and checked. `display` is safe to log: the password is masked. */
export interface BrokerAddress {
  readonly protocol: 'amqp' | 'amqps';
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  /** Heartbeat in seconds from the URL's `?heartbeat=`, if given. */
  readonly heartbeat: number | undefined;
  readonly display: string;
}

export const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Masks the password of an AMQP URL: `amqp://user:***@host:5672/vhost`. Never throws. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    // Not a URL at all: still hide anything that looks like user:password@.
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Parses and checks one AMQP URL, with errors that name the problem and never the password. */
export function parseBrokerUrl(url: string): BrokerAddress {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not echoed: a string that does not parse may hold a password we cannot tell apart.
    throw new WarrenError(
      'WARREN_ERR_BAD_URL',
      'the broker URL is not a valid URL; expected amqp://user:password@host:5672/vhost (percent-encode reserved characters in the password)',
    );
  }
  const protocol = parsed.protocol.slice(0, -1);
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw new WarrenError('WARREN_ERR_BAD_URL', `broker URL "${shown}" uses "${parsed.protocol}"; it must start with amqp:// or amqps://`);
  }
  if (parsed.hostname === '') {
    throw new WarrenError('WARREN_ERR_BAD_URL', `broker URL "${shown}" has no host`);
  }
  const heartbeatText = parsed.searchParams.get('heartbeat');
  let heartbeat: number | undefined;
  if (heartbeatText !== null) {
    heartbeat = Number(heartbeatText);
    if (!Number.isInteger(heartbeat) || heartbeat < 0) {
      throw new WarrenError(
        'WARREN_ERR_BAD_URL',
        `broker URL "${shown}": heartbeat must be a whole number of seconds, got "${heartbeatText}"`,
      );
    }
  }
  const hasCredentials = parsed.username !== '' || parsed.password !== '';
  const path = parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : '/';
  return {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? (protocol === 'amqp' ? 5672 : 5671) : Number(parsed.port),
    username: hasCredentials ? decodeURIComponent(parsed.username) : 'guest',
    password: hasCredentials ? decodeURIComponent(parsed.password) : 'guest',
    vhost: path,
    heartbeat,
    display: shown,
  };
}

/**
 * Reads a list of broker URLs from an array, or a comma-separated string (as `WARREN_URL`
 * may hold). Empty entries are ignored; an empty list is a configuration error.
 */
export function parseBrokerUrls(urls: string | readonly string[]): BrokerAddress[] {
  const list = (typeof urls === 'string' ? urls.split(',') : urls).map((u) => u.trim()).filter((u) => u !== '');
  if (list.length === 0) throw new ConfigError('no broker URL given (set --url, WARREN_URL or AMQP_URL)');
  return list.map(parseBrokerUrl);
}
