import { rabbitmqctl } from './rabbitmqctl.js';

/**
 * Raises the broker's memory alarm (publishers get connection.blocked), runs `fn`, and always
 * sets the watermark back to RabbitMQ's default 0.4. Via rabbitmqctl, so a local broker only.
 */
export async function withMemoryAlarm<T>(fn: () => Promise<T>): Promise<T> {
  await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
  try {
    return await fn();
  } finally {
    await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
  }
}
