import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));

/** A file a fixture writes as it goes: its text so far, or '' before it has written one. */
export function textSoFar(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The lines of a fixture's FIXTURE_OUT file that start with `prefix` ('start ', 'done '), without it; none before the file appears. */
export function fixtureLines(file: string, prefix: string): string[] {
  return textSoFar(file)
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `warren <args>` as a child process (in `cwd`, default this one), collecting its output. */
export function spawnWarren(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { child: ChildProcess; exited: Promise<Exited> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, WARREN_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<Exited>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited };
}

/** The child's stdout from spawn on, and a wait for it to satisfy a condition. */
export function watchStdout(child: ChildProcess): {
  until(what: string, done: (text: string) => boolean, timeoutMs?: number): Promise<void>;
} {
  let text = '';
  let exited = false;
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiters) check();
  });
  child.on('exit', () => {
    exited = true;
    for (const check of waiters) check();
  });
  return {
    until: (what, done, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stdout:\n${text}`)),
          timeoutMs,
        );
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error === undefined) resolve();
          else reject(error);
        };
        const check = (): void => {
          if (done(text)) finish();
          else if (exited) finish(new Error(`warren exited while waiting for ${what}; stdout:\n${text}`));
        };
        waiters.add(check);
        check();
      }),
  };
}
