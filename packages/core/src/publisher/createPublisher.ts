import { Publisher } from './Publisher.js';
import type { PublisherOptions } from './PublisherOptions.js';

/** `new Publisher(options)` then `start()`. */
export async function createPublisher(options: PublisherOptions): Promise<Publisher> {
  const publisher = new Publisher(options);
  try {
    await publisher.start();
  } catch (error) {
    await publisher.close(0).catch(() => undefined);
    throw error;
  }
  return publisher;
}
