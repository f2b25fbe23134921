import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DownstreamFullError,
  PublisherClosedError,
  PublishNackedError,
  PublishTimeoutError,
  PublishUnconfirmedError,
  UnroutableError,
} from '../errors/publishErrors.js';
import { TopologyError } from '../errors/WarrenError.js';
import { BUFFERED, PendingPublish, type Phase, SETTLED, WRITTEN } from './PendingPublish.js';
import { PublishSettler } from './PublishSettler.js';

/** An entry whose outcome is recorded: 'resolved', or the rejection's class name. */
function entry(phase: Phase, target = { exchange: 'orders', routingKey: 'placed', messageId: 'm1', mandatory: true }) {
  const e = new PendingPublish(
    target.exchange,
    target.routingKey,
    Buffer.from('x'),
    { messageId: target.messageId, mandatory: target.mandatory },
    0,
    0,
  );
  e.phase = phase;
  const outcome: { value?: string; error?: Error } = {};
  e.resolve = () => {
    assert.equal(outcome.value, undefined, 'settled once');
    outcome.value = 'resolved';
  };
  e.reject = (error) => {
    assert.equal(outcome.value, undefined, 'settled once');
    outcome.value = error.name;
    outcome.error = error;
  };
  return { e, outcome };
}

describe('PublishSettler', () => {
  it('ack resolves and nack rejects a written publish, once; one already settled (timed out) is skipped', () => {
    const s = new PublishSettler(() => 'ready');
    const a = entry(WRITTEN);
    const n = entry(WRITTEN);
    s.ack(a.e);
    s.ack(a.e);
    s.nack(n.e);
    const late = entry(SETTLED);
    s.ack(late.e);
    s.nack(late.e);
    assert.equal(a.outcome.value, 'resolved');
    assert.ok(n.outcome.error instanceof PublishNackedError && /exchange 'orders' with routing key 'placed'/.test(n.outcome.error.message));
    assert.equal(late.outcome.value, undefined);
    assert.equal(a.e.phase, SETTLED);
    assert.deepEqual([s.counts.confirmed, s.counts.nacked], [1, 1]);
  });

  it('a nack of a publish straight to a queue is DownstreamFullError (by the broker); through an exchange it stays PublishNackedError', () => {
    const s = new PublishSettler(() => 'ready');
    const straight = entry(WRITTEN, { exchange: '', routingKey: 'jobs', messageId: 'm1', mandatory: false });
    const viaExchange = entry(WRITTEN);
    s.nack(straight.e);
    s.nack(viaExchange.e);
    const error = straight.outcome.error;
    assert.ok(error instanceof DownstreamFullError, `got ${String(error)}`);
    assert.deepEqual([error.code, error.queue, error.by, error.transient], ['WARREN_ERR_DOWNSTREAM_FULL', 'jobs', 'broker', true]);
    assert.ok(viaExchange.outcome.error instanceof PublishNackedError);
    assert.deepEqual([s.counts.downstreamFull, s.counts.nacked], [1, 1]);
  });

  it('a return is matched by messageId and target, and rejects on the ack with UnroutableError', () => {
    const s = new PublishSettler(() => 'ready');
    const elsewhere = entry(WRITTEN, { exchange: 'dlx', routingKey: 'placed', messageId: 'm1', mandatory: true });
    const plain = entry(WRITTEN, { exchange: 'orders', routingKey: 'placed', messageId: 'm1', mandatory: false });
    const target = entry(WRITTEN);
    s.returned([elsewhere.e, plain.e, target.e], {
      messageId: 'm1',
      exchange: 'orders',
      routingKey: 'placed',
      replyCode: 312,
      replyText: 'NO_ROUTE',
    });
    for (const x of [elsewhere, plain, target]) s.ack(x.e);
    assert.deepEqual([elsewhere.outcome.value, plain.outcome.value], ['resolved', 'resolved']);
    assert.ok(target.outcome.error instanceof UnroutableError && target.outcome.error.replyCode === 312);
    assert.deepEqual([s.counts.confirmed, s.counts.returned], [2, 1]);
  });

  it('expire says whether the broker may have it, and names the publisher state', () => {
    const s = new PublishSettler(() => 'blocked');
    const unwritten = entry(BUFFERED);
    const written = entry(WRITTEN);
    s.expire(unwritten.e, false);
    s.expire(written.e, true);
    const [u, w] = [unwritten.outcome.error, written.outcome.error] as PublishTimeoutError[];
    assert.ok(u instanceof PublishTimeoutError && !u.written && /publisher blocked\); the broker never saw it/.test(u.message));
    assert.ok(w instanceof PublishTimeoutError && w.written && /may still reach the queue/.test(w.message));
    assert.deepEqual([s.counts.timedOut, s.counts.timedOutWritten], [2, 1]);
  });

  it('lost and abandoned publishes: unconfirmed ones are counted as such, TopologyError and never-written ones are not', () => {
    const s = new PublishSettler(() => 'closed');
    const topo = entry(WRITTEN);
    const unconfirmed = entry(WRITTEN);
    s.lost(topo.e, new TopologyError("exchange 'x' does not exist (404 NOT_FOUND)"));
    s.lost(unconfirmed.e, new PublishUnconfirmedError('channel closed'));
    assert.equal(s.counts.unconfirmed, 1);

    const buffered = entry(BUFFERED);
    const inFlight = entry(WRITTEN);
    const timedOut = entry(SETTLED);
    for (const x of [buffered, inFlight, timedOut]) s.abandon(x.e);
    assert.ok(buffered.outcome.error instanceof PublisherClosedError);
    assert.ok(inFlight.outcome.error instanceof PublishUnconfirmedError);
    assert.equal(timedOut.outcome.value, undefined);
    assert.deepEqual([s.counts.abandonedAtClose, s.counts.unconfirmed], [2, 2]);
  });
});
