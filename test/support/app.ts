import { type AppDefinition, type AppRunOptions, silentLogger, WarrenApp } from '@warren/core';
import { BROKER_URL } from './broker.js';

/** Creates and starts a Warren app on the test broker, with quiet logs unless WARREN_TEST_LOGS is set. */
export async function startTestApp(definition: AppDefinition, options: AppRunOptions = {}): Promise<WarrenApp> {
  const app = await WarrenApp.create(definition, {
    urls: BROKER_URL,
    logger: process.env.WARREN_TEST_LOGS === undefined ? silentLogger() : undefined,
    shutdownGraceMs: 2000,
    ...options,
  } as AppRunOptions);
  await app.start();
  return app;
}

/** Tracks handlers running at once. */
export class Gauge {
  current = 0;
  max = 0;
  enter(): void {
    this.current++;
    if (this.current > this.max) this.max = this.current;
  }
  leave(): void {
    this.current--;
  }
}

/** Counts how often each id was seen: `missing` and `duplicates` against the expected ids. */
export class Tally {
  readonly seen = new Map<string, number>();
  add(id: string): void {
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
  }
  get total(): number {
    let n = 0;
    for (const c of this.seen.values()) n += c;
    return n;
  }
  missing(expected: Iterable<string>): string[] {
    return [...expected].filter((id) => !this.seen.has(id));
  }
  duplicates(): number {
    let n = 0;
    for (const c of this.seen.values()) if (c > 1) n += c - 1;
    return n;
  }
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
