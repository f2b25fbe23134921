/**
 * A caller loses its connection with requests out. A reply to direct reply-to reaches only the
 * channel its request went out on, so once that channel is gone a request the broker had
 * confirmed can never be answered: its caller hears ReplyLostError at once instead of waiting out
 * its deadline, and the request is not sent again (the responder may still be doing it, so a
 * resend could run it twice). A request not yet confirmed is the publisher's, as any publish is:
 * it fails with PublishUnconfirmedError at once, or with `republishUnconfirmed` goes out again on
 * the next channel and is answered there, one reply to its caller; if the first copy had reached
 * the broker, the responder runs it twice (at-least-once), and every run is counted here. Either
 * way the publisher reconnects, and the requests made after are answered on the new channel.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer, createPublisher, type Publisher, silentLogger, Worker } from '@warren/core';
import { BrokerAdmin, closeConnectionsNamed, TcpProxy, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import type { Req, Res } from '../support/rpc.js';

const HELD = 10;
const AFTER = 20;
const DEADLINE_MS = 20_000;

/** Sends requests 0 .. HELD-1 and gives each one's outcome as a string: `reply <doubled>`, or its error's name. */
function sendHeld(client: Publisher, queue: string): Array<Promise<string>> {
  return Array.from({ length: HELD }, (_, n) =>
    client.request<Res>(queue, { n }, { timeoutMs: DEADLINE_MS }).then(
      (reply) => `reply ${reply.doubled}`,
      (error: Error) => error.name,
    ),
  );
}

/** AFTER more requests (HELD ..), answered each by its own reply: the channel is back. */
async function assertAnsweredAfter(client: Publisher, queue: string): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: AFTER }, (_, i) => client.request<Res>(queue, { n: HELD + i }, { timeoutMs: DEADLINE_MS })),
  );
  assert.deepEqual(
    replies.map((r) => r.doubled),
    Array.from({ length: AFTER }, (_, i) => (HELD + i) * 2),
  );
}

test("the caller's connection is lost mid-request: ReplyLostError at once for each confirmed request, none sent again; the next requests are answered", async () => {
  const admin = await BrokerAdmin.open();
  const queue = uniqueName('rpc-lost');
  admin.trackQueue(queue);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  /** How many times the responder ran each request, by its n: every one must be 1. */
  const runs = new Map<number, number>();
  let running = 0;
  @Consumer({ queue, deadLetter: false, prefetch: 50 })
  class Held extends Worker<Req, Res> {
    async handle(req: Req): Promise<Res> {
      runs.set(req.n, (runs.get(req.n) ?? 0) + 1);
      running++;
      try {
        if (req.n < HELD) await gate;
        return { doubled: req.n * 2, worker: 0 };
      } finally {
        running--;
      }
    }
  }
  const clientName = uniqueName('rpc-lost-client');
  const client = await createPublisher({ url: BROKER_URL, appName: clientName, logger: silentLogger() });
  const app = await startTestApp({ name: uniqueName('rpc-lost-app'), consumers: [Held] });
  try {
    const outcomes = sendHeld(client, queue);
    // Every request is in a handler, so the broker has confirmed it to the caller.
    await waitFor(
      'every request running in the responder, every publish confirmed',
      () => running === HELD && client.stats().inFlight === 0,
    );

    // Timed from the moment the publisher hears of the loss, not from the close command (which may take seconds).
    let lostAt = Number.NaN;
    client.events.on('channelClosed', () => {
      if (Number.isNaN(lostAt)) lostAt = performance.now();
    });
    assert.ok((await closeConnectionsNamed(clientName)) >= 1, "the caller's connection was closed");
    const results = await Promise.all(outcomes);
    const afterMs = performance.now() - lostAt;
    assert.deepEqual(results, Array(HELD).fill('ReplyLostError'));
    assert.ok(afterMs < DEADLINE_MS / 4, `ReplyLostError ${afterMs.toFixed(0)} ms after the loss: at once, not at the deadline`);

    // The responder finishes: its replies go to a requester channel that is gone, and RabbitMQ drops them.
    release();
    await waitFor('the held handlers finished', () => running === 0);

    // Once reconnected, requests are answered on the new channel, each by its own reply.
    await assertAnsweredAfter(client, queue);

    const counts = client.stats().requests;
    assert.ok(counts !== undefined);
    assert.deepEqual(
      {
        requests: counts.requests,
        replies: counts.replies,
        repliesLost: counts.repliesLost,
        lateReplies: counts.lateReplies,
        pending: counts.pending,
      },
      { requests: HELD + AFTER, replies: AFTER, repliesLost: HELD, lateReplies: 0, pending: 0 },
    );
    // Nothing was sent twice: each request ran once, the lost ones included.
    assert.equal(runs.size, HELD + AFTER);
    assert.deepEqual(
      [...runs].filter(([, times]) => times !== 1),
      [],
      'requests run more than once',
    );
    console.log(
      `# [rpc] caller connection lost: ${HELD} ReplyLostError ${afterMs.toFixed(0)} ms after, each request run once; ${AFTER}/${AFTER} answered after the reconnect`,
    );
  } finally {
    release();
    await app.stop();
    await client.close();
    await admin.cleanup();
  }
});

