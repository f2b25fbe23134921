import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../scripts/tls-node.sh', import.meta.url));

/** The certificates a TLS test uses, as files in one temporary directory. */
export interface TestCertificates {
  dir: string;
  /** The private CA the node trusts and that signed server.pem and client.pem. */
  ca: string;
  /** A second CA nobody trusts, and a client certificate it signed. */
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
  /** Client certificate (CN = clientName) and its key, encrypted with the passphrase in passphraseFile. */
  clientName: string;
  clientCert: string;
  clientKey: string;
  passphrase: string;
  passphraseFile: string;
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

/** A P-256 key and a certificate request for `cn`, with `san` as subjectAltName when given. */
async function request(cwd: string, name: string, cn: string, san?: string): Promise<void> {
  await openssl(
    cwd,
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${cn}`,
    ...(san === undefined ? [] : ['-addext', `subjectAltName=${san}`]),
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
}

async function selfSignedCa(cwd: string, name: string, cn: string): Promise<void> {
  await openssl(
    cwd,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}

/** Signs `<name>.csr` with `<ca>`, copying its subjectAltName; `dates` ("YYYYMMDDHHMMSSZ") make it valid in the past only. */
async function sign(cwd: string, name: string, ca: string, usage: 'serverAuth' | 'clientAuth', dates?: [string, string]): Promise<void> {
  // `openssl ca` (not `x509 -req`) for the dates: OpenSSL 3.0's x509 cannot set a start date in the past.
  const db = join(cwd, `db-${name}`);
  mkdirSync(db, { recursive: true });
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(
    join(db, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      `database = ${db}/index.txt`,
      `new_certs_dir = ${db}`,
      `serial = ${db}/serial`,
      'default_md = sha256',
      'default_days = 2',
      'policy = any',
      'copy_extensions = copy',
      'unique_subject = no',
      'x509_extensions = ext',
      '[any]',
      'commonName = supplied',
      '[ext]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage = ${usage}`,
      '',
    ].join('\n'),
  );
  await openssl(
    cwd,
    'ca',
    '-batch',
    '-notext',
    '-config',
    join(db, 'ca.cnf'),
    '-cert',
    `${ca}.pem`,
    '-keyfile',
    `${ca}.key`,
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.pem`,
    ...(dates === undefined ? [] : ['-startdate', dates[0], '-enddate', dates[1]]),
  );
}

/**
 * Makes, with openssl, in a new temporary directory: a CA; a server certificate for `localhost`
 * (subjectAltName DNS:localhost only, so 127.0.0.1 is a hostname mismatch); an expired one for
 * `expired.test` (the node serves it to that SNI name); a client certificate with its key
 * encrypted by a passphrase; and a second, untrusted CA with a client certificate of its own.
 */
export async function makeCertificates(clientName: string): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
  await Promise.all([selfSignedCa(dir, 'ca', 'Warren Test CA'), selfSignedCa(dir, 'other-ca', 'Untrusted Test CA')]);
  await Promise.all([
    request(dir, 'server', 'localhost', 'DNS:localhost'),
    request(dir, 'expired', 'expired.test', 'DNS:expired.test'),
    request(dir, 'client-plain', clientName),
    request(dir, 'other-client', clientName),
  ]);
  await Promise.all([
    sign(dir, 'server', 'ca', 'serverAuth'),
    sign(dir, 'expired', 'ca', 'serverAuth', ['20200101000000Z', '20200102000000Z']),
    sign(dir, 'client-plain', 'ca', 'clientAuth'),
    sign(dir, 'other-client', 'other-ca', 'clientAuth'),
  ]);
  const passphrase = `pass-${Math.random().toString(36).slice(2)}-phrase`;
  const passphraseFile = join(dir, 'passphrase.txt');
  writeFileSync(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
  await openssl(dir, 'pkey', '-in', 'client-plain.key', '-aes256', '-passout', `file:${passphraseFile}`, '-out', 'client.key');
  rmSync(join(dir, 'client-plain.key'));
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    otherCa: join(dir, 'other-ca.pem'),
    otherClientCert: join(dir, 'other-client.pem'),
    otherClientKey: join(dir, 'other-client.key'),
    clientName,
    clientCert: join(dir, 'client-plain.pem'),
    clientKey: join(dir, 'client.key'),
    passphrase,
    passphraseFile,
  };
}

/** The TLS node (scripts/tls-node.sh): warren-tls@localhost, TLS only on 127.0.0.1:5671, never the main broker. */
export const tlsNode = {
  /** Starts it with the certificates in `dir` (ca.pem, server.pem/.key, expired.pem/.key); resolves with its URL. */
  async up(dir: string): Promise<string> {
    const { stdout } = await run('bash', [SCRIPT, 'up', dir], { timeout: 120_000 });
    return stdout.trim();
  },
  async down(): Promise<void> {
    await run('bash', [SCRIPT, 'down'], { timeout: 60_000 });
  },
  /** rabbitmqctl against the TLS node. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run('bash', [SCRIPT, 'ctl', ...args], { timeout: 60_000 });
    return stdout;
  },
};

/**
 * Stops the node however the test process ends: after() normally, and on SIGINT or SIGTERM (a
 * developer's Ctrl-C) before exiting, so no node is left holding port 5671.
 */
export function stopNodeOnSignal(): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    void tlsNode.down().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
