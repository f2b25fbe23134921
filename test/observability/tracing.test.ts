import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  Consumer,
  disableTracing,
  enableTracing,
  type MessageContext,
  Publisher,
  parseTraceparent,
  TRACEPARENT,
  type WarrenApp,
  Worker,
} from '@warren/core';
import { BrokerAdmin, uniqueName, waitFor } from '@warren/testing';
import { inject } from 'inversify';
import { startTestApp } from '../support/app.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const spansNamed = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = spansNamed(name);
  assert.equal(found.length, 1, `one span named "${name}" (got ${found.length}; all: ${exporter.getFinishedSpans().map((s) => s.name)})`);
  return found[0] as ReadableSpan;
};
const id = (s: ReadableSpan): string => s.spanContext().spanId;
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

describe('tracing: W3C traceparent in message headers, spans with an OpenTelemetry SDK', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
    disableTracing();
  });

  it('without an SDK: nothing is traced and no header is added', async () => {
    assert.equal(await enableTracing(), false, 'no provider registered yet');
    const queue = uniqueName('trace.off');
    admin.trackQueue(queue);
    const seen: Array<Readonly<Record<string, unknown>>> = [];
    @Consumer({ queue, prefetch: 1 })
    class Plain extends Worker<unknown> {
      async handle(_m: unknown, ctx: MessageContext): Promise<void> {
        seen.push(ctx.headers);
      }
    }
    const app = await startTestApp({ name: queue, consumers: [Plain] });
    try {
      await app.publisher.send(queue, { n: 1 });
      await waitFor('handled', () => seen.length === 1);
      assert.equal(seen[0]?.[TRACEPARENT], undefined);
    } finally {
      await app.stop();
    }
  });

  describe('with an SDK', () => {
    let app: WarrenApp;
    let first: string;
    let second: string;
    let responder: string;
    const secondSaw: unknown[] = [];

    before(async () => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(provider);
      first = uniqueName('trace.first');
      second = uniqueName('trace.second');
      responder = uniqueName('trace.rpc');
      admin.trackQueue(first, second, responder);
      const secondQueue = second;

      @Consumer({ queue: first, prefetch: 1 })
      class Forwarder extends Worker<{ n: number }> {
        constructor(@inject(Publisher) private readonly publisher: Publisher) {
          super();
        }
        async handle(msg: { n: number }): Promise<void> {
          // Published from inside the handler: the handler's span is its parent.
          await this.publisher.send(secondQueue, { n: msg.n });
        }
      }
      @Consumer({ queue: second, prefetch: 1 })
      class Last extends Worker<{ n: number }> {
        async handle(_msg: { n: number }, ctx: MessageContext): Promise<void> {
          secondSaw.push(ctx.headers[TRACEPARENT]);
        }
      }
      @Consumer({ queue: responder, prefetch: 1 })
      class Doubler extends Worker<{ n: number }, { doubled: number }> {
        async handle(msg: { n: number }): Promise<{ doubled: number }> {
          return { doubled: msg.n * 2 };
        }
      }
      app = await startTestApp({ name: first, consumers: [Forwarder, Last, Doubler] });
    });
    after(async () => {
      await app?.stop();
    });

    it('traceparent survives publish → handle → publish-from-handler', async () => {
      exporter.reset();
      const tracer = trace.getTracer('test');
      await tracer.startActiveSpan('the caller', async (root) => {
        await app.publisher.send(first, { n: 1 });
        root.end();
      });
      await waitFor('the second stage handled it', () => secondSaw.length === 1);
      // Each stage's receive span ends after its settle: the second may end before the first.
      await waitFor('both receive spans ended', () => spansNamed(`receive ${first}`).length + spansNamed(`receive ${second}`).length === 2);

      const root = one('the caller');
      const publishFirst = one(`publish ${first}`);
      const receiveFirst = one(`receive ${first}`);
      const handleFirst = one(`handle ${first}`);
      const settleFirst = one(`settle ${first}`);
      const publishSecond = one(`publish ${second}`);
      const receiveSecond = one(`receive ${second}`);
      const handleSecond = one(`handle ${second}`);
      const traceId = root.spanContext().traceId;
      for (const s of [publishFirst, receiveFirst, handleFirst, settleFirst, publishSecond, receiveSecond, handleSecond]) {
        assert.equal(s.spanContext().traceId, traceId, `${s.name} is on the caller's trace`);
      }
      assert.equal(parentOf(publishFirst), id(root));
      assert.equal(parentOf(receiveFirst), id(publishFirst), 'the consumer continues the message’s traceparent');
      assert.equal(parentOf(handleFirst), id(receiveFirst));
      assert.equal(parentOf(settleFirst), id(receiveFirst));
      assert.equal(parentOf(publishSecond), id(handleFirst), 'a publish from the handler is its child');
      assert.equal(parentOf(receiveSecond), id(publishSecond));
      assert.equal(parentOf(handleSecond), id(receiveSecond));
      assert.equal(publishFirst.kind, SpanKind.PRODUCER);
      assert.equal(receiveFirst.kind, SpanKind.CONSUMER);
      assert.equal(settleFirst.attributes['warren.outcome'], 'ack');
      assert.equal(receiveFirst.attributes['messaging.system'], 'rabbitmq');
      // What the second handler saw in its headers: W3C traceparent of the publish from the first.
      assert.deepEqual(parseTraceparent(secondSaw[0]), { traceId, spanId: id(publishSecond), flags: 1 });
    });

    it('traceparent survives request → reply', async () => {
      exporter.reset();
      const tracer = trace.getTracer('test');
      const reply = await tracer.startActiveSpan('the requester', async (root) => {
        const answer = await app.publisher.request<{ doubled: number }>(responder, { n: 21 }, { timeoutMs: 10_000 });
        root.end();
        return answer;
      });
      assert.deepEqual(reply, { doubled: 42 });
      // The reply's publish span ends at its confirm, which may come after the caller has the reply.
      const names = [`receive ${responder}`, 'publish amq.rabbitmq.reply-to', `receive reply ${responder}`];
      await waitFor('the responder’s spans ended', () => names.every((name) => spansNamed(name).length === 1));

      const root = one('the requester');
      const request = one(`request ${responder}`);
      const publishRequest = one(`publish ${responder}`);
      const receive = one(`receive ${responder}`);
      const handle = one(`handle ${responder}`);
      const publishReply = one('publish amq.rabbitmq.reply-to');
      const receiveReply = one(`receive reply ${responder}`);
      const traceId = root.spanContext().traceId;
      for (const s of [request, publishRequest, receive, handle, publishReply, receiveReply]) {
        assert.equal(s.spanContext().traceId, traceId, `${s.name} is on the requester's trace`);
      }
      assert.equal(parentOf(request), id(root));
      assert.equal(request.kind, SpanKind.CLIENT);
      assert.equal(parentOf(publishRequest), id(request));
      assert.equal(parentOf(receive), id(publishRequest));
      assert.equal(parentOf(handle), id(receive));
      assert.equal(parentOf(publishReply), id(receive), 'the reply is published within the request’s handling');
      assert.equal(parentOf(receiveReply), id(publishReply), 'the reply carried its traceparent back');
    });
  });
});
