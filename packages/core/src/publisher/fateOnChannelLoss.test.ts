import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PublishUnconfirmedError } from '../errors/publishErrors.js';
import { TopologyError } from '../errors/WarrenError.js';
import { fateOnChannelLoss, MAX_SENDS, missingExchange } from './fateOnChannelLoss.js';

interface Lost {
  id: string;
  exchange: string;
  sends: number;
}
const lost = (id: string, exchange: string, sends = 1): Lost => ({ id, exchange, sends });

/** A channel error as amqplib reports a server close. */
const channelError = (code: number, text: string): Error =>
  Object.assign(new Error(`Channel closed by server: ${code} (${text.split(' ')[0]}) with message "${text}"`), { code });
const noExchange = (name: string) => channelError(404, `NOT_FOUND - no exchange '${name}' in vhost '/'`);

const ids = (entries: Lost[]) => entries.map((e) => e.id);
const wait = { republishUnconfirmed: false };

describe('missingExchange', () => {
  it("reads the exchange from a 404's reply text, quotes in its name included", () => {
    assert.equal(missingExchange(noExchange('orders')), 'orders');
    assert.equal(missingExchange(noExchange("it's")), "it's");
    assert.equal(missingExchange(noExchange('')), '');
  });

  it('is undefined for other codes, other 404s, and a lost connection', () => {
    assert.equal(missingExchange(channelError(406, "PRECONDITION_FAILED - no exchange 'x' in vhost '/'")), undefined);
    assert.equal(missingExchange(channelError(404, "NOT_FOUND - no queue 'q' in vhost '/'")), undefined);
    assert.equal(missingExchange(undefined), undefined);
  });
});

describe('fateOnChannelLoss', () => {
  it('404 for a missing exchange: its messages fail with TopologyError naming it, the error as cause', () => {
    const error = noExchange('gone');
    const fate = fateOnChannelLoss([lost('a', 'gone'), lost('b', 'gone')], error, wait);
    assert.deepEqual(
      fate.reject.map((r) => r.entry.id),
      ['a', 'b'],
    );
    for (const { error: e } of fate.reject) {
      assert.ok(e instanceof TopologyError);
      assert.match(e.message, /exchange 'gone' does not exist \(404 NOT_FOUND\)/);
      assert.equal(e.cause, error);
    }
    assert.deepEqual(fate.resend, []);
  });

  it('404 for a missing exchange: the innocent messages are re-sent, in order, even without republishUnconfirmed', () => {
    const fate = fateOnChannelLoss([lost('a', ''), lost('bad', 'gone'), lost('c', 'orders')], noExchange('gone'), wait);
    assert.deepEqual(ids(fate.resend), ['a', 'c']);
    assert.deepEqual(
      fate.reject.map((r) => r.entry.id),
      ['bad'],
    );
  });

  it('any other loss: every message fails with PublishUnconfirmedError (fate unknown)', () => {
    for (const error of [undefined, channelError(406, 'PRECONDITION_FAILED - unknown delivery tag 7')]) {
      const fate = fateOnChannelLoss([lost('a', ''), lost('b', 'x')], error, wait);
      assert.deepEqual(fate.resend, []);
      assert.deepEqual(
        fate.reject.map((r) => r.entry.id),
        ['a', 'b'],
      );
      for (const r of fate.reject) {
        assert.ok(r.error instanceof PublishUnconfirmedError);
        assert.match(r.error.message, error === undefined ? /connection lost/ : /unknown delivery tag/);
      }
    }
  });

  it('republishUnconfirmed: after any loss every message is re-sent, in order', () => {
    const fate = fateOnChannelLoss([lost('a', ''), lost('b', 'x'), lost('c', '')], undefined, { republishUnconfirmed: true });
    assert.deepEqual(ids(fate.resend), ['a', 'b', 'c']);
    assert.deepEqual(fate.reject, []);
  });

  it(`a message already sent ${MAX_SENDS} times fails instead of going out again, so one that kills its channel cannot loop`, () => {
    const entries = [lost('fresh', '', 1), lost('tired', '', MAX_SENDS - 1), lost('spent', '', MAX_SENDS)];
    for (const [error, options] of [
      [undefined, { republishUnconfirmed: true }],
      [noExchange('gone'), wait],
    ] as const) {
      const fate = fateOnChannelLoss(entries, error, options);
      assert.deepEqual(ids(fate.resend), ['fresh', 'tired']);
      assert.deepEqual(
        fate.reject.map((r) => [r.entry.id, r.error.name]),
        [['spent', 'PublishUnconfirmedError']],
      );
    }
    assert.deepEqual(ids(fateOnChannelLoss(entries, undefined, { republishUnconfirmed: true, maxSends: 2 }).resend), ['fresh']);
  });
});
