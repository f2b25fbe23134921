import { readdirSync, readFileSync } from 'node:fs';
import { procStat } from './procStat.js';

/** How the runner tells its child processes which process is the broker: its pid, or nothing. */
export const BROKER_PID_ENV = 'WARREN_BENCH_BROKER_PID';

/** utime and stime in /proc/PID/stat are in clock ticks; USER_HZ is 100 on Linux (proc(5)). */
const US_PER_TICK = 10_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The RabbitMQ node the bench talks to, when it runs on this machine: the one process whose
 * command line boots rabbit (`beam.smp ... -s rabbit boot`; rabbitmqctl runs a beam.smp too,
 * without it). Undefined for a remote broker, several local nodes (a cluster: which one takes the
 * load is not known), or no /proc; the broker CPU rows then read NaN.
 */
export function localBrokerPid(url: string): number | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (!LOCAL_HOSTS.has(host)) return undefined;
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => bootsRabbit(d))
      .map(Number);
  } catch {
    return undefined;
  }
  return pids.length === 1 ? pids[0] : undefined;
}

function bootsRabbit(pid: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (cmdline[0] ?? '').endsWith('beam.smp') && cmdline.some((a, i) => a === '-s' && cmdline[i + 1] === 'rabbit');
  } catch {
    return false; // gone, or not ours to read
  }
}

/** CPU the broker has used so far (user + system), µs; NaN when the runner found no local broker. */
export function brokerCpuUs(pid: number | undefined = brokerPidFromEnv()): number {
  const f = pid === undefined ? undefined : procStat(pid);
  return f === undefined ? Number.NaN : (Number(f[11]) + Number(f[12])) * US_PER_TICK;
}

function brokerPidFromEnv(): number | undefined {
  const v = process.env[BROKER_PID_ENV];
  return v === undefined || v === '' ? undefined : Number(v);
}
