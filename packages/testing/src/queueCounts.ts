import { rabbitmqctl } from './rabbitmqctl.js';

export interface QueueCounts {
  ready: number;
  unacked: number;
  consumers: number;
}

/** A queue's counters as the broker reports them (via rabbitmqctl, so a local broker only). */
export async function queueCounts(queue: string): Promise<QueueCounts> {
  const out = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--no-table-headers');
  for (const line of out.split('\n')) {
    const [name, ready, unacked, consumers] = line.trim().split(/\s+/);
    if (name === queue) return { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) };
  }
  throw new Error(`queue ${queue} not found`);
}
