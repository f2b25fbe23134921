import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as amqp from 'amqplib';
import { coalesceWrites } from './coalesceWrites.js';

/** A connection shaped as amqplib's: a Mux whose pass writes `frames` to a stream that records cork state. */
function fakeModel(frames: string[], failAt = -1) {
  const log: string[] = [];
  let corked = 0;
  const stream = {
    cork: () => {
      corked++;
      log.push('cork');
    },
    uncork: () => {
      corked--;
      log.push('uncork');
    },
    write: (frame: string) => log.push(`${frame}${corked > 0 ? ' (corked)' : ''}`),
  };
  const muxer = {
    pending: frames,
    _readIncoming(this: { pending: string[] }) {
      this.pending.forEach((frame, i) => {
        if (i === failAt) throw new Error('the pass failed');
        stream.write(frame);
      });
    },
  };
  return { model: { connection: { muxer, stream } } as unknown as amqp.ChannelModel, muxer, log };
}

describe('coalesceWrites', () => {
  it("corks the socket for each of the Mux's passes, so its frames go out in one write", () => {
    const { model, muxer, log } = fakeModel(['publish 1', 'publish 2', 'ack 3']);
    assert.equal(coalesceWrites(model), true);
    muxer._readIncoming();
    assert.deepEqual(log, ['cork', 'publish 1 (corked)', 'publish 2 (corked)', 'ack 3 (corked)', 'uncork']);
  });

  it('uncorks when a pass throws', () => {
    const { model, muxer, log } = fakeModel(['publish 1', 'publish 2'], 1);
    coalesceWrites(model);
    assert.throws(() => muxer._readIncoming(), /the pass failed/);
    assert.deepEqual(log, ['cork', 'publish 1 (corked)', 'uncork']);
  });

  it('leaves a connection of another shape as it is', () => {
    const noMux = { connection: { stream: { cork() {}, uncork() {} } } } as unknown as amqp.ChannelModel;
    assert.equal(coalesceWrites(noMux), false);
    const pass = () => undefined;
    const noCork = { connection: { muxer: { _readIncoming: pass }, stream: {} } } as unknown as amqp.ChannelModel;
    assert.equal(coalesceWrites(noCork), false);
    assert.equal((noCork.connection as unknown as { muxer: { _readIncoming: unknown } }).muxer._readIncoming, pass);
  });
});
