import { localNode } from './localNode.js';
import { rabbitmqctl } from './rabbitmqctl.js';

/**
 * Raises the broker's memory alarm (publishers get connection.blocked), runs `fn`, and always
 * sets the watermark back to RabbitMQ's default 0.4. A local broker only: the call
 * `rabbitmqctl set_vm_memory_high_watermark` makes, through erl_call where the node answers
 * (localNode.ts), else rabbitmqctl itself.
 */
export async function withMemoryAlarm<T>(fn: () => Promise<T>): Promise<T> {
  await setWatermark('0.0000001');
  try {
    return await fn();
  } finally {
    await setWatermark('0.4');
  }
}

async function setWatermark(fraction: string): Promise<void> {
  const node = await localNode();
  if (node === undefined) await rabbitmqctl('set_vm_memory_high_watermark', fraction);
  else await node.json(`vm_memory_monitor:set_vm_memory_high_watermark(${fraction})`);
}
