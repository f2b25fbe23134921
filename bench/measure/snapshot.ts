import { PerformanceObserver } from 'node:perf_hooks';
import { brokerCpuUs } from './brokerCpu.js';
import { procStat } from './procStat.js';
import { windowProfile } from './profile.js';

/**
 * The main thread's garbage-collection pauses so far, ms, as `gc` performance entries report them.
 * Entries arrive a tick after their collection, so a window can miss one at each edge; over windows
 * of seconds with tens of collections that is noise. Observed from the first snapshot on.
 */
let gcPauseMs = 0;
let gcObserver: PerformanceObserver | undefined;

function gcPauses(): number {
  if (gcObserver === undefined) {
    gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcPauseMs += entry.duration;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
  }
  return gcPauseMs;
}

/** A point in a measurement: when, this process's CPU, GC pauses and minor page faults, the broker's CPU, and a count of messages. */
export interface Snapshot {
  t: number;
  cpu: NodeJS.CpuUsage;
  gcMs: number;
  faults: number;
  /** The local broker's CPU so far, µs (NaN where there is none to read: brokerCpu.ts). */
  broker: number;
  n: number;
}

export function snapshot(n: number): Snapshot {
  return { t: performance.now(), cpu: process.cpuUsage(), gcMs: gcPauses(), faults: minorFaults(), broker: brokerCpuUs(), n };
}

/** What a measurement window reads between two snapshots. */
export interface WindowReading {
  rate: number;
  cpuUsPerMsg: number;
  /**
   * The main thread's GC pauses over the messages, µs (part of cpuUsPerMsg; the helper threads'
   * share of a parallel scavenge is in the CPU but not here). What each message leaves alive until
   * it is done (a promise, its callbacks, its bookkeeping) is what a scavenge copies.
   */
  gcUsPerMsg: number;
  faultsPerMsg: number;
  /** The broker's CPU over the messages (NaN without a local broker): what a library's protocol choices cost the server. */
  brokerCpuUsPerMsg: number;
}

/**
 * Messages per second, CPU µs per message and minor page faults per message between two
 * snapshots. Faults are NaN off Linux. They are part of the CPU (system time): on this kind of VM
 * a process whose young generation V8 has grown takes some per message, and a few tenths of a
 * fault per message showed as several µs of CPU.
 */
export function between(a: Snapshot, b: Snapshot): WindowReading {
  const n = b.n - a.n;
  const cpu = b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
  return {
    rate: n / ((b.t - a.t) / 1000),
    cpuUsPerMsg: n > 0 ? cpu / n : Number.NaN,
    gcUsPerMsg: n > 0 ? ((b.gcMs - a.gcMs) * 1000) / n : Number.NaN,
    faultsPerMsg: n > 0 ? (b.faults - a.faults) / n : Number.NaN,
    brokerCpuUsPerMsg: n > 0 ? (b.broker - a.broker) / n : Number.NaN,
  };
}

/** A reading as each measurement's stderr line gives it: `  <label>: <rate> msg/s, <CPU> (GC pauses), <faults>, broker <CPU>`. */
export function describeReading(label: string, r: WindowReading): string {
  return (
    `  ${label}: ${Math.round(r.rate)} msg/s, ${r.cpuUsPerMsg.toFixed(1)} µs CPU/msg (GC pauses ${r.gcUsPerMsg.toFixed(2)}), ` +
    `${r.faultsPerMsg.toFixed(2)} page faults/msg, broker ${r.brokerCpuUsPerMsg.toFixed(1)} µs CPU/msg`
  );
}

/** minflt, the 10th field of /proc/self/stat; NaN where there is no /proc. */
function minorFaults(): number {
  return Number(procStat('self')?.[7] ?? Number.NaN);
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