/**
 * Where the proxy holds a caller's requests when its connection goes: before the broker ('stall':
 * the broker never sees them), or after it ('stallToClient': they reach the broker and the
 * responder runs them, but the confirms and replies coming back are held, then lost with the
 * connection).
 */
/**
 * Fewer bytes than any one of these requests puts on the wire: its body (`{"n":0}`, 7 bytes) and
 * correlation id (`w1.<13-digit deadline>.<uuid>`, 53) alone, frames and other properties aside.
 */
const MIN_REQUEST_BYTES = 60;

const LOSSES = [
  { held: 'before the broker', stall: (p: TcpProxy) => p.stall(), runsBefore: 0 },
  { held: 'after the broker', stall: (p: TcpProxy) => p.stallToClient(), runsBefore: 1 },
] as const;

for (const loss of LOSSES) {
  for (const republishUnconfirmed of [false, true]) {
    // Sent again, a request that had reached the broker runs a second time: at-least-once, as documented.
    const runsEach = loss.runsBefore + (republishUnconfirmed ? 1 : 0);
    const outcome = republishUnconfirmed ? 'sent again and answered, one reply each' : 'PublishUnconfirmedError at once';
    test(`requests unconfirmed when the connection is lost, held ${loss.held} (republishUnconfirmed ${republishUnconfirmed}): ${outcome}, each run ${runsEach} times`, async () => {
      const admin = await BrokerAdmin.open();
      const queue = uniqueName('rpc-unconfirmed');
      admin.trackQueue(queue);
      const runs = new Map<number, number>();
      @Consumer({ queue, deadLetter: false, prefetch: 50 })
      class Doubler extends Worker<Req, Res> {
        async handle(req: Req): Promise<Res> {
          runs.set(req.n, (runs.get(req.n) ?? 0) + 1);
          return { doubled: req.n * 2, worker: 0 };
        }
      }
      // The caller reaches the broker through a proxy that can hold its bytes; the responder does not.
      const proxy = await TcpProxy.start(BROKER_URL);
      const app = await startTestApp({ name: uniqueName('rpc-unconfirmed-app'), consumers: [Doubler] });
      let client: Publisher | undefined;
      try {
        client = await createPublisher({
          url: proxy.url(BROKER_URL),
          appName: uniqueName('rpc-unconfirmed-client'),
          logger: silentLogger(),
          republishUnconfirmed,
        });
        const caller = client;
        // A first request starts the reply consumer, and is answered.
        assert.equal((await caller.request<Res>(queue, { n: -1 }, { timeoutMs: DEADLINE_MS })).doubled, -2);
        await waitFor('its confirm too', () => caller.stats().inFlight === 0);

        // Written; the proxy holds them, or what comes back for them, so no confirm arrives.
        loss.stall(proxy);
        const heldBefore = proxy.heldBytes;
        const outcomes = sendHeld(caller, queue);
        await waitFor('every request written, none confirmed', () => caller.stats().inFlight === HELD);
        // amqplib writes on a later turn: until its bytes are past the client, a cut would find them still there.
        await waitFor('the requests on the wire', () => proxy.heldBytes - heldBefore >= HELD * MIN_REQUEST_BYTES);
        await waitFor(`each request run ${loss.runsBefore} times before the loss`, () =>
          Array.from({ length: HELD }, (_, n) => runs.get(n) ?? 0).every((times) => times === loss.runsBefore),
        );
        const lostAt = performance.now();
        assert.equal(proxy.cut(), 1, "the caller's one connection was cut");
        proxy.resume();
        const results = await Promise.all(outcomes);
        const afterMs = performance.now() - lostAt;
        const expected = republishUnconfirmed
          ? Array.from({ length: HELD }, (_, n) => `reply ${n * 2}`)
          : Array(HELD).fill('PublishUnconfirmedError');
        assert.deepEqual(results, expected);
        assert.ok(afterMs < DEADLINE_MS / 4, `settled ${afterMs.toFixed(0)} ms after the loss, not at the deadline`);

        // Requests made after the reconnect are answered.
        await assertAnsweredAfter(caller, queue);
        const stats = caller.stats();
        assert.deepEqual(
          {
            republished: stats.republished,
            repliesLost: stats.requests?.repliesLost,
            lateReplies: stats.requests?.lateReplies,
            pending: stats.requests?.pending,
          },
          { republished: republishUnconfirmed ? HELD : 0, repliesLost: 0, lateReplies: 0, pending: 0 },
        );
        // Every run counted: the held requests as many times as expected, every other one once.
        const held = Array.from({ length: HELD }, (_, n) => runs.get(n) ?? 0);
        assert.deepEqual(held, Array(HELD).fill(runsEach));
        assert.deepEqual(
          [...runs].filter(([n, times]) => (n < 0 || n >= HELD) && times !== 1),
          [],
          'the other requests ran once each',
        );
        console.log(
          `# [rpc] unconfirmed at the loss, held ${loss.held} (republishUnconfirmed ${republishUnconfirmed}): ${results[0]} for ${HELD}, ${afterMs.toFixed(0)} ms after; republished ${stats.republished}; runs ${held.join('')}; ${AFTER}/${AFTER} answered after`,
        );
      } finally {
        // Nothing held any more, or the client's close would wait for a close-ok the proxy keeps.
        proxy.resume();
        await client?.close();
        await app.stop();
        await proxy.close();
        await admin.cleanup();
      }
    });
  }
}
