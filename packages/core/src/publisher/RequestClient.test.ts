import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../logging/logger.js';
import type { PublishOptions } from './PublisherOptions.js';
import { RequestClient } from './RequestClient.js';

/** A client whose publishes the test confirms by hand, and what it published. */
function clientWithHandConfirms(): { client: RequestClient; confirm(): void; correlationId(): string } {
  let confirm: () => void = () => undefined;
  let options: PublishOptions = {};
  const client = new RequestClient({
    publish: (_exchange, _key, _body, o) => {
      options = o;
      return new Promise<void>((resolve) => {
        confirm = resolve;
      });
    },
    // Short, so that a request left waiting fails this test in seconds instead of hanging it.
    defaultTimeoutMs: 2000,
    log: silentLogger(),
    notifyResponders: () => undefined,
  });
  return { client, confirm: () => confirm(), correlationId: () => String(options.correlationId) };
}

test('a request confirmed by the channel being lost (the ack and the close in one read) fails with ReplyLostError at once', async () => {
  const { client, confirm } = clientWithHandConfirms();
  const outcome = client.request('', 'q', { n: 1 }).then(
    () => 'reply',
    (error: Error) => error.name,
  );
  // The ack settles the publish; its promise's callback runs only after the close, handled in the same read.
  confirm();
  client.channelLost();
  assert.equal(await outcome, 'ReplyLostError');
  assert.deepEqual([client.counts.repliesLost, client.pending], [1, 0]);
});

test('a request confirmed after the loss (sent again on the next channel) still waits for its reply, and gets it', async () => {
  const { client, confirm, correlationId } = clientWithHandConfirms();
  const outcome = client.request('', 'q', { n: 1 });
  client.channelLost();
  await new Promise((resolve) => setImmediate(resolve));
  confirm();
  await new Promise((resolve) => setImmediate(resolve));
  client.onReply({
    correlationId: correlationId(),
    content: Buffer.from('{"doubled":2}'),
    contentType: 'application/json',
    headers: undefined,
  });
  assert.deepEqual(await outcome, { doubled: 2 });
  assert.deepEqual([client.counts.repliesLost, client.counts.replies], [0, 1]);
});
