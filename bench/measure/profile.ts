import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * `--profile dir`: a CPU profile of the measurement window only (not the child's start-up, its
 * library's loading or its stop, which would swamp the per-message path), taken in-process with
 * the inspector's Profiler (https://nodejs.org/api/inspector.html#cpu-profiler) and written as
 * `<name>.cpuprofile`, which Chrome DevTools and `node --cpu-prof` tooling read.
 */
export interface WindowProfile {
  open(): void;
  close(): void;
}

const NONE: WindowProfile = { open: () => undefined, close: () => undefined };

let current: WindowProfile = NONE;

/** What the measurement calls when its window opens and closes: a no-op unless profiling. */
export function windowProfile(): WindowProfile {
  return current;
}

export function profileWindow(dir: string, name: string): void {
  const session = new Session();
  session.connect();
  current = {
    open() {
      // 100 µs samples (the default is 1 ms): a message costs tens of µs, so the hot path needs a fine grain.
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
      );
    },
    close() {
      session.post('Profiler.stop', (error, result) => {
        if (error === null) writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
        session.disconnect();
      });
    },
  };
}
