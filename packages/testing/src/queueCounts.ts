import { erlangBinary, localNode } from './localNode.js';
import { rabbitmqctl } from './rabbitmqctl.js';

export interface QueueCounts {
  ready: number;
  unacked: number;
  consumers: number;
}

/** The counters list_queues reads for queue `Q` (rabbit_amqqueue:info), in QueueCounts' order. */
const COUNTERS =
  '[proplists:get_value(K, I, null) || I <- [rabbit_amqqueue:info(Q, [messages_ready, messages_unacknowledged, consumers])], ' +
  'K <- [messages_ready, messages_unacknowledged, consumers]]';

function counts([ready, unacked, consumers]: Array<number | null>): QueueCounts {
  return { ready: Number(ready ?? Number.NaN), unacked: Number(unacked ?? Number.NaN), consumers: Number(consumers ?? Number.NaN) };
}

/**
 * A queue's counters (in the default vhost) as the broker reports them: `rabbitmqctl list_queues`,
 * or the same counters asked of the local node through erl_call where it answers (localNode.ts),
 * so a local broker only.
 */
export async function queueCounts(queue: string): Promise<QueueCounts> {
  const node = await localNode();
  if (node !== undefined) {
    const row = await node.json<Array<number | null> | null>(
      `case rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, ${erlangBinary(queue)})) of {ok, Q} -> ${COUNTERS}; _ -> null end`,
    );
    if (row === null) throw new Error(`queue ${queue} not found`);
    return counts(row);
  }
  const out = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--no-table-headers');
  for (const line of out.split('\n')) {
    const [name, ready, unacked, consumers] = line.trim().split(/\s+/);
    if (name === queue) return { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) };
  }
  throw new Error(`queue ${queue} not found`);
}

/** Every queue of `vhost` with its counters, by name, in one call (as `queueCounts` asks). */
export async function listQueueCounts(vhost = '/'): Promise<Map<string, QueueCounts>> {
  const out = new Map<string, QueueCounts>();
  const node = await localNode();
  if (node !== undefined) {
    // A queue whose process is gone (being deleted, say) is listed without counters, as rabbitmqctl lists it.
    const rows = await node.json<Array<[string, ...Array<number | null>]>>(
      `[[element(4, amqqueue:get_name(Q)) | try ${COUNTERS} catch _:_ -> [] end] || Q <- rabbit_amqqueue:list(${erlangBinary(vhost)})]`,
    );
    for (const [name, ...row] of rows) out.set(name, counts(row));
    return out;
  }
  const text = await rabbitmqctl(
    'list_queues',
    '-p',
    vhost,
    'name',
    'messages_ready',
    'messages_unacknowledged',
    'consumers',
    '--no-table-headers',
  );
  for (const line of text.split('\n')) {
    const [name, ready, unacked, consumers] = line.trim().split(/\s+/);
    if (name !== undefined && name !== '') out.set(name, counts([Number(ready), Number(unacked), Number(consumers)]));
  }
  return out;
}
