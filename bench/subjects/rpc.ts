import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { Consumer, createPublisher, defineApp, silentLogger, startApp, Worker } from '@warren/core';
import * as amqp from 'amqplib';

const REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * The request/reply subjects: raw amqplib three ways, and Warren.
 *
 * `raw`: done well and no more — no deadline, no cancellation, no confirms, the least work a
 * request/reply can be (the target's reference).
 *
 * `same`: the protocol work Warren's request/reply does, without Warren: the request on a
 * confirm channel, `mandatory` (NoResponderError), non-persistent with an `expiration` and the
 * deadline in its correlation id (the deadline travels), a message id and timestamp, a timer per
 * request (its timeout); the responder publishes the reply on a plain channel of a connection of
 * its own, not the one it consumes on (no status header: an ok reply has none; no confirm: direct
 * reply-to confirms a reply whatever becomes of it), and acks the request at once, as Warren's
 * Replier does. A worker's replies go out on its publishing connection because, during a memory
 * or disk alarm, RabbitMQ stops reading from connections that publish and leaves those that only
 * consume alone (https://www.rabbitmq.com/docs/alarms): acks behind a reply on the consuming
 * connection would stall the consumers whose draining ends the alarm. The row that tells the
 * protocol's cost apart from the framework's.
 *
 * `unconfirmed`: `same` with the request unconfirmed too: what the request's confirm costs (it
 * tells the caller at once that a queue refused its request; Warren keeps it).
 *
 * `warren`: a @Consumer whose handler returns the reply, and publisher.request(), as an app would.
 */
export type RpcSubject = 'raw' | 'same' | 'unconfirmed' | 'warren';

export const RPC_SUBJECTS: readonly RpcSubject[] = ['raw', 'same', 'unconfirmed', 'warren'];

export const RPC_LABELS: Readonly<Record<RpcSubject, string>> = {
  raw: 'raw amqplib direct reply-to',
  same: "raw amqplib, Warren's guarantees",
  unconfirmed: "raw amqplib, Warren's less request confirms",
  warren: 'warren request()',
};

/** A caller and its responder, both in this process, over the request queue `queue`. */
export interface RpcPair {
  /** One round trip: resolves when the reply came. */
  call(): Promise<void>;
  close(): Promise<void>;
}

/** `callers` callers at once, each making its next call when its last one's reply came, while `more()` says so. */
export async function keepCalling(callers: number, call: () => Promise<void>, more: () => boolean): Promise<void> {
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (more()) await call();
    }),
  );
}

export function openRpc(subject: RpcSubject, url: string, queue: string): Promise<RpcPair> {
  return subject === 'warren' ? warren(url, queue) : raw(url, queue, subject);
}

/** Published as Warren publishes: a message id and a timestamp on every message. */
const stamped = (): { messageId: string; timestamp: number } => ({ messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000) });

/** A responder's connection (with Warren's guarantees, a second one it replies on) and a caller's, Nagle off as Warren's are: a responder that replies and acks, a caller channel that consumes amq.rabbitmq.reply-to and matches replies by correlationId. */
async function raw(url: string, queue: string, mode: Exclude<RpcSubject, 'warren'>): Promise<RpcPair> {
  const guarantees = mode !== 'raw';
  const confirms = mode === 'same';
  const server = await amqp.connect(url, { noDelay: true });
  // With Warren's guarantees the responder replies over a connection it does not consume on.
  const replies = guarantees ? await amqp.connect(url, { noDelay: true }) : server;
  const client = await amqp.connect(url, { noDelay: true });
  // On a confirm channel, a callback takes the broker's ack; on a plain one, none is given.
  const confirmed = confirms ? () => undefined : undefined;
  const sch = await server.createChannel();
  // Replies go unconfirmed, as Warren's do.
  const rch = guarantees ? await replies.createChannel() : sch;
  await sch.prefetch(100);
  await sch.consume(queue, (m) => {
    if (m === null) return;
    const req = JSON.parse(m.content.toString()) as { n: number };
    const options: amqp.Options.Publish = { correlationId: m.properties.correlationId as string, contentType: 'application/json' };
    if (guarantees) Object.assign(options, stamped());
    rch.sendToQueue(m.properties.replyTo as string, Buffer.from(JSON.stringify({ doubled: req.n * 2 })), options);
    sch.ack(m);
  });
  const cch = await (confirms ? client.createConfirmChannel() : client.createChannel());
  // Each reply decoded, then its caller woken by correlationId (no ack: direct reply-to is consumed with noAck).
  const waiting = new Map<string, () => void>();
  await cch.consume(
    REPLY_TO,
    (m) => {
      if (m === null) return;
      JSON.parse(m.content.toString());
      waiting.get(m.properties.correlationId as string)?.();
      waiting.delete(m.properties.correlationId as string);
    },
    { noAck: true },
  );
  let n = 0;
  return {
    call: () =>
      new Promise<void>((resolve) => {
        const deadline = Date.now() + 10_000;
        // Warren's request id carries the deadline (w1.<deadline>.<uuid>): a header would cost the broker a table per message.
        const correlationId = guarantees ? `w1.${deadline}.${randomUUID()}` : randomUUID();
        const options: amqp.Options.Publish = { correlationId, replyTo: REPLY_TO, contentType: 'application/json' };
        if (guarantees) {
          const timer = setTimeout(() => waiting.delete(correlationId), 10_000);
          waiting.set(correlationId, () => {
            clearTimeout(timer);
            resolve();
          });
          Object.assign(options, { mandatory: true, persistent: false, expiration: '10000' }, stamped());
        } else waiting.set(correlationId, resolve);
        (cch as amqp.ConfirmChannel).sendToQueue(queue, Buffer.from(JSON.stringify({ n: n++ })), options, confirmed);
      }),
    async close() {
      await client.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      if (replies !== server) await replies.close().catch(() => undefined);
    },
  };
}

async function warren(url: string, queue: string): Promise<RpcPair> {
  // deadLetter off: the queue is the plain one raw amqplib uses (the same arguments).
  @Consumer({ queue, prefetch: 100, deadLetter: false })
  class Doubler extends Worker<{ n: number }, { doubled: number }> {
    async handle(req: { n: number }): Promise<{ doubled: number }> {
      return { doubled: req.n * 2 };
    }
  }
  const app = await startApp(defineApp({ name: 'bench-rpc', consumers: [Doubler] }), { url, logger: silentLogger(), liveness: false });
  const client = await createPublisher({ url, appName: 'bench-rpc-client', logger: silentLogger() });
  let n = 0;
  return {
    async call() {
      await client.request<{ doubled: number }>(queue, { n: n++ }, { timeoutMs: 10_000 });
    },
    async close() {
      await client.close();
      await app.stop();
    },
  };
}
