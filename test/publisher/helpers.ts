/** Helpers shared by the publisher integration tests (not a test file itself). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rabbitmqctl } from '../support/broker.js';

/** How each publish ended, by message id. */
export interface Outcomes {
  resolved: Set<string>;
  rejected: Map<string, Error>;
}

/** Tracks `publish()` promises by message id so a test can check each one's fate against the queue. */
export class OutcomeLog implements Outcomes {
  readonly resolved = new Set<string>();
  readonly rejected = new Map<string, Error>();
  readonly #pending = new Set<Promise<void>>();

  track(id: string, p: Promise<void>): void {
    const settled = p.then(
      () => {
        this.resolved.add(id);
      },
      (error: Error) => {
        this.rejected.set(id, error);
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

  /** Rejections grouped by error class name (and `written` for timeouts). */
  summary(): Record<string, number> {
    const out: Record<string, number> = { resolved: this.resolved.size };
    for (const e of this.rejected.values()) {
      const key = e.name === 'PublishTimeoutError' ? `PublishTimeoutError(written=${String((e as Error & { written: boolean }).written)})` : e.name;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }
}

/** Closes (server side, 320 CONNECTION_FORCED) only the connections whose client-provided name starts with `prefix`. */
export async function closeConnectionsNamed(prefix: string, reason = 'test'): Promise<number> {
  const rows = JSON.parse(await rabbitmqctl('list_connections', 'pid', 'client_properties', '--formatter', 'json')) as Array<{
    pid: string;
    client_properties: Array<[string, string, unknown]>;
  }>;
  let closed = 0;
  for (const row of rows) {
    const name = row.client_properties.find(([k]) => k === 'connection_name')?.[2];
    if (typeof name === 'string' && name.startsWith(prefix)) {
      await rabbitmqctl('close_connection', row.pid, reason);
      closed++;
    }
  }
  return closed;
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
