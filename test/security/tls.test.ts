// @warren-test parallel — starts its own RabbitMQ node (warren-tls@localhost, TLS on 127.0.0.1:5671); touches nothing of the main broker.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger, createPublisher } from '@warren/core';
import { uniqueName, waitFor } from '@warren/testing';
import { type Exited, fixture, fixtureLines, spawnWarren, watchStdout } from '../support/cli.js';
import { makeCertificates, stopNodeOnSignal, type TestCertificates, tlsNode } from '../support/tls.js';

const APP = fixture('slowApp');
const PASSWORD = `tls-pw-${Math.random().toString(36).slice(2)}`;
const USER = 'warren-tls-user';
const CERT_USER = uniqueName('cert-user');

/** Everything any process or logger printed in this file: the last test looks for secrets in it. */
const transcript: string[] = [];
const record = (out: Exited): Exited => {
  transcript.push(out.stdout, out.stderr);
  return out;
};

/** A logger whose lines land in `lines` (and the transcript). */
function capturingLogger(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      transcript.push(chunk.toString());
      done();
    },
  });
  return createLogger({ name: 'tls-test', level: 'debug' }, sink);
}

/** Runs `warren start` with `args` and `env` until it exits by itself; resolves with its output and how long it took. */
async function startFails(args: string[], env: NodeJS.ProcessEnv): Promise<{ out: Exited; ms: number }> {
  const t0 = Date.now();
  const out = record(await spawnWarren(['start', APP, ...args], { FIXTURE_QUEUE: uniqueName('tls.fail'), ...env }).exited);
  return { out, ms: Date.now() - t0 };
}

