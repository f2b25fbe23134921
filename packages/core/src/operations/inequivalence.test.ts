import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adoptCurrent, type DeclareSettings, parseInequivalence } from './inequivalence.js';

// The texts as RabbitMQ 3.10 sends them (amqplib's wrapping included), taken from a real broker.
const wrap = (text: string): string =>
  `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - ${text}"`;
const TYPE_NONE = wrap(
  "inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received none but current is the value 'quorum' of type 'longstr'",
);
const TYPE_BOTH = wrap("inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received 'classic' but current is 'quorum'");
const LENGTH_GONE = wrap(
  "inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received the value '10' of type 'byte' but current is none",
);
const LENGTH_BOTH = "inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received '11' but current is '10'";
const DURABLE = "inequivalent arg 'durable' for queue 'q' in vhost '/': received 'false' but current is 'true'";
const EXCHANGE_TYPE = "inequivalent arg 'type' for exchange 'e' in vhost 'v': received 'topic' but current is 'direct'";
const SAC =
  "inequivalent arg 'x-single-active-consumer' for queue 'q' in vhost '/': received none but current is the value 'true' of type 'bool'";

const queue = (args: Record<string, unknown> = {}, durable = true): DeclareSettings => ({ durable, autoDelete: false, arguments: args });

describe('parseInequivalence', () => {
  it('reads the argument and the current value in each of the three shapes', () => {
    assert.deepEqual(parseInequivalence(TYPE_NONE), {
      argument: 'x-queue-type',
      current: { kind: 'typed', text: 'quorum', type: 'longstr' },
    });
    assert.deepEqual(parseInequivalence(TYPE_BOTH), { argument: 'x-queue-type', current: { kind: 'plain', text: 'quorum' } });
    assert.deepEqual(parseInequivalence(LENGTH_GONE), { argument: 'x-max-length', current: { kind: 'none' } });
    assert.deepEqual(parseInequivalence(EXCHANGE_TYPE), { argument: 'type', current: { kind: 'plain', text: 'direct' } });
  });

  it('is undefined for any other refusal', () => {
    assert.equal(parseInequivalence("NOT_FOUND - no queue 'q' in vhost '/'"), undefined);
    assert.equal(parseInequivalence('PRECONDITION_FAILED - unknown delivery tag 1'), undefined);
  });
});

describe('adoptCurrent', () => {
  const adopt = (settings: DeclareSettings, text: string) => adoptCurrent(settings, parseInequivalence(text) ?? assert.fail(text));

  it("takes the broker's value, so the next declare names the next difference", () => {
    const declared = queue({ 'x-dead-letter-exchange': '' });
    const r = adopt(declared, TYPE_NONE);
    assert.deepEqual(r.difference, { argument: 'x-queue-type', declared: null, actual: 'quorum' });
    assert.deepEqual(r.next?.arguments, { 'x-dead-letter-exchange': '', 'x-queue-type': 'quorum' });
    assert.deepEqual(declared.arguments, { 'x-dead-letter-exchange': '' }, 'the app settings are left as they were');
  });

  it('drops an argument the broker has none of; a number given without its type keeps the declared type', () => {
    const gone = adopt(queue({ 'x-max-length': 10 }), LENGTH_GONE);
    assert.deepEqual(gone.difference, { argument: 'x-max-length', declared: 10, actual: null });
    assert.deepEqual(gone.next?.arguments, {});
    const both = adopt(queue({ 'x-max-length': 11 }), LENGTH_BOTH);
    assert.deepEqual(both.difference, { argument: 'x-max-length', declared: 11, actual: 10 });
    assert.equal(both.next?.arguments['x-max-length'], 10);
  });

  it('properties are set as properties: durable, an exchange type; a bool is a boolean', () => {
    const d = adopt(queue({}, false), DURABLE);
    assert.deepEqual(d.difference, { argument: 'durable', declared: false, actual: true });
    assert.equal(d.next?.durable, true);
    const x = adopt({ durable: true, autoDelete: false, type: 'topic', arguments: {} }, EXCHANGE_TYPE);
    assert.deepEqual(x.difference, { argument: 'type', declared: 'topic', actual: 'direct' });
    assert.equal(x.next?.type, 'direct');
    assert.equal(adopt(queue(), SAC).next?.arguments['x-single-active-consumer'], true);
  });

  it('a value it cannot send back (a table) ends the probing, with the difference still reported', () => {
    const table = "inequivalent arg 'x-args' for queue 'q' in vhost '/': received none but current is the value '[]' of type 'table'";
    const r = adopt(queue(), table);
    assert.deepEqual(r.difference, { argument: 'x-args', declared: null, actual: '[]' });
    assert.equal(r.next, undefined);
  });
});
