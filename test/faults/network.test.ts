// Side by side with other files: each scenario has its own queue, connections and TCP proxies; nothing here touches the whole broker.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { WarrenApp } from '@warren/core';
import { Tally, TcpProxy, uniqueName, waitFor } from '@warren/testing';
import { startTestApp } from '../support/app.js';
import { BROKER_URL } from '../support/broker.js';
import { COUNT, checkTally, consuming, deleteQueues, PacedProducer, stopQuietly, Timeline, tallyWorker, within } from './harness.js';

const PREFETCH = 10;
const broker = new URL(BROKER_URL);
const target = { host: broker.hostname, port: Number(broker.port || 5672) };

interface Rig {
  app: WarrenApp;
  tally: Tally;
  producer: PacedProducer;
}

/**
 * Runs a worker whose broker URLs are `urls(proxies)` (both its connections go through the
 * proxies), a producer publishing straight to the broker, and `faults` during consumption; then
 * checks the tally. `faults` returns what to print.
 */
async function throughProxies(
  t: TestContext,
  scenario: string,
  options: { proxies: number; urls: (p: TcpProxy[]) => string[]; connectionLosses: number },
  faults: (rig: Rig, proxies: TcpProxy[]) => Promise<Record<string, unknown>>,
): Promise<void> {
  const queue = uniqueName('fault.net');
  const tally = new Tally();
  const proxies: TcpProxy[] = [];
  let app: WarrenApp | undefined;
  let producer: PacedProducer | undefined;
  try {
    for (let i = 0; i < options.proxies; i++) proxies.push(await TcpProxy.start(target));
    app = await startTestApp(
      { name: queue, consumers: [tallyWorker(tally, new Timeline(), { queue, prefetch: PREFETCH, handlerMs: 5 })] },
      { urls: options.urls(proxies) },
    );
    producer = (await PacedProducer.direct(queue, COUNT, 250, `${queue}-producer`)).start();
    const extra = await faults({ app, tally, producer }, proxies);
    await producer.finished();
    await waitFor(`all ${COUNT} handled`, () => tally.missing(producer?.ids ?? []).length === 0, 30_000);
    await checkTally(t, {
      scenario,
      expected: producer.ids,
      tally,
      // Each lost connection returns the worker's unacked deliveries (<= prefetch); the producer's connection is untouched.
      maxDuplicates: options.connectionLosses * PREFETCH,
      queues: [queue],
      consumer: app.consumers[0]?.stats(),
      extra: { ...extra, 'proxy connections accepted': proxies.map((p) => p.connections) },
    });
  } finally {
    for (const p of proxies) p.resume();
    producer?.stop();
    await producer?.publisher.close();
    await stopQuietly(app);
    for (const p of proxies) await p.close();
    await deleteQueues(queue);
  }
}

describe('network faults through a TCP proxy', () => {
  it('a silent stall: the heartbeat timeout fires (heartbeat=2), and consumption recovers once the network is back', (t) =>
    throughProxies(
      t,
      'proxy stall (heartbeat=2)',
      { proxies: 1, urls: ([p]) => [(p as TcpProxy).url(BROKER_URL, '?heartbeat=2')], connectionLosses: 1 },
      async ({ app, tally }, [proxy]) => {
        const p = proxy as TcpProxy;
        await waitFor('500 handled', () => tally.total >= 500, 30_000);
        const lost = app.connections.consume.events.once('disconnected');
        const stalledAt = Date.now();
        p.stall();
        const [error] = await within(20_000, 'the heartbeat timeout', lost);
        const detectedMs = Date.now() - stalledAt;
        const handledWhileStalled = tally.total;
        const back = app.connections.consume.events.once('connected');
        const resumedAt = Date.now();
        p.resume();
        await within(30_000, 'reconnect after the stall', back);
        const reconnectedMs = Date.now() - resumedAt;
        await consuming(app);
        await waitFor('handling again', () => tally.total > handledWhileStalled, 15_000);
        const handlingAgainMs = Date.now() - resumedAt;
        assert.ok(detectedMs >= 2000 && detectedMs <= 10_000, `heartbeat timeout after ${detectedMs} ms`);
        return {
          'stall -> connection declared dead (ms)': detectedMs,
          error: error?.message ?? 'none',
          'resume -> reconnected (ms)': reconnectedMs,
          'resume -> handling again (ms)': handlingAgainMs,
          'bytes held during the stall': p.heldBytes,
        };
      },
    ));

  it('connections cut (FIN) and then reset (RST) abruptly: consumption recovers each time', (t) =>
    throughProxies(
      t,
      'proxy cut + reset',
      { proxies: 1, urls: ([p]) => [(p as TcpProxy).url(BROKER_URL)], connectionLosses: 2 },
      async ({ app, tally }, [proxy]) => {
        const p = proxy as TcpProxy;
        const timings: Record<string, unknown> = {};
        for (const [i, fault] of (['cut', 'reset'] as const).entries()) {
          await waitFor(`${(i + 1) * 700} handled`, () => tally.total >= (i + 1) * 700, 30_000);
          const lost = app.connections.consume.events.once('disconnected');
          const back = app.connections.consume.events.once('connected');
          const at = Date.now();
          const closed = fault === 'cut' ? p.cut() : p.reset();
          const [error] = await within(10_000, `${fault} noticed`, lost);
          await within(30_000, `reconnect after ${fault}`, back);
          await consuming(app);
          const handled = tally.total;
          await waitFor('handling again', () => tally.total > handled, 15_000);
          timings[`${fault}: connections closed`] = closed;
          timings[`${fault}: error`] = error?.message ?? 'none';
          timings[`${fault} -> handling again (ms)`] = Date.now() - at;
        }
        return timings;
      },
    ));

  it('multi-host failover: proxy A cut and refusing, the worker goes on through proxy B', (t) =>
    throughProxies(
      t,
      'failover A -> B',
      { proxies: 2, urls: (ps) => ps.map((p) => p.url(BROKER_URL)), connectionLosses: 1 },
      async ({ app, tally }, [a, b]) => {
        const pa = a as TcpProxy;
        const pb = b as TcpProxy;
        assert.equal(pa.open, 2, 'both connections start on the first URL');
        assert.equal(pb.connections, 0);
        await waitFor('800 handled', () => tally.total >= 800, 30_000);
        const back = app.connections.consume.events.once('connected');
        const at = Date.now();
        await pa.refuse();
        const [, address] = await within(30_000, 'failover', back);
        await consuming(app);
        const handled = tally.total;
        await waitFor('handling again', () => tally.total > handled, 15_000);
        const failoverMs = Date.now() - at;
        await waitFor('both connections on B', () => pb.open === 2, 10_000);
        assert.ok(address.includes(`:${pb.port}`), `reconnected to ${address}, B is port ${pb.port}`);
        return { 'A refused -> handling again via B (ms)': failoverMs, 'now on': address.replace(/\/\/.*@/, '//') };
      },
    ));
});
