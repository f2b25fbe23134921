import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces):
 * index 0 is the state (field 3 in proc(5)), 7 minflt (field 10), 11 utime and 12 stime (fields 14
 * and 15, in clock ticks). Undefined where there is no /proc or no such process.
 */
export function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
