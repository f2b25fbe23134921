import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../errors/WarrenError.js';
import type { BrokerAddress } from './brokerUrl.js';
import { fileProblem, readSecretFile } from './secretFile.js';

/**
 * TLS settings for `amqps://` brokers, handed to Node's `tls.connect` (amqplib's socket options).
 * The broker's certificate is verified against `ca` (default: Node's bundled public CAs) and its
 * host name unless `rejectUnauthorized: false`, which Warren logs as a warning when it connects.
 * With `cert` and `key` and a URL without user and password, Warren logs in as the certificate
 * (SASL EXTERNAL; the broker maps it to a user, by default its common name).
 */
export interface TlsOptions {
  /** PEM of the CA(s) that signed the broker's certificate: one string may hold several. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** PEM client certificate (its chain may follow it). */
  cert?: string | Buffer;
  /** PEM private key of `cert`. */
  key?: string | Buffer;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /** The name to ask for (SNI) and to verify the certificate against, instead of the URL's host. */
  servername?: string;
  /** Default true. False accepts any certificate: anyone on the path can read and change the traffic. */
  rejectUnauthorized?: boolean;
}

/** One setting from outside: its value (a file path, or the server name itself) and where it came from (`--tls-ca`, `WARREN_TLS_CA`). */
export interface TlsSource {
  value: string;
  from: string;
}

/** TLS settings as the CLI and the environment give them: files, each with its source for errors. */
export interface TlsSources {
  ca?: TlsSource;
  cert?: TlsSource;
  key?: TlsSource;
  passphraseFile?: TlsSource;
  servername?: TlsSource;
}

/** What each TLS setting is called in errors. */
export type TlsNames = Record<'ca' | 'cert' | 'key' | 'passphrase' | 'servername' | 'rejectUnauthorized', string>;

const OPTION_NAMES: TlsNames = {
  ca: 'option "tls.ca"',
  cert: 'option "tls.cert"',
  key: 'option "tls.key"',
  passphrase: 'option "tls.passphrase"',
  servername: 'option "tls.servername"',
  rejectUnauthorized: 'option "tls.rejectUnauthorized"',
};
const KNOWN = new Set(Object.keys(OPTION_NAMES));

/** The environment's TLS variables: file paths (a set but empty variable counts as unset), and the server name. */
export const TLS_ENV = {
  ca: 'WARREN_TLS_CA',
  cert: 'WARREN_TLS_CERT',
  key: 'WARREN_TLS_KEY',
  passphraseFile: 'WARREN_TLS_PASSPHRASE_FILE',
  servername: 'WARREN_TLS_SERVERNAME',
} as const;

export function tlsSourcesFromEnv(env: NodeJS.ProcessEnv): TlsSources {
  const sources: TlsSources = {};
  for (const [field, variable] of Object.entries(TLS_ENV) as Array<[keyof TlsSources, string]>) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') sources[field] = { value, from: variable };
  }
  return sources;
}

/**
 * The TLS settings to connect with: `option` when given (checked), else the environment's
 * (WARREN_TLS_CA, _CERT, _KEY, _PASSPHRASE_FILE, _SERVERNAME), else undefined (Node's defaults:
 * the public CAs, full verification). Every place that connects resolves TLS here.
 */
export function resolveTls(option: TlsOptions | undefined, env: NodeJS.ProcessEnv = process.env): TlsOptions | undefined {
  if (option !== undefined) return checkTls(option, OPTION_NAMES);
  return readTlsSources(tlsSourcesFromEnv(env));
}

/** Reads the files `sources` name and checks what they hold; undefined when there are none. */
export function readTlsSources(sources: TlsSources): TlsOptions | undefined {
  const given = Object.values(sources).filter((s) => s !== undefined);
  if (given.length === 0) return undefined;
  const tls: TlsOptions = {};
  if (sources.ca !== undefined) tls.ca = readPem(sources.ca);
  if (sources.cert !== undefined) tls.cert = readPem(sources.cert);
  if (sources.key !== undefined) tls.key = readPem(sources.key);
  if (sources.passphraseFile !== undefined) tls.passphrase = readSecretFile(sources.passphraseFile.value, sources.passphraseFile.from);
  if (sources.servername !== undefined) tls.servername = sources.servername.value;
  const name = (s: TlsSource | undefined, fallback: string): string => s?.from ?? fallback;
  return checkTls(tls, {
    ca: name(sources.ca, OPTION_NAMES.ca),
    cert: name(sources.cert, '--tls-cert or WARREN_TLS_CERT'),
    key: name(sources.key, '--tls-key or WARREN_TLS_KEY'),
    passphrase: name(sources.passphraseFile, '--tls-passphrase-file or WARREN_TLS_PASSPHRASE_FILE'),
    servername: name(sources.servername, OPTION_NAMES.servername),
    rejectUnauthorized: OPTION_NAMES.rejectUnauthorized,
  });
}

