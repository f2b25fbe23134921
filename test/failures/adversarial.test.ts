/**
 * Adversarial input: a foreign client (raw amqplib, no Warren code) feeds one Warren app every
 * kind of bad input we could think of, each with its expected fate, beside good traffic; then
 * every id must be accounted for exactly once, the queues must be idle and the worker alive.
 *
 * The two consumers, and why:
 *   lenient  decode 'json' (the default), maxBytes 1024, retry { attempts: 2, delayMs: 50 }:
 *            a failing handler runs twice, then its message is dead-lettered as 'exhausted'.
 *   strict   decode 'json-only', maxBytes 1 MiB (room for JSON nested 100,000 deep), same retry.
 * Handler behaviour is chosen by the `x-adv` header, so one handler serves every row.
 *
 * Decided here: invalid UTF-8 inside a JSON string is decoded with U+FFFD replacement characters
 * (Buffer#toString('utf8'), as Node decodes everywhere) and handled; the DLQ keeps the original
 * bytes, the handler never does.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  Consumer,
  deadLetterQueueName,
  HEADER,
  InvalidPublishError,
  type MessageContext,
  type Outcome,
  retryQueueName,
  type WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, queueCounts, uniqueName } from '@warren/testing';
import type * as amqp from 'amqplib';
import { startTestApp } from '../support/app.js';
import {
  badPublishOptions,
  errorName,
  FAILURES,
  type Fate,
  type ForeignRow,
  foreignRows,
  json,
  MAX_BYTES,
  MAX_HEADER_TEXT,
  PUBLISHER_MAX_BYTES,
  printTable,
  settleWithin,
  type TableRow,
  until,
} from './adversarialKit.js';

describe('adversarial input from a foreign client', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
  });

  it('every bad input meets its expected fate, every id is accounted for once, and the worker keeps working', {
    timeout: 170_000,
  }, async (t) => {
    const lenientQueue = uniqueName('adv');
    const strictQueue = uniqueName('advstrict');
    admin.trackQueue(lenientQueue, strictQueue);
    const run = randomUUID().slice(0, 8);

    /** messageId -> one entry per handler call. */
    const calls = new Map<string, Array<{ attempt: number; adv: unknown; notes: string[] }>>();
    /** messageId -> every settle the app reported. */
    const settles = new Map<string, Outcome[]>();

    async function behave(payload: unknown, ctx: MessageContext): Promise<void> {
      const id = ctx.messageId ?? '(no id)';
      const notes: string[] = [];
      const list = calls.get(id) ?? [];
      const adv = ctx.headers['x-adv'];
      list.push({ attempt: ctx.attempt, adv, notes });
      calls.set(id, list);
      const how = adv ?? (payload as { adv?: unknown } | null | undefined)?.adv;
      if (typeof how !== 'string' || how === 'ok') return;
      if (how === 'reject-undefined') return Promise.reject();
      const failure = FAILURES[how];
      if (failure !== undefined) throw failure();
      if (how === 'expect-buffer' && !Buffer.isBuffer(payload)) notes.push(`payload is ${typeof payload}, not a Buffer`);
      if (how === 'expect-replacement-char') {
        const s = (payload as { s?: unknown } | null)?.s;
        if (typeof s !== 'string' || !s.includes('\uFFFD')) notes.push(`payload.s is ${JSON.stringify(s)}`);
      }
      if (how === 'expect-no-pollution') {
        if (({} as Record<string, unknown>).polluted !== undefined || Object.hasOwn(Object.prototype, 'polluted'))
          notes.push('Object.prototype polluted');
        if (Object.getPrototypeOf(payload) !== Object.prototype) notes.push("payload's prototype replaced");
        if ((payload as Record<string, unknown>).polluted !== undefined) notes.push('payload.polluted is visible');
      }
    }

    @Consumer({ queue: lenientQueue, name: 'lenient', maxBytes: MAX_BYTES, retry: { attempts: 2, delayMs: 50 } })
    class Lenient extends Worker {
      handle(payload: unknown, ctx: MessageContext): Promise<void> {
        return behave(payload, ctx);
      }
    }
    @Consumer({ queue: strictQueue, name: 'strict', decode: 'json-only', maxBytes: 1024 * 1024, retry: { attempts: 2, delayMs: 50 } })
    class Strict extends Worker {
      handle(payload: unknown, ctx: MessageContext): Promise<void> {
        return behave(payload, ctx);
      }
    }

    const app: WarrenApp = await startTestApp({ consumers: [Lenient, Strict] }, { publisher: { maxMessageBytes: PUBLISHER_MAX_BYTES } });
    try {
      app.events.on('settled', (_consumer, outcome, _ms, _onBroker, id) => {
        if (id === undefined) return;
        const list = settles.get(id) ?? [];
        list.push(outcome);
        settles.set(id, list);
      });
      const lenient = app.consumers.find((c) => c.name === 'lenient');
      const strict = app.consumers.find((c) => c.name === 'strict');
      assert.ok(lenient !== undefined && strict !== undefined);
      const queueOf = { lenient: lenientQueue, strict: strictQueue };
      const terminal = (id: string): boolean => (settles.get(id) ?? []).some((o) => o.action === 'ack' || o.action === 'dead-letter');

      /** Publishes as a foreign client would: raw amqplib, confirmed. */
      async function foreignSend(queue: string, id: string, body: Buffer, props: amqp.Options.Publish = {}): Promise<string | undefined> {
        try {
          admin.channel.sendToQueue(queue, body, { ...props, messageId: id, persistent: false });
          const confirmed = await settleWithin(admin.channel.waitForConfirms(), 10_000);
          return confirmed.status === 'ok' ? undefined : `not confirmed by the broker (${confirmed.status})`;
        } catch (error) {
          return `could not send: ${(error as Error).message}`;
        }
      }

      // ---- phase 1: one bad input at a time, so a suspect run can be pinned on its row ----
      const rows = foreignRows();
      const ids = new Map<ForeignRow, string>();
      const sendProblems = new Map<string, string>();
      const isolatedBy = new Set<string>();
      for (const [i, row] of rows.entries()) {
        const id = `${run}-f${i}`;
        ids.set(row, id);
        // A spread keeps a "__proto__" key an own property, so amqplib sends it as a header.
        const headers = { ...(row.props?.headers as Record<string, unknown> | undefined) };
        if (row.behaviour !== undefined) headers['x-adv'] = row.behaviour;
        const before = lenient.stats().isolations + strict.stats().isolations;
        const problem = await foreignSend(queueOf[row.queue], id, row.body, { ...row.props, headers });
        if (problem !== undefined) sendProblems.set(id, problem);
        else await until(() => terminal(id), 5000);
        if (lenient.stats().isolations + strict.stats().isolations > before) isolatedBy.add(id);
      }

      // ---- phase 2: bad publish options through Warren's publisher, beside 100 innocent ones and
      // failing messages whose retry and dead-letter copies go through the same publisher ----
      const failingIds = Array.from({ length: 5 }, (_, i) => `${run}-retrying-${i}`);
      for (const id of failingIds) {
        const problem = await foreignSend(lenientQueue, id, json({ ok: false }), { headers: { 'x-adv': 'error' } });
        if (problem !== undefined) sendProblems.set(id, problem);
      }
      const badPublishes = badPublishOptions(lenientQueue);
      const innocentIds = Array.from({ length: 100 }, (_, i) => `${run}-innocent-${i}`);
      const burst: Array<{ id: string; promise: ReturnType<typeof settleWithin<void>> }> = [];
      let next = 0;
      for (const [i, id] of innocentIds.entries()) {
        burst.push({ id, promise: settleWithin(app.publisher.send(lenientQueue, { i }, { messageId: id }), 20_000) });
        if (i % 9 === 4 && next < badPublishes.length) {
          const bad = badPublishes[next] as (typeof badPublishes)[number];
          const badId = `${run}-p${next}`;
          next++;
          const options = { ...bad.options, messageId: badId };
          // Each bad one goes in the middle of innocent ones in flight, on the same channel.
          const sent = (async () => app.publisher.send(bad.queue ?? lenientQueue, bad.body ?? { bad: bad.name }, options))();
          burst.push({ id: badId, promise: settleWithin(sent, 20_000) });
        }
      }
      const published = new Map<string, Awaited<ReturnType<typeof settleWithin<void>>>>();
      for (const b of burst) published.set(b.id, await b.promise);

      // ---- wait for quiet: every foreign id settled for good, every confirmed innocent handled ----
      const expectHandled = innocentIds.filter((id) => published.get(id)?.status === 'ok');
      await until(
        () => [...ids.values(), ...failingIds].every((id) => sendProblems.has(id) || terminal(id)) && expectHandled.every(terminal),
        15_000,
        50,
      );
      const watched = [lenientQueue, strictQueue, retryQueueName(lenientQueue, 50), retryQueueName(strictQueue, 50)];
      const counts = async (): Promise<Record<string, { ready: number; unacked: number } | string>> => {
        const out: Record<string, { ready: number; unacked: number } | string> = {};
        for (const q of watched) {
          try {
            const c = await queueCounts(q);
            out[q] = { ready: c.ready, unacked: c.unacked };
          } catch (error) {
            out[q] = (error as Error).message;
          }
        }
        return out;
      };
      let lastCounts = await counts();
      const idle = (c: typeof lastCounts): boolean =>
        Object.values(c).every((v) => typeof v === 'string' || (v.ready === 0 && v.unacked === 0));
      await until(
        async () => {
          lastCounts = await counts();
          return idle(lastCounts);
        },
        10_000,
        250,
      );

      // ---- collect: the DLQs hold the dead letters; the handler and the settles say the rest ----
      const dead = new Map<string, amqp.GetMessage[]>();
      for (const q of [lenientQueue, strictQueue]) {
        for (const m of await admin.drain(deadLetterQueueName(q))) {
          const id = String(m.properties.messageId);
          dead.set(id, [...(dead.get(id) ?? []), m]);
        }
      }

      const headerOf = (m: amqp.GetMessage, name: string): unknown => (m.properties.headers as Record<string, unknown> | undefined)?.[name];
      /** What happened to one id, as far as the broker, the handler and the app can tell. */
      function fateOf(id: string): { fate: Fate; notes: string[] } {
        const notes: string[] = [];
        const handled = calls.get(id) ?? [];
        const copies = dead.get(id) ?? [];
        const outcomes = settles.get(id) ?? [];
        const acked = outcomes.filter((o) => o.action === 'ack').length;
        const problem = sendProblems.get(id);
        if (problem !== undefined) return { fate: problem, notes };
        if (copies.length > 1) return { fate: `${copies.length} copies in the DLQ`, notes };
        const copy = copies[0];
        if (copy !== undefined) {
          const reason = headerOf(copy, HEADER.reason);
          const error = headerOf(copy, HEADER.error);
          const message = headerOf(copy, HEADER.errorMessage);
          if (acked > 0) notes.push('also acked as a success');
          if (reason === undefined) {
            const death = (headerOf(copy, 'x-death') as Array<{ reason?: unknown }> | undefined)?.[0]?.reason;
            return { fate: `dlq without x-warren-reason (broker dead-lettered it: ${String(death)})`, notes };
          }
          if (typeof error !== 'string' || error === '') notes.push(`x-warren-error is ${typeof error}`);
          else if (error.length > MAX_HEADER_TEXT) notes.push(`x-warren-error of ${error.length} chars`);
          if (typeof message !== 'string') notes.push(`x-warren-error-message is ${typeof message}`);
          else if (message.length > MAX_HEADER_TEXT) notes.push(`x-warren-error-message of ${message.length} chars`);
          if (handled.length === 0 && error === 'DeadlineExceededError' && (reason === 'expired' || reason === 'exhausted'))
            return { fate: 'deadline-passed', notes };
          if (reason === 'decode' && handled.length > 0) notes.push(`handler saw it ${handled.length}×`);
          if (reason === 'exhausted' && handled.length !== 2) notes.push(`handler ran ${handled.length}× (retry.attempts is 2)`);
          return { fate: `dlq:${String(reason)}`, notes };
        }
        if (acked > 0) {
          if (acked > 1) notes.push(`acked ${acked}×`);
          if (handled.length !== 1) notes.push(`handler ran ${handled.length}×`);
          return { fate: 'handled', notes };
        }
        if (outcomes.length > 0) return { fate: `not settled for good (last: ${JSON.stringify(outcomes.at(-1))})`, notes };
        if (handled.length > 0) return { fate: `handler ran ${handled.length}×, never settled (stuck unacked)`, notes };
        return { fate: 'nowhere: not handled, not in the DLQ, never settled', notes };
      }

      const table: TableRow[] = [];
      for (const row of rows) {
        const id = ids.get(row) as string;
        const { fate, notes } = fateOf(id);
        const first = calls.get(id)?.[0];
        if (fate === 'handled') {
          if (first !== undefined && first.attempt !== 1) notes.push(`ctx.attempt ${first.attempt}`);
          if (isolatedBy.has(id)) notes.push('run alone as a suspect');
          for (const c of calls.get(id) ?? []) notes.push(...c.notes);
        }
        const advs = (calls.get(id) ?? []).map((c) => c.adv);
        if (advs.some((a) => a !== advs[0]))
          notes.push(`header x-adv was ${advs.map((a) => JSON.stringify(a) ?? 'absent').join(' then ')}`);
        table.push({ id, name: row.name, expect: row.expect, actual: notes.length === 0 ? fate : `${fate} [${notes.join('; ')}]` });
      }
      for (const [i, bad] of badPublishes.entries()) {
        const id = `${run}-p${i}`;
        const r = published.get(id);
        let actual =
          r === undefined
            ? 'never published'
            : r.status === 'ok'
              ? 'confirmed'
              : r.status === 'timeout'
                ? 'no answer within 20 s'
                : `rejected:${errorName(r.error)}`;
        if (r?.status === 'failed' && !(r.error instanceof InvalidPublishError))
          actual += ` (${String((r.error as Error)?.message).slice(0, 90)})`;
        if (calls.has(id) || dead.has(id)) actual += ' [but it reached the queue]';
        table.push({ id, name: bad.name, expect: 'rejected:InvalidPublishError', actual });
      }
      {
        const results = innocentIds.map((id) => published.get(id));
        const confirmed = results.filter((r) => r?.status === 'ok').length;
        const handled = innocentIds.filter((id) => fateOf(id).fate === 'handled' && (calls.get(id)?.length ?? 0) === 1).length;
        const failures = new Map<string, number>();
        for (const r of results) {
          const key = r === undefined ? 'missing' : r.status === 'failed' ? errorName(r.error) : r.status === 'timeout' ? 'timeout' : '';
          if (key !== '') failures.set(key, (failures.get(key) ?? 0) + 1);
        }
        const detail = failures.size === 0 ? '' : ` [${[...failures].map(([k, n]) => `${n}× ${k}`).join(', ')}]`;
        table.push({
          id: `${run}-innocent-*`,
          name: '100 innocent publishes beside the bad ones',
          expect: 'confirmed 100/100, handled 100/100',
          actual: `confirmed ${confirmed}/100, handled ${handled}/100${detail}`,
        });
      }
      {
        const fates = failingIds.map((id) => {
          const f = fateOf(id);
          return f.notes.length === 0 ? f.fate : `${f.fate} [${f.notes.join('; ')}]`;
        });
        const same = fates.every((f) => f === fates[0]);
        table.push({
          id: `${run}-retrying-*`,
          name: '5 failing messages retried and dead-lettered during the bad publishes',
          expect: 'dlq:exhausted ×5',
          actual: same ? `${fates[0]} ×5` : fates.join(' | '),
        });
      }

      // ---- accounting: each id exactly once (handled once, or one DLQ copy, or refused at publish) ----
      const everyId = [...ids.values(), ...failingIds, ...innocentIds, ...badPublishes.map((_, i) => `${run}-p${i}`)];
      const unaccounted: string[] = [];
      for (const id of everyId) {
        const refused = published.get(id)?.status === 'failed';
        const inQueue = (calls.get(id)?.length ?? 0) > 0 || dead.has(id);
        const handledOnce = (settles.get(id) ?? []).filter((o) => o.action === 'ack').length === 1 && !dead.has(id);
        const deadOnce = dead.get(id)?.length === 1 && !(settles.get(id) ?? []).some((o) => o.action === 'ack');
        const once = refused ? !inQueue : handledOnce !== deadOnce;
        if (!once) unaccounted.push(id.replace(`${run}-`, ''));
      }
      table.push({
        id: '*',
        name: `accounting: each of ${everyId.length} ids exactly once`,
        expect: 'all accounted once',
        actual: unaccounted.length === 0 ? 'all accounted once' : `${unaccounted.length} not: ${unaccounted.slice(0, 8).join(', ')}`,
      });

      // ---- afterwards: idle queues, a live worker, and one more good message handled ----
      const busy = Object.entries(lastCounts)
        .filter(([, v]) => typeof v === 'string' || v.ready > 0 || v.unacked > 0)
        .map(
          ([q, v]) =>
            `${q.replace(/^t\.adv(strict)?\.[0-9a-f]+/, (m) => (m.includes('strict') ? 'strict' : 'lenient'))}: ${JSON.stringify(v)}`,
        );
      table.push({
        id: '*',
        name: 'after: work and retry queues 0 ready / 0 unacked',
        expect: 'idle',
        actual: busy.length === 0 ? 'idle' : busy.join(', '),
      });
      table.push({
        id: '*',
        name: 'after: app running, both consumers consuming',
        expect: 'running; consuming; consuming',
        actual: `${app.state}; ${lenient.state}; ${strict.state}`,
      });
      {
        const id = `${run}-last`;
        const problem = await foreignSend(lenientQueue, id, json({ last: true }), { contentType: 'application/json' });
        if (problem === undefined) await until(() => terminal(id), 10_000);
        const { fate, notes } = fateOf(id);
        table.push({
          id,
          name: 'after: one more good message',
          expect: 'handled',
          actual: problem ?? (notes.length === 0 ? fate : `${fate} [${notes.join('; ')}]`),
        });
      }

      const printed = printTable(table);
      console.log(`\n${printed}\n`);
      const mismatches = table.filter((r) => r.actual !== r.expect);
      for (const m of mismatches) t.diagnostic(`✗ ${m.name}: expected ${m.expect}, got ${m.actual}`);
      assert.ok(table.length >= 30);
      assert.deepEqual(
        mismatches.map((m) => `${m.name}: ${m.actual}`),
        [],
        `${mismatches.length} of ${table.length} inputs did not meet their expected fate`,
      );
    } finally {
      await settleWithin(app.stop(), 20_000);
    }
  });
});
