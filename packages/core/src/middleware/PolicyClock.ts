/** The clock and timers a policy uses: the system's, or a fake in tests. */
export interface PolicyClock {
  /** ms, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export const SYSTEM_CLOCK: PolicyClock = {
  now: () => performance.now(),
  // A policy's timers never keep the process alive: the consumers it serves do.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};