/** One line on stderr, exit 1 within 10 s, and no reconnect attempt on the way. */
function assertFatal(result: { out: Exited; ms: number }, pattern: RegExp): void {
  const { out, ms } = result;
  assert.equal(out.code, 1, `exit code; stderr: ${out.stderr}`);
  assert.ok(ms < 10_000, `exited after ${ms} ms`);
  const lines = out.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${out.stderr}`);
  assert.match(lines[0] as string, pattern);
  // A reconnect loop would log these (ConnectionManager); one failed attempt logs none.
  assert.doesNotMatch(out.stdout, /reconnect failed|connection lost|"msg":"connected"/);
}

describe('TLS: a private CA, certificate checks, client-certificate login', { timeout: 150_000 }, () => {
  let certs: TestCertificates;
  let url: string;
  let urlFile: string;
  let releaseSignals: () => void;

  before(async () => {
    releaseSignals = stopNodeOnSignal();
    await tlsNode.down(); // a node a killed earlier run left behind would serve its old certificates
    certs = await makeCertificates(CERT_USER);
    url = await tlsNode.up(certs.dir);
    await tlsNode.ctl('add_user', USER, PASSWORD);
    await tlsNode.ctl('set_permissions', '-p', '/', USER, '.*', '.*', '.*');
    // The certificate's user has no password at all: it can only log in by certificate.
    await tlsNode.ctl('add_user', CERT_USER, 'unused-pw-cleared-below');
    await tlsNode.ctl('clear_password', CERT_USER);
    await tlsNode.ctl('set_permissions', '-p', '/', CERT_USER, '.*', '.*', '.*');
    urlFile = join(certs.dir, 'url');
    // The Docker/Kubernetes secret convention: the file ends with a newline.
    writeFileSync(urlFile, `${url.replace('amqps://', `amqps://${USER}:${PASSWORD}@`)}\n`, { mode: 0o600 });
  });

  after(async () => {
    try {
      await tlsNode.down();
    } finally {
      releaseSignals();
      if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
    }
  });

  it('consumes and publishes over TLS with the private CA, the URL from WARREN_URL_FILE: every message handled once, no password on the command line', async () => {
    const queue = uniqueName('tls.work');
    const out = join(certs.dir, `${queue}.out`);
    const worker = spawnWarren(['start', APP], {
      WARREN_URL_FILE: urlFile,
      WARREN_TLS_CA: certs.ca,
      FIXTURE_QUEUE: queue,
      FIXTURE_DELAY_MS: '0',
      FIXTURE_OUT: out,
    });
    const publisherLines: string[] = [];
    try {
      await watchStdout(worker.child).until('the consumer attached', (t) => t.includes('consumer attached'));
      const cmdline = readFileSync(`/proc/${worker.child.pid}/cmdline`, 'utf8');
      assert.doesNotMatch(cmdline, new RegExp(PASSWORD));
      assert.match(cmdline, /slowApp/); // it is the worker's command line that was read
      // The standalone publisher, over TLS too, with the CA given programmatically.
      const publisher = await createPublisher({
        url: url.replace('amqps://', `amqps://${USER}:${PASSWORD}@`),
        tls: { ca: readFileSync(certs.ca) },
        logger: capturingLogger(publisherLines),
      });
      const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
      try {
        await Promise.all(ids.map((id) => publisher.send(queue, { id })));
      } finally {
        await publisher.close();
      }
      // The file appears with the first message the worker handles: none yet is none done.
      const done = (): string[] => fixtureLines(out, 'done ');
      await waitFor('every message handled', () => done().length >= ids.length);
      const handled = done();
      assert.equal(handled.length, ids.length, 'no message handled twice');
      assert.deepEqual(new Set(handled), new Set(ids));
      worker.child.kill('SIGTERM');
      const exited = record(await worker.exited);
      assert.equal(exited.code, 0, exited.stderr);
      const starting = exited.stdout.split('\n').find((l) => l.includes('"msg":"starting"')) ?? '';
      assert.match(starting, /"tls":\{"ca":"given","verify":true\}/);
    } finally {
      worker.child.kill('SIGKILL');
      await tlsNode.ctl('delete_queue', queue).catch(() => undefined);
    }
  });

  it('an untrusted CA, a hostname mismatch, an expired certificate: each one line and exit 1 within 10 s', async () => {
    const env = { WARREN_URL_FILE: urlFile };
    const [untrusted, mismatch, expired] = await Promise.all([
      startFails(['--tls-ca', certs.otherCa], env),
      startFails(['--tls-ca', certs.ca, '--url', `amqps://${USER}:${PASSWORD}@127.0.0.1:5671`], {}),
      startFails(['--tls-ca', certs.ca, '--tls-servername', 'expired.test'], env),
    ]);
    assertFatal(untrusted, /the broker's certificate is not signed by a trusted CA \(SELF_SIGNED_CERT_IN_CHAIN\); pass .*--tls-ca/);
    assertFatal(mismatch, /not for "127\.0\.0\.1" \(it is for DNS:localhost\), a hostname mismatch \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    assertFatal(expired, /the broker's certificate has expired \(CERT_HAS_EXPIRED\)/);
    // A password in --url works, and is warned about; the line shows it masked.
    assert.match(mismatch.out.stdout, /--url holds a password: every user of this host can read it/);
  });

  it('client-certificate login: the broker lists the connection under the certificate user; an untrusted CA signed certificate is refused, fatally', async () => {
    const queue = uniqueName('tls.cert');
    const worker = spawnWarren(['start', APP, '--url', url, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey], {
      WARREN_TLS_CA: certs.ca,
      WARREN_TLS_PASSPHRASE_FILE: certs.passphraseFile,
      FIXTURE_QUEUE: queue,
      WARREN_URL_FIEL: urlFile,
    });
    try {
      await watchStdout(worker.child).until('the consumer attached', (t) => t.includes('consumer attached'));
      const rows = (await tlsNode.ctl('list_connections', 'user', 'auth_mechanism', 'ssl'))
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      const mine = rows.filter((r) => r[0] === CERT_USER);
      // Two connections (consume and publish), both by certificate, over TLS.
      assert.equal(mine.length, 2, JSON.stringify(rows));
      for (const r of mine) assert.deepEqual(r.slice(1), ['EXTERNAL', 'true']);
      worker.child.kill('SIGTERM');
      const exited = record(await worker.exited);
      assert.equal(exited.code, 0, exited.stderr);
      // A typo of a variable is named at start, with the name it is probably meant to be.
      assert.match(exited.stdout, /WARREN_URL_FIEL is not one Warren reads; it is ignored \(did you mean WARREN_URL_FILE\?\)/);
    } finally {
      worker.child.kill('SIGKILL');
      await tlsNode.ctl('delete_queue', queue).catch(() => undefined);
    }
    const refused = await startFails(
      ['--url', url, '--tls-ca', certs.ca, '--tls-cert', certs.otherClientCert, '--tls-key', certs.otherClientKey],
      {},
    );
    assertFatal(refused, /the broker refused the client certificate \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)/);
  });

  it('verification off is logged as a warning; TLS settings with amqp:// are an error at start', async () => {
    const lines: string[] = [];
    const publisher = await createPublisher({
      url: url.replace('amqps://', `amqps://${USER}:${PASSWORD}@`),
      tls: { rejectUnauthorized: false },
      logger: capturingLogger(lines),
    });
    await publisher.close();
    assert.equal(lines.filter((l) => /"level":40.*TLS certificate verification is OFF/.test(l)).length, 1, lines.join(''));
    const plain = await startFails(['--url', 'amqp://127.0.0.1:5672', '--tls-ca', certs.ca], {});
    assert.equal(plain.out.code, 2, plain.out.stderr);
    assert.match(plain.out.stderr, /TLS settings \(ca\) are given but broker URL "amqp:\/\/127\.0\.0\.1:5672" is plain amqp:\/\//);
  });

  it('no password, key or passphrase in any log line or error of these runs', () => {
    const text = transcript.join('\n');
    assert.ok(text.length > 1000, 'the transcript holds the runs above');
    assert.ok(!text.includes(PASSWORD), 'the password');
    assert.ok(!text.includes(certs.passphrase), 'the passphrase');
    assert.doesNotMatch(text, /PRIVATE KEY/);
    for (const file of [certs.clientKey, certs.otherClientKey]) {
      // Any 40-character run of the key's base64 body.
      const body = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('-----') && l.length >= 40);
      for (const line of body) assert.ok(!text.includes(line.slice(0, 40)), `a line of ${file}`);
    }
  });
});
