import { ConfigError } from '../errors/WarrenError.js';
import type { TlsOptions } from './brokerTls.js';
import { readSecretFile } from './secretFile.js';

/** One broker address, parsed and checked. `display` is safe to log: the password is masked. */
export interface BrokerAddress {
  readonly protocol: 'amqp' | 'amqps';
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Whether the URL names a user or password (without, `guest`/`guest`, or a client certificate's login). */
  readonly hasCredentials: boolean;
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
    throw badUrl(
      'the broker URL is not a valid URL; expected amqp://user:password@host:5672/vhost (percent-encode reserved characters in the password)',
    );
  }
  const protocol = parsed.protocol.slice(0, -1);
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw badUrl(`broker URL "${shown}" uses "${parsed.protocol}"; it must start with amqp:// or amqps://`);
  }
  if (parsed.hostname === '') {
    throw badUrl(`broker URL "${shown}" has no host`);
  }
  const heartbeatText = parsed.searchParams.get('heartbeat');
  let heartbeat: number | undefined;
  if (heartbeatText !== null) {
    heartbeat = Number(heartbeatText);
    if (!Number.isInteger(heartbeat) || heartbeat < 0) {
      throw badUrl(`broker URL "${shown}": heartbeat must be a whole number of seconds, got "${heartbeatText}"`);
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
    hasCredentials,
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
  if (list.length === 0) throw new ConfigError('no broker URL given (set --url, WARREN_URL, WARREN_URL_FILE or AMQP_URL)');
  return list.map(parseBrokerUrl);
}

/** How to reach the broker, everywhere Warren takes one: `url` or `urls`, not both; `tls` for amqps:// URLs. */
export interface BrokerUrlOptions {
  /** One broker URL. */
  url?: string;
  /** Several broker URLs, tried in order (failing over on loss): an array or a comma-separated list. */
  urls?: string | readonly string[];
  /** TLS settings for amqps:// (default: WARREN_TLS_* from the environment, else Node's public CAs); an error with amqp://. */
  tls?: TlsOptions;
}

/** What the options are called in errors; the CLI passes its flag, `--url`. */
export interface BrokerUrlOptionNames {
  url?: string;
  urls?: string;
}

/**
 * The broker URLs to connect to, each checked: `url` or `urls`, else the environment's
 * (brokerUrlsFromEnv), else amqp://guest:guest@127.0.0.1:5672. Every place that takes
 * a broker URL resolves it here, so the options mean the same everywhere. A bad value is a
 * ConfigError naming the option or variable it came from, never showing a password.
 */
export function resolveBrokerUrls(
  options: BrokerUrlOptions,
  env: NodeJS.ProcessEnv = process.env,
  names: BrokerUrlOptionNames = {},
): string[] {
  const urlName = names.url ?? 'option "url"';
  const urlsName = names.urls ?? 'option "urls"';
  const { url, urls } = options;
  if (url !== undefined && urls !== undefined) {
    throw new ConfigError(`give ${urlName} (one broker) or ${urlsName} (several), not both`);
  }
  if (url !== undefined) {
    if (typeof url !== 'string') throw new ConfigError(`${urlName} must be a string, got ${typeof url}`);
    // One URL is not split on commas (a password may hold one), so a list here would fail oddly later.
    if (/,\s*amqps?:\/\//.test(url)) throw new ConfigError(`${urlName} holds several URLs: give them as ${urlsName}`);
    return checkedUrls(urlName, [url]);
  }
  if (urls !== undefined) {
    if (typeof urls !== 'string' && !Array.isArray(urls)) {
      throw new ConfigError(`${urlsName} must be an array of URLs or a comma-separated string, got ${typeof urls}`);
    }
    return checkedUrls(urlsName, typeof urls === 'string' ? urls.split(',') : urls);
  }
  return brokerUrlsFromEnv(env)?.urls ?? [DEFAULT_URL];
}

/**
 * The broker URLs the environment gives, and the variable they came from: WARREN_URL, else the
 * file WARREN_URL_FILE names (a mounted secret: the password stays off the environment too),
 * else AMQP_URL; a comma-separated list each. Undefined when none is set (a set but empty
 * variable counts as unset, as shells and compose files often leave it).
 */
export function brokerUrlsFromEnv(env: NodeJS.ProcessEnv): { urls: string[]; source: string } | undefined {
  const set = (name: string): string | undefined => (env[name]?.trim() ? env[name] : undefined);
  const url = set('WARREN_URL');
  const file = set('WARREN_URL_FILE');
  if (url !== undefined && file !== undefined) throw new ConfigError('WARREN_URL and WARREN_URL_FILE are both set: give one');
  if (url !== undefined) return { urls: checkedUrls('WARREN_URL', url.split(',')), source: 'WARREN_URL' };
  if (file !== undefined) {
    return { urls: checkedUrls('WARREN_URL_FILE', readSecretFile(file.trim(), 'WARREN_URL_FILE').split(',')), source: 'WARREN_URL_FILE' };
  }
  const amqp = set('AMQP_URL');
  return amqp === undefined ? undefined : { urls: checkedUrls('AMQP_URL', amqp.split(',')), source: 'AMQP_URL' };
}

function checkedUrls(source: string, list: readonly unknown[]): string[] {
  const urls: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') throw new ConfigError(`${source} must hold URL strings, got ${typeof item}`);
    const url = item.trim();
    if (url === '') continue;
    try {
      parseBrokerUrl(url);
    } catch (error) {
      throw badUrl(`${source}: ${(error as Error).message}`, error);
    }
    urls.push(url);
  }
  if (urls.length === 0) throw new ConfigError(`${source} is empty: give at least one broker URL`);
  return urls;
}

function badUrl(message: string, cause?: unknown): ConfigError {
  return new ConfigError(message, cause === undefined ? undefined : { cause }, 'WARREN_ERR_BAD_URL');
}
