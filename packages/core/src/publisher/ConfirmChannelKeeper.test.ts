import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { silentLogger } from '../logging/logger.js';
import { ConfirmChannelKeeper } from './ConfirmChannelKeeper.js';

class FakeChannel extends EventEmitter {
  connection = { frameMax: 131072 };
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Enough of a ConnectionManager: its state and generation, and channels on demand (held back while `gate` is set). */
class FakeConnection {
  state = 'connected';
  generation = 1;
  channels: FakeChannel[] = [];
  gate: Promise<void> | undefined;
  async createConfirmChannel(): Promise<FakeChannel> {
    await this.gate;
    const ch = new FakeChannel();
    this.channels.push(ch);
    return ch;
  }
}

function setup() {
  const conn = new FakeConnection();
  const seen: string[] = [];
  const keeper = new ConfirmChannelKeeper(conn as unknown as ConnectionManager, silentLogger(), {
    opened: (s) => seen.push(`opened gen ${s.generation}`),
    closed: (error) => seen.push(`closed ${error?.message ?? '-'}`),
  });
  return { conn, keeper, seen };
}

describe('ConfirmChannelKeeper', () => {
  it('opens one channel however often asked', async () => {
    const { conn, keeper, seen } = setup();
    await Promise.all([keeper.open(), keeper.open()]);
    await keeper.open();
    assert.equal(conn.channels.length, 1);
    assert.deepEqual(seen, ['opened gen 1']);
    assert.ok(keeper.current !== undefined);
  });

  it('a channel error (connection still up): reports it, then opens a new channel at once', async () => {
    const { conn, keeper, seen } = setup();
    await keeper.open();
    const first = conn.channels[0] as FakeChannel;
    first.emit('error', new Error('406 PRECONDITION_FAILED'));
    first.emit('close');
    assert.equal(keeper.current, undefined);
    await sleep(10);
    assert.deepEqual(seen, ['opened gen 1', 'closed 406 PRECONDITION_FAILED', 'opened gen 1']);
    assert.equal(conn.channels.length, 2);
  });

  it("a lost connection: waits for 'connected', where a channel of the old connection counts as closed even before its 'close'", async () => {
    const { conn, keeper, seen } = setup();
    await keeper.open();
    conn.state = 'reconnecting';
    await sleep(10);
    conn.state = 'connected';
    conn.generation = 2;
    keeper.connected(2);
    await sleep(10);
    (conn.channels[0] as FakeChannel).emit('close'); // late: ignored
    assert.deepEqual(seen, ['opened gen 1', 'closed -', 'opened gen 2']);

    keeper.connected(2); // same connection: nothing to do
    await sleep(10);
    assert.equal(conn.channels.length, 2);
  });

  it('after stop(): no reopening, a channel that finishes opening is closed, and release() hands over the current one', async () => {
    const { conn, keeper, seen } = setup();
    await keeper.open();
    keeper.stop();
    const current = keeper.current;
    assert.equal(keeper.release(), current);
    assert.equal(keeper.current, undefined);

    const late = setup();
    let openGate: () => void = () => undefined;
    late.conn.gate = new Promise((resolve) => {
      openGate = resolve;
    });
    const opening = late.keeper.open();
    late.keeper.stop();
    openGate();
    await opening;
    assert.equal(late.keeper.current, undefined);
    assert.equal(late.conn.channels[0]?.closed, true);
    assert.deepEqual(late.seen, []);

    (conn.channels[0] as FakeChannel).emit('close');
    await sleep(10);
    assert.deepEqual(seen, ['opened gen 1']);
  });
});
