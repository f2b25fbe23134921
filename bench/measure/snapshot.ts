import { windowProfile } from './profile.js';

/** A point in a measurement: when, this process's CPU, and a count of messages. */
export interface Snapshot {
  t: number;
  cpu: NodeJS.CpuUsage;
  n: number;
}

export function snapshot(n: number): Snapshot {
  return { t: performance.now(), cpu: process.cpuUsage(), n };
}

/** Messages per second and CPU µs per message between two snapshots. */
export function between(a: Snapshot, b: Snapshot): { rate: number; cpuUsPerMsg: number } {
  const n = b.n - a.n;
  const cpu = b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
  return { rate: n / ((b.t - a.t) / 1000), cpuUsPerMsg: n > 0 ? cpu / n : Number.NaN };
}

/** Calls `open` after `warmupMs`, then `close` after `windowMs` more. */
export function schedule(warmupMs: number, windowMs: number, open: () => void, close: () => void): void {
  setTimeout(() => {
    open();
    windowProfile().open();
    setTimeout(() => {
      windowProfile().close();
      close();
    }, windowMs);
  }, warmupMs);
}
