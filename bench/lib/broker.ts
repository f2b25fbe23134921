import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';

const run = promisify(execFile);

export function benchQueueName(label: string): string {
  return `bench.${label}.${randomUUID().slice(0, 8)}`;
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  return (await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 })).stdout;
}

/** Sets the broker's memory alarm, runs `fn`, and always restores the default watermark. */
export async function withMemoryAlarm<T>(fn: () => Promise<T>): Promise<T> {
  await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
  try {
    return await fn();
  } finally {
    await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
  }
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
