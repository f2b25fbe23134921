import { type BrokerAdmin, rabbitmqctl, uniqueName } from '@warren/testing';
import { type Exited, fixture, spawnWarren } from './cli.js';

const APP = fixture('operatorApp');

/** `warren <command> <fixture app> ...`: every name of the app starts with `queue` (test/fixtures/operatorApp.ts). */
export const warren = (queue: string, command: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Exited> =>
  spawnWarren([command, APP, ...args], { FIXTURE_QUEUE: queue, ...env }).exited;

/** The one JSON object a `--json` run prints. */
export function json<T>(out: Exited): T {
  try {
    return JSON.parse(out.stdout) as T;
  } catch {
    throw new Error(`not one JSON object (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
}

export interface CheckJson {
  ok: boolean;
  exitCode: number;
  broker: string;
  checks: Array<{ name: string; status: string; summary: string }>;
  differences: Array<{
    what: string;
    name: string;
    problem: string;
    detail: string;
    arguments: Array<{ argument: string; declared: unknown; actual: unknown }>;
  }>;
  notices: string[];
}

export interface ApplyJson {
  ok: boolean;
  results: Array<{ what: string; name: string; result: string; reason?: string }>;
}

/** `options ok, connect failed`: each check of a `check --json` report, in order. */
export const checkStatuses = (report: CheckJson): string => report.checks.map((c) => `${c.name} ${c.status}`).join(', ');

/** name -> result of a `topology --apply --json`. */
export const results = (a: ApplyJson): Record<string, string> => Object.fromEntries(a.results.map((r) => [r.name, r.result]));

/** The fixture's names for a fresh prefix, tracked so `admin.cleanup()` deletes them (DLQs and delay queues too). */
export function fixtureNames(admin: BrokerAdmin, prefix: string) {
  const q = uniqueName(prefix);
  admin.trackQueue(q, `${q}.q`, `${q}.downstream`);
  admin.trackExchange(`${q}.x`);
  return { q, quorum: `${q}.q`, downstream: `${q}.downstream`, exchange: `${q}.x` };
}

/** Queue types as the broker reports them (AMQP cannot tell): one rabbitmqctl call, as each takes a second or more. */
export async function queueTypes(...names: string[]): Promise<Array<string | undefined>> {
  const rows = JSON.parse(await rabbitmqctl('list_queues', 'name', 'type', '--formatter', 'json')) as Array<{ name: string; type: string }>;
  return names.map((n) => rows.find((r) => r.name === n)?.type);
}

export async function exchangeExists(admin: BrokerAdmin, name: string): Promise<boolean> {
  const ch = await admin.connection.createChannel();
  ch.on('error', () => undefined);
  return ch.checkExchange(name).then(
    () => ch.close().then(() => true),
    () => false,
  );
}
