import { execFile } from 'node:child_process';
import type { BrokerAddress } from '../connection/brokerUrl.js';
import { isLoopback } from '../topology/consumerTimeout.js';
import { bindingKey } from './topologyPlan.js';

export interface LocalQueueCounts {
  ready: number;
  unacked: number;
  consumers: number;
}

/**
 * What AMQP cannot tell (bindings, unacked counts), as `rabbitmqctl` on this machine reports
 * it: for a broker on this machine only, like the consumer_timeout lookup. Each part is
 * undefined when not asked for or not to be had, and `unavailable` says why.
 */
export interface BrokerView {
  /** Every binding to a queue, as `bindingKey(exchange, queue, key)` (the default exchange is ''). */
  bindings?: ReadonlySet<string>;
  queues?: ReadonlyMap<string, LocalQueueCounts>;
  unavailable?: string;
}

/** Each rabbitmqctl call starts an Erlang VM (about a second): only what is asked for, at once. */
export async function readLocalBroker(address: BrokerAddress, want: { bindings?: boolean; queues?: boolean }): Promise<BrokerView> {
  if (want.bindings !== true && want.queues !== true) return {};
  if (!isLoopback(address.hostname)) {
    return { unavailable: `the broker (${address.hostname}) is not on this machine, and rabbitmqctl reads only a local one` };
  }
  const vhost = ['-p', address.vhost];
  try {
    const [bindings, queues] = await Promise.all([
      want.bindings === true
        ? ctl(['list_bindings', ...vhost, 'source_name', 'destination_name', 'destination_kind', 'routing_key']).then(parseBindingRows)
        : undefined,
      want.queues === true
        ? ctl(['list_queues', ...vhost, 'name', 'messages_ready', 'messages_unacknowledged', 'consumers']).then(parseQueueRows)
        : undefined,
    ]);
    return { ...(bindings === undefined ? {} : { bindings }), ...(queues === undefined ? {} : { queues }) };
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

function ctl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'rabbitmqctl',
      ['-q', ...args, '--formatter', 'json'],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('rabbitmqctl is not installed on this machine'));
        const first = `${stderr}`.trim().split('\n')[0] ?? '';
        reject(new Error(`rabbitmqctl ${args[0]} failed: ${first === '' ? error.message : first}`));
      },
    );
  });
}

function rows(text: string): Array<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(text.trim() === '' ? '[]' : text);
  if (!Array.isArray(parsed)) throw new Error('rabbitmqctl printed something other than a JSON list');
  return parsed.filter((row): row is Record<string, unknown> => typeof row === 'object' && row !== null);
}

/** `rabbitmqctl list_bindings ... --formatter json`: the bindings whose destination is a queue. */
export function parseBindingRows(text: string): Set<string> {
  const out = new Set<string>();
  for (const row of rows(text)) {
    if (row.destination_kind !== 'queue') continue;
    out.add(bindingKey(String(row.source_name ?? ''), String(row.destination_name), String(row.routing_key ?? '')));
  }
  return out;
}

/** `rabbitmqctl list_queues name messages_ready messages_unacknowledged consumers --formatter json`. */
export function parseQueueRows(text: string): Map<string, LocalQueueCounts> {
  const out = new Map<string, LocalQueueCounts>();
  for (const row of rows(text)) {
    out.set(String(row.name), {
      ready: Number(row.messages_ready ?? 0),
      unacked: Number(row.messages_unacknowledged ?? 0),
      consumers: Number(row.consumers ?? 0),
    });
  }
  return out;
}