function readPem(source: TlsSource): string {
  try {
    return readFileSync(source.value, 'utf8');
  } catch (error) {
    throw new ConfigError(`${source.from}: cannot read "${source.value}": ${fileProblem(error)}`, { cause: error });
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * Checks TLS settings before any connection: known keys, types, each CA and the client
 * certificate parse (and the latter is in its validity period), the key is PEM, decrypts with the
 * passphrase and belongs to the certificate. Errors name the setting (`names`), never its content.
 */
export function checkTls(tls: TlsOptions, names: TlsNames = OPTION_NAMES): TlsOptions {
  // An app hands its settings to each of its connections: parse the PEMs once, not per connection.
  if (checked.has(tls)) return tls;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) throw new ConfigError('option "tls" must be an object');
  for (const key of Object.keys(tls)) {
    if (!KNOWN.has(key)) throw new ConfigError(`option "tls.${key}" is not a known option (known: ${[...KNOWN].join(', ')})`);
  }
  const text = (value: unknown, name: string): string => {
    if (typeof value === 'string') return value;
    if (Buffer.isBuffer(value)) return value.toString('latin1');
    throw new ConfigError(`${name} must be a PEM string or Buffer, got ${typeof value}`);
  };
  if (tls.ca !== undefined) {
    const list = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
    const blocks = list.flatMap((ca) => text(ca, names.ca).match(CERT_BLOCK) ?? []);
    if (blocks.length === 0) throw new ConfigError(`${names.ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    for (const block of blocks) parseCertificate(block, names.ca);
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new ConfigError(
      tls.cert === undefined ? `${names.key} needs a client certificate beside it` : `${names.cert} needs its key beside it`,
    );
  }
  if (tls.passphrase !== undefined && (typeof tls.passphrase !== 'string' || tls.key === undefined)) {
    throw new ConfigError(
      typeof tls.passphrase !== 'string' ? `${names.passphrase} must be a string` : `${names.passphrase} is given without a key`,
    );
  }
  if (tls.cert !== undefined && tls.key !== undefined)
    checkClientCertificate(tls, text(tls.cert, names.cert), text(tls.key, names.key), names);
  if (tls.servername !== undefined && (typeof tls.servername !== 'string' || tls.servername.trim() === '')) {
    throw new ConfigError(`${names.servername} must be a host name`);
  }
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') {
    throw new ConfigError(`${names.rejectUnauthorized} must be true or false`);
  }
  checked.add(tls);
  return tls;
}

/** Settings objects checkTls has passed. */
const checked = new WeakSet<TlsOptions>();

function checkClientCertificate(tls: TlsOptions, cert: string, key: string, names: TlsNames): void {
  const first = cert.match(CERT_BLOCK)?.[0];
  if (first === undefined) throw new ConfigError(`${names.cert} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  const x509 = parseCertificate(first, names.cert);
  const now = Date.now();
  // The broker would refuse it with a bare TLS alert: say which date is wrong instead.
  if (Date.parse(x509.validTo) < now) throw new ConfigError(`${names.cert}: the client certificate expired on ${x509.validTo}`);
  if (Date.parse(x509.validFrom) > now)
    throw new ConfigError(`${names.cert}: the client certificate is not valid before ${x509.validFrom}`);
  if (!KEY_BLOCK.test(key)) throw new ConfigError(`${names.key} holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)`);
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_OSSL_BAD_DECRYPT') {
      throw new ConfigError(
        tls.passphrase === undefined
          ? `${names.key} is encrypted: give its passphrase (--tls-passphrase-file, WARREN_TLS_PASSPHRASE_FILE or tls.passphrase)`
          : `${names.key} cannot be decrypted with the passphrase from ${names.passphrase} (ERR_OSSL_BAD_DECRYPT): wrong passphrase?`,
      );
    }
    if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH')
      throw new ConfigError(`${names.key} is not the key of the certificate in ${names.cert}`);
    throw new ConfigError(`${names.cert} and ${names.key} cannot be used (${typeof code === 'string' ? code : 'unknown error'})`);
  }
}

function parseCertificate(pem: string, name: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new ConfigError(`${name} holds a certificate that does not parse (${(error as { code?: string }).code ?? 'bad PEM'})`);
  }
}

/** True when `tls` sets anything at all: such settings with a plain amqp:// URL would be silently unused. */
export function hasTlsSettings(tls: TlsOptions | undefined): tls is TlsOptions {
  return tls !== undefined && Object.values(tls).some((v) => v !== undefined);
}

/** TLS settings beside a plain `amqp://` URL are a mistake (they would be ignored): a ConfigError naming the URL. */
export function checkTlsForUrls(tls: TlsOptions | undefined, addresses: readonly BrokerAddress[]): void {
  if (!hasTlsSettings(tls)) return;
  const plain = addresses.find((a) => a.protocol === 'amqp');
  if (plain === undefined) return;
  const given = Object.keys(tls).filter((k) => tls[k as keyof TlsOptions] !== undefined);
  throw new ConfigError(
    `TLS settings (${given.join(', ')}) are given but broker URL "${plain.display}" is plain amqp://, which would ignore them: use amqps:// (port 5671) or drop them`,
    undefined,
    'WARREN_ERR_BAD_URL',
  );
}

/** The common name of the client certificate (the user a RabbitMQ with `ssl_cert_login_from = common_name` maps it to). */
export function clientCertificateName(tls: TlsOptions | undefined): string | undefined {
  if (tls?.cert === undefined) return undefined;
  const pem = (typeof tls.cert === 'string' ? tls.cert : tls.cert.toString('latin1')).match(CERT_BLOCK)?.[0];
  if (pem === undefined) return undefined;
  const subject = new X509Certificate(pem).subject;
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? subject.replace(/\n/g, ', ');
}

/** What a log line may say of TLS settings: which CA is trusted, whether a client certificate is used, whether verification is on. */
export function describeTls(tls: TlsOptions | undefined): {
  ca: 'given' | 'system';
  clientCertificate?: string;
  verify: boolean;
  servername?: string;
} {
  const cn = clientCertificateName(tls);
  return {
    ca: tls?.ca === undefined ? 'system' : 'given',
    ...(cn === undefined ? {} : { clientCertificate: `CN=${cn}` }),
    verify: tls?.rejectUnauthorized !== false,
    ...(tls?.servername === undefined ? {} : { servername: tls.servername }),
  };
}
