import { accessSync, constants, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { runErlCall } from './erlCall.js';

/**
 * The local RabbitMQ node, asked through Erlang's `erl_call` (erl_interface): it answers in a few
 * milliseconds, where each `rabbitmqctl` run boots an Erlang VM of its own (most of a second of
 * CPU, several seconds on two busy cores). The helpers a test calls often (`queueCounts`,
 * `BrokerAdmin.cleanup`, `withMemoryAlarm`, `closeConnectionsNamed`) make the calls rabbitmqctl
 * would make, through it.
 */
export interface LocalNode {
  /** The node's name, e.g. rabbit@localhost. */
  readonly name: string;
  /** Evaluates `term`, an Erlang expression whose value rabbit_json can encode, on the node, and returns that value. */
  json<T>(term: string): Promise<T>;
}

let found: { path: string | undefined; node: Promise<LocalNode | undefined> } | undefined;

/**
 * The node rabbitmqctl speaks to, when erl_call can reach it; undefined otherwise (the helpers then
 * run rabbitmqctl). Only where rabbitmqctl is on the PATH, so a helper needs what it needed before.
 * The node's name and cookie are the ones rabbitmqctl takes: RABBITMQ_NODENAME, else NODENAME in
 * rabbitmq-env.conf, else rabbit@<short host name>; as root, the `rabbitmq` user's cookie (Debian's
 * rabbitmqctl runs as that user), else one's own. Looked for once (again if the PATH changes).
 */
export function localNode(): Promise<LocalNode | undefined> {
  const path = process.env.PATH;
  if (found === undefined || found.path !== path) found = { path, node: find() };
  return found.node;
}

async function find(): Promise<LocalNode | undefined> {
  const erlCall = erlCallBinary();
  if (onPath('rabbitmqctl') === undefined || erlCall === undefined) return undefined;
  const name = nodeName();
  const node: LocalNode = { name, json: (term) => evaluate(erlCall, name, term) };
  // The node answers under that name, with that cookie, and has what `json` uses (binary:encode_hex: OTP 24).
  const answered = await node.json<string>('node()').catch(() => undefined);
  return answered === name ? node : undefined;
}

let calls = 0;

async function evaluate<T>(erlCall: string, node: string, term: string): Promise<T> {
  // A name of its own for each call's client node: two erl_calls at once under its default name
  // collide, and one of them fails to connect.
  const client = `warren_test_${process.pid}_${++calls}`;
  const args = ['-h', client, node.split('@')[1]?.includes('.') ? '-name' : '-sname', node, '-e'];
  const { code, signal, out, err } = await runErlCall(erlCall, args, {
    home: cookieHome(),
    input: `${jsonTerm(term)}.\n`,
    timeoutMs: 60_000,
  });
  try {
    if (code !== 0) throw new Error(signal ?? `exit ${code}`);
    return JSON.parse(decodeAnswer(out)) as T;
  } catch (error) {
    throw new Error(`erl_call on ${node} (${(error as Error).message}): ${(out + err).trim().slice(0, 500)} -- for: ${term}`);
  }
}

/**
 * The expression sent for `term`: its value as JSON, hex-encoded. erl_call prints a binary only in
 * part (its first 30 bytes) and a string with no escaping; hex is printed whole and as it is.
 */
export function jsonTerm(term: string): string {
  return `binary_to_list(binary:encode_hex(iolist_to_binary(rabbit_json:encode(${term}))))`;
}

/** The JSON text in erl_call's answer to `jsonTerm(...)`: `{ok, "<hex>"}` (an empty list prints as `[]`). */
export function decodeAnswer(out: string): string {
  const answer = /^\{ok, (?:"([0-9A-Fa-f]*)"|\[\])\}\s*$/.exec(out);
  if (answer === null) throw new Error('no value');
  return Buffer.from(answer[1] ?? '', 'hex').toString('utf8');
}

/** `text` as an Erlang binary literal, byte by byte: nothing in it is read as Erlang. */
export function erlangBinary(text: string): string {
  return `<<${[...Buffer.from(text, 'utf8')].join(',')}>>`;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this one
    }
  }
  return undefined;
}

/** erl_call on the PATH, else beside Erlang's own binaries (erlang-base puts it under lib/erl_interface-*). */
function erlCallBinary(): string | undefined {
  const direct = onPath('erl_call');
  if (direct !== undefined) return direct;
  const erl = onPath('erl');
  if (erl === undefined) return undefined;
  const bin = dirname(realpathSync(erl));
  const lib = join(bin, '..', 'lib');
  let interfaces: string[] = [];
  try {
    interfaces = readdirSync(lib).filter((d) => d.startsWith('erl_interface-'));
  } catch {
    // no lib directory there
  }
  for (const file of [join(bin, 'erl_call'), ...interfaces.map((d) => join(lib, d, 'bin', 'erl_call'))]) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function nodeName(): string {
  let name = process.env.RABBITMQ_NODENAME;
  if (name === undefined || name === '') {
    try {
      const conf = readFileSync(process.env.RABBITMQ_CONF_ENV_FILE ?? '/etc/rabbitmq/rabbitmq-env.conf', 'utf8');
      for (const line of conf.split('\n')) {
        const set = /^\s*(?:export\s+)?(?:RABBITMQ_)?NODENAME=["']?([^"'\s]+)/.exec(line);
        if (set?.[1] !== undefined) name = set[1];
      }
    } catch {
      // no env file: the default name
    }
  }
  if (name === undefined || name === '') name = 'rabbit';
  return name.includes('@') ? name : `${name}@${hostname().split('.')[0]}`;
}

function cookieHome(): string {
  if (process.getuid?.() === 0) {
    try {
      const row = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('rabbitmq:'));
      const home = row?.split(':')[5];
      if (home !== undefined && home !== '') return home;
    } catch {
      // no passwd file: one's own
    }
  }
  return homedir();
}
