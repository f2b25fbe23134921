// @warren-test serial: sets a broker memory alarm
/**
 * The hardening regression that needs a memory alarm, which blocks every publisher on the broker
 * (the others, on their own queues and connections, are in hardening.test.ts and run side by side).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, PublisherClosedError, PublishUnconfirmedError, Worker } from '@warren/core';
import { BrokerAdmin, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import { startTestApp } from '../support/app.js';

describe('hardening: nothing lost at the edges (memory alarm)', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('the stop report is unclean when the publisher gives up on a publish at close', async () => {
    const queue = uniqueName('uncleanpub');
    admin.trackQueue(queue);
    @Consumer({ queue })
    class Quiet extends Worker {
      async handle(): Promise<void> {}
    }
    const app = await startTestApp({ consumers: [Quiet] }, { publisher: { closeGraceMs: 200 } });
    let report: Awaited<ReturnType<typeof app.stop>> | undefined;
    let fate: unknown;
    await withMemoryAlarm(async () => {
      // The broker blocks a connection when it publishes: this one is held, unconfirmed.
      const pending = app.publisher.send(queue, { id: 'held' }).catch((e: unknown) => e);
      await waitFor('the publisher blocked', () => app.publisher.state === 'blocked', 15_000);
      report = await app.stop();
      fate = await pending;
    });
    assert.ok(fate instanceof PublishUnconfirmedError || fate instanceof PublisherClosedError, String(fate));
    assert.equal(report?.clean, false, 'a publish was abandoned at close');
  });
});
