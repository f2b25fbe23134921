import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';

export function benchQueueName(label: string): string {
  return `bench.${label}.${randomUUID().slice(0, 8)}`;
}

/** Declares a durable queue for a scenario and returns a disposer that deletes it. */
export async function withQueue<T>(url: string, name: string, fn: (admin: amqp.Channel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(url, { clientProperties: { connection_name: `${name}:admin` } });
  const ch = await conn.createChannel();
  try {
    await ch.assertQueue(name, { durable: true });
    return await fn(ch);
  } finally {
    await ch.deleteQueue(name).catch(() => undefined);
    await conn.close().catch(() => undefined);
  }
}
