import {
  type BrokerAddress,
  ConfigError,
  checkTlsForUrls,
  parseBrokerUrl,
  readSecretFile,
  readTlsSources,
  resolveBrokerUrls,
  type TlsOptions,
  type TlsSources,
  tlsSourcesFromEnv,
} from '@warren/core';
import type { Command } from 'commander';
import { unknownWarrenVariables } from './knownEnv.js';

/** The broker flags every `warren` command takes (commander's camelCase of them). */
export interface BrokerFlags {
  url?: string;
  urlFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsPassphraseFile?: string;
  tlsServername?: string;
  tlsNoVerify?: boolean;
}

/** Where and how to connect, resolved once per command, and what to warn about before connecting. */
export interface CliBroker {
  urls: string[];
  tls: TlsOptions | undefined;
  /** Said once at start (a log line for `start`, stderr for the operator commands): never a secret. */
  warnings: string[];
}

/** Adds the broker flags to `command`: URL, URL file and TLS files (each also from a WARREN_* variable). */
export function addBrokerOptions(command: Command): Command {
  return command
    .option('--url <url>', 'broker URL(s), comma-separated (else WARREN_URL, WARREN_URL_FILE, AMQP_URL)')
    .option('--url-file <path>', 'read the broker URL(s) from a file, e.g. a mounted secret (env WARREN_URL_FILE)')
    .option('--tls-ca <path>', 'PEM of the CA(s) that signed the broker certificate (env WARREN_TLS_CA)')
    .option('--tls-cert <path>', 'PEM client certificate; without a user in the URL, log in as it (env WARREN_TLS_CERT)')
    .option('--tls-key <path>', 'PEM key of --tls-cert (env WARREN_TLS_KEY)')
    .option('--tls-passphrase-file <path>', "file holding --tls-key's passphrase (env WARREN_TLS_PASSPHRASE_FILE)")
    .option('--tls-servername <name>', 'the name to verify the broker certificate against (env WARREN_TLS_SERVERNAME)')
    .option('--tls-no-verify', 'accept any broker certificate: insecure, logged as a warning (env WARREN_TLS_NO_VERIFY=true)');
}

/**
 * The URLs and TLS settings of a command: a flag wins over its variable, each checked, every
 * error naming the flag, variable or file it came from and never a secret. TLS settings beside a
 * plain amqp:// URL are an error here, before anything connects.
 */
export function resolveCliBroker(flags: BrokerFlags, env: NodeJS.ProcessEnv = process.env): CliBroker {
  const warnings = unknownWarrenVariables(env);
  const urls = cliUrls(flags, env);
  const addresses = urls.map(parseBrokerUrl);
  if (flags.url !== undefined && addresses.some(hasPassword)) {
    warnings.push(
      '--url holds a password: every user of this host can read it (ps, /proc); use --url-file or WARREN_URL_FILE, or a client certificate',
    );
  }
  const tls = cliTls(flags, env);
  checkTlsForUrls(tls, addresses);
  if (tls !== undefined && addresses.some((a) => a.protocol === 'amqps') && addresses.some(hasPassword) && tls.cert !== undefined) {
    warnings.push('the URL has a user and password, so the client certificate is presented but the login is by password (PLAIN)');
  }
  return { urls, tls, warnings };
}

const hasPassword = (a: BrokerAddress): boolean => a.hasCredentials && a.password !== '';

function cliUrls(flags: BrokerFlags, env: NodeJS.ProcessEnv): string[] {
  if (flags.url !== undefined && flags.urlFile !== undefined) throw new ConfigError('--url and --url-file both name the broker: give one');
  if (flags.url !== undefined) return resolveBrokerUrls({ urls: flags.url }, env, { urls: '--url' });
  if (flags.urlFile !== undefined) {
    return resolveBrokerUrls({ urls: readSecretFile(flags.urlFile, '--url-file') }, env, { urls: `--url-file "${flags.urlFile}"` });
  }
  return resolveBrokerUrls({}, env);
}

function cliTls(flags: BrokerFlags, env: NodeJS.ProcessEnv): TlsOptions | undefined {
  const sources: TlsSources = tlsSourcesFromEnv(env);
  const fromFlag = (value: string | undefined, from: string) => (value === undefined ? undefined : { value, from });
  sources.ca = fromFlag(flags.tlsCa, '--tls-ca') ?? sources.ca;
  sources.cert = fromFlag(flags.tlsCert, '--tls-cert') ?? sources.cert;
  sources.key = fromFlag(flags.tlsKey, '--tls-key') ?? sources.key;
  sources.passphraseFile = fromFlag(flags.tlsPassphraseFile, '--tls-passphrase-file') ?? sources.passphraseFile;
  sources.servername = fromFlag(flags.tlsServername, '--tls-servername') ?? sources.servername;
  const tls = readTlsSources(Object.fromEntries(Object.entries(sources).filter(([, s]) => s !== undefined)) as TlsSources);
  return noVerify(flags, env) ? { ...tls, rejectUnauthorized: false } : tls;
}

function noVerify(flags: BrokerFlags, env: NodeJS.ProcessEnv): boolean {
  if (flags.tlsNoVerify === true) return true;
  const text = env.WARREN_TLS_NO_VERIFY?.trim().toLowerCase();
  if (text === undefined || text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  throw new ConfigError(`WARREN_TLS_NO_VERIFY must be true or false, got "${env.WARREN_TLS_NO_VERIFY}"`);
}

/** An operator command's warnings: on stderr, so `--json` output stays one object on stdout. */
export function warnOnStderr(broker: CliBroker): void {
  for (const w of broker.warnings) process.stderr.write(`warren: warning: ${w}\n`);
}

/** An operator command's broker: resolved from its flags and the environment, warnings on stderr. */
export function operatorBroker(flags: BrokerFlags, env: NodeJS.ProcessEnv = process.env): CliBroker {
  const broker = resolveCliBroker(flags, env);
  warnOnStderr(broker);
  return broker;
}
