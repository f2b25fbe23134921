import type { ConnectionManager } from '../connection/ConnectionManager.js';
import type { ConsumerRuntime } from '../consumer/ConsumerRuntime.js';
import type { WarrenEvents } from '../events/events.js';
import type { TypedEvents } from '../events/TypedEvents.js';
import type { Logger } from '../logging/logger.js';

export interface LivenessOptions {
  /** How often to look. Default 10 000 ms. */
  checkEveryMs?: number;
  /** A consumer with room in its prefetch window that got nothing for this long, while its queue has ready messages, is stalled. Default 30 000 ms. */
  stalledAfterMs?: number;
  /** A connection blocked by the broker for longer than this is reported. Default 30 000 ms. */
  blockedAfterMs?: number;
}

export interface LivenessReport {
  consumers: Record<string, { stalled: boolean; readyWhenChecked: number | undefined; idleMs: number }>;
  /** `node`: host:port of the broker node it is on (null while down); `cluster`: that broker's cluster_name. */
  connections: Record<
    string,
    { state: string; node: string | null; cluster: string | null; blocked: boolean; blockedForMs: number; blockedTooLong: boolean }
  >;
}

/**
 * Finds what looks alive but is not: a consumer attached to a queue with ready messages that
 * receives nothing (MassTransit #6191's silent stall; a standby single-active consumer; a
 * consumer the broker forgot), and a connection the broker has blocked for too long. Each is
 * logged once when it starts and once when it ends, emitted as an event, and kept in the report
 * that health checks read.
 */
export class LivenessMonitor {
  readonly #consumers: readonly ConsumerRuntime[];
  readonly #connections: readonly ConnectionManager[];
  readonly #events: TypedEvents<WarrenEvents>;
  readonly #log: Logger;
  readonly #checkEveryMs: number;
  readonly #stalledAfterMs: number;
  readonly #blockedAfterMs: number;
  readonly #stalled = new Map<string, number>();
  readonly #blockedTooLong = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(
    consumers: readonly ConsumerRuntime[],
    connections: readonly ConnectionManager[],
    events: TypedEvents<WarrenEvents>,
    log: Logger,
    options: LivenessOptions = {},
  ) {
    this.#consumers = consumers;
    this.#connections = connections;
    this.#events = events;
    this.#log = log;
    this.#checkEveryMs = options.checkEveryMs ?? 10_000;
    this.#stalledAfterMs = options.stalledAfterMs ?? 30_000;
    this.#blockedAfterMs = options.blockedAfterMs ?? 30_000;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), this.#checkEveryMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round of checks (also run by the timer). */
  async check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      for (const c of this.#connections) this.#checkBlocked(c);
      for (const c of this.#consumers) await this.#checkConsumer(c);
    } finally {
      this.#checking = false;
    }
  }

  report(): LivenessReport {
    const consumers: LivenessReport['consumers'] = {};
    for (const c of this.#consumers) {
      consumers[c.name] = { stalled: this.#stalled.has(c.name), readyWhenChecked: this.#stalled.get(c.name), idleMs: c.msIdle };
    }
    const connections: LivenessReport['connections'] = {};
    for (const c of this.#connections) {
      const node = c.node;
      connections[c.role] = {
        state: c.state,
        node: node?.address ?? null,
        cluster: node?.cluster ?? null,
        blocked: c.isBlocked,
        blockedForMs: c.blockedForMs,
        blockedTooLong: this.#blockedTooLong.has(c.role),
      };
    }
    return { consumers, connections };
  }

  #checkBlocked(connection: ConnectionManager): void {
    const tooLong = connection.blockedForMs > this.#blockedAfterMs;
    const was = this.#blockedTooLong.has(connection.role);
    if (tooLong && !was) {
      this.#blockedTooLong.add(connection.role);
      this.#log.warn(
        { connection: connection.role, blockedForMs: connection.blockedForMs, reason: connection.blockedReason },
        'connection blocked by the broker for too long',
      );
    } else if (!tooLong && was) {
      this.#blockedTooLong.delete(connection.role);
      this.#log.info({ connection: connection.role }, 'connection no longer blocked');
    }
  }

  async #checkConsumer(consumer: ConsumerRuntime): Promise<void> {
    const s = consumer.stats();
    // Paused, recovering or stopping consumers are not expected to receive; a full prefetch
    // window means the broker is right to send nothing.
    const eligible = s.state === 'consuming' && s.inFlight < consumer.prefetchNow && consumer.msIdle >= this.#stalledAfterMs;
    const ready = eligible ? await readyForConsumer(consumer) : 0;
    const stalled = ready !== undefined && ready > 0;
    const was = this.#stalled.has(consumer.name);
    if (stalled) {
      this.#stalled.set(consumer.name, ready);
      if (!was) {
        this.#log.warn(
          { consumer: consumer.name, queue: consumer.options.queue, ready, idleMs: consumer.msIdle },
          'consumer stalled: its queue has ready messages but nothing arrives',
        );
        this.#events.emit('stalled', consumer.name, ready);
      }
    } else if (was && ready !== undefined) {
      this.#stalled.delete(consumer.name);
      this.#log.info({ consumer: consumer.name }, 'consumer receiving again');
      this.#events.emit('stallCleared', consumer.name);
    }
  }
}

/**
 * Ready messages a consumer should be getting. A single active consumer may be waiting its turn
 * (another worker's is active) and get nothing on purpose; AMQP cannot tell it from a stalled
 * active one, and the queue counts only the active consumer. So it is stalled only when the queue
 * counts none at all while it is subscribed.
 */
async function readyForConsumer(consumer: ConsumerRuntime): Promise<number | undefined> {
  if (!consumer.options.singleActiveConsumer) return consumer.readyMessages();
  const queue = await consumer.queueStats();
  return queue === undefined ? undefined : queue.consumers > 0 ? 0 : queue.ready;
}
