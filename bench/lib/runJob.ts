import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, Job, Result } from '../measure/jobs.js';
import type { BenchContext } from './types.js';

const CHILD = fileURLToPath(new URL('../child.js', import.meta.url));

/**
 * Runs one Job in a fresh child process: forks it, and while it loads its library runs
 * `prepare` (filling a queue: that CPU is the parent's, over before the child's measurement
 * starts), then starts it. The child is killed (by its own pid) if it takes longer than `limitMs`.
 */
export function runJob<R extends Result>(ctx: BenchContext, job: Job, prepare: () => Promise<void>, limitMs: number): Promise<R> {
  if (ctx.profileDir !== undefined) job.profile = { dir: ctx.profileDir, name: profileName(job) };
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<R>((resolve, reject) => {
    let done = false;
    const end = (error: Error | undefined, result?: R): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error !== undefined) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve(result as R);
    };
    const timer = setTimeout(() => end(new Error(`${job.kind} ${job.module}: no result within ${limitMs} ms`)), limitMs);
    child.on('error', (error) => end(error));
    child.on('exit', (code, signal) => end(new Error(`${job.kind} ${job.module}: child exited (${signal ?? code}) before its result`)));
    // The broker is prepared while the child loads its library (Nest takes seconds): 'go' when both are done.
    let loaded = false;
    let prepared = false;
    const go = (): void => {
      if (loaded && prepared && !done) child.send('go');
    };
    prepare().then(
      () => {
        prepared = true;
        go();
      },
      (error: Error) => end(error),
    );
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') {
        loaded = true;
        go();
      } else if (m.type === 'result') end(undefined, m.result as R);
      else end(new Error(`${job.kind} ${job.module}: ${m.message}`));
    });
    child.send(job);
  });
}

let profiles = 0;

/** `consume-warren-timeoutMs=30000-prefetch=100-3`: kind, subject, what varies, and a sequence number (one per round). */
function profileName(job: Job): string {
  if (job.kind === 'rpc') return `rpc-${job.subject}-callers=${job.callers}-${++profiles}`;
  const spec = job.kind === 'publish' ? job.publish : job.consume;
  const variant = Object.entries(spec.variant).map(([k, v]) => `-${k}=${String(v)}`);
  const shape =
    job.kind === 'publish' ? `window=${job.publish.window}` : `prefetch=${job.consume.prefetch}-handler=${job.consume.handlerMs}ms`;
  return `${job.kind}-${job.module}${variant.join('')}-${shape}-${++profiles}`;
}
