import type * as amqp from 'amqplib';

/** The parts of amqplib's connection (lib/connection.js, lib/mux.js) this reaches: not in its types. */
interface MuxedConnection {
  readonly muxer?: { _readIncoming?: unknown };
  readonly stream?: { cork?: unknown; uncork?: unknown };
}

/**
 * Makes one amqplib connection write each batch of frames with one system call.
 *
 * amqplib queues every frame its channels send (publishes, acks) and writes them from its Mux, in
 * a setImmediate, one `socket.write()` per frame: with Nagle off, one syscall and one TCP segment
 * each, for the broker to read one by one. Corking the socket for that pass hands the same frames,
 * in the same order and at the same moment, to one `writev`. Nothing waits longer: the pass still
 * ends with its write (a pass over 16 KiB, the socket's high-water mark, goes on after the socket's
 * 'drain', in the same iteration, as amqplib does when the socket is full). A publisher that
 * frees 100 slots of its window, or a responder that answers the 100 requests of one read, then
 * costs the process and the broker one write instead of 100.
 *
 * It reaches into amqplib's internals (`connection.muxer._readIncoming`, `connection.stream`),
 * so it checks their shape and does nothing when they differ (another amqplib): writes then go out
 * as amqplib writes them. Returns whether it applied; test/publisher/coalescedWrites.test.ts fails
 * if the installed amqplib no longer takes it (it counts the writes of 500 publishes).
 */
export function coalesceWrites(model: amqp.ChannelModel): boolean {
  const { muxer, stream } = model.connection as unknown as MuxedConnection;
  const pass = muxer?._readIncoming;
  if (typeof pass !== 'function' || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return false;
  const socket = stream as { cork(): void; uncork(): void };
  (muxer as { _readIncoming: () => void })._readIncoming = function corkedPass(this: unknown): void {
    socket.cork();
    try {
      pass.call(this);
    } finally {
      socket.uncork();
    }
  };
  return true;
}
