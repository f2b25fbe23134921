/** Helpers shared by the publisher integration tests (not a test file itself). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Admin } from '../support/broker.js';

/** What a rejection was, as a short string: the error class, and `written` for timeouts. Errors themselves are not kept (their stacks would dominate a heap measurement). */
export function rejectionKind(error: unknown): string {
  const e = error as Error & { written?: boolean };
  return e.name === 'PublishTimeoutError' ? `PublishTimeoutError(written=${String(e.written)})` : e.name;
}

/** Tracks `publish()` promises by message id so a test can check each one's fate against the queue. */
export class OutcomeLog {
  readonly resolved = new Set<string>();
  /** message id -> rejectionKind() */
  readonly rejected = new Map<string, string>();
  readonly #pending = new Set<Promise<void>>();

  track(id: string, p: Promise<void>): void {
    const settled = p.then(
      () => {
        this.resolved.add(id);
      },
      (error: unknown) => {
        this.rejected.set(id, rejectionKind(error));
      },
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }

  get settled(): number {
    return this.resolved.size + this.rejected.size;
  }

  /** Waits for every tracked publish; fails the test (instead of hanging) if one never settles. */
  async all(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.#pending.size} publishes still unsettled after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all([...this.#pending]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counts by outcome: resolved, and each rejection kind. */
  summary(): Record<string, number> {
    const out: Record<string, number> = { resolved: this.resolved.size };
    for (const kind of this.rejected.values()) out[kind] = (out[kind] ?? 0) + 1;
    return out;
  }
}

let gcFn: (() => void) | undefined;
/** Heap plus Buffer memory after a full GC, in bytes (GC exposed at runtime: node --test passes no flags). */
export function liveBytes(): number {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export const MiB = 1024 * 1024;

/** Message ids of every message in `queue`, taking them off it: a no-ack consumer (basic.get per message is slow). */
export async function drainIds(admin: Admin, queue: string): Promise<string[]> {
  const expected = await admin.depth(queue);
  const ids: string[] = [];
  if (expected === 0) return ids;
  const ch = await admin.connection.createChannel();
  try {
    await new Promise<void>((resolve, reject) => {
      ch.consume(
        queue,
        (m) => {
          if (m === null) return reject(new Error(`consumer of ${queue} cancelled`));
          ids.push(String(m.properties.messageId));
          if (ids.length === expected) resolve();
        },
        { noAck: true },
      ).catch(reject);
    });
  } finally {
    await ch.close().catch(() => undefined);
  }
  return ids;
}
