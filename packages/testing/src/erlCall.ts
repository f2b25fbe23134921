import { spawn } from 'node:child_process';

/** How one erl_call run ended: its exit, and what it printed. */
export interface ErlCallRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `erl_call` with `args`, writes `input` (an Erlang expression ending in a full stop) to it,
 * and resolves when it exits, however it exits; rejects only when it cannot be started. The
 * cookie is read from `home`/.erlang.cookie by erl_call itself, never put on a command line.
 */
export function runErlCall(
  erlCall: string,
  args: readonly string[],
  options: { home: string; input: string; timeoutMs: number },
): Promise<ErlCallRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(erlCall, args, { env: { ...process.env, HOME: options.home }, timeout: options.timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    // A call that fails at once (no node to connect to) may close its input before it is written: the exit says why.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
    child.stdin.end(options.input);
  });
}
