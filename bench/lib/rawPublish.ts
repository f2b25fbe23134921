import type * as amqp from 'amqplib';

/**
 * Raw amqplib publishing done well: a confirm channel with at most `window` unconfirmed
 * messages, pausing on `publish() === false` until 'drain'. Resolves when all `n` are confirmed.
 * `message(i)` gives the i-th body and properties.
 */
export function publishWindowed(
  ch: amqp.ConfirmChannel,
  queue: string,
  n: number,
  window: number,
  message: (i: number) => { body: Buffer; props: amqp.Options.Publish },
): Promise<void> {
  if (n === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    let outstanding = 0;
    let paused = false;
    const onConfirm = (err: unknown): void => {
      if (err !== null) {
        reject(err);
        return;
      }
      outstanding--;
      if (++confirmed === n) resolve();
      else pump();
    };
    const pump = (): void => {
      while (!paused && outstanding < window && sent < n) {
        outstanding++;
        const { body, props } = message(sent++);
        if (!ch.sendToQueue(queue, body, props, onConfirm)) {
          paused = true;
          ch.once('drain', () => {
            paused = false;
            pump();
          });
        }
      }
    };
    pump();
  });
}
