// What both demos (scripts/demo.js, scripts/pipeline-demo.js) need besides their own story: the
// broker's view of a queue, rabbitmqctl when it is there, the worker's stop, and small helpers.
// Plain Node ESM.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Unacked counts and the broker's own ready counts come from rabbitmqctl, on a machine that has it. */
export const HAS_RABBITMQCTL = await commandExists('rabbitmqctl');

/** Passive declare on a throwaway channel: a missing queue closes the channel (404), not the connection. */
export async function inspectQueue(connection, name) {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    const info = await channel.checkQueue(name);
    await channel.close().catch(() => undefined);
    return info;
  } catch {
    return undefined;
  }
}

/**
 * Runs `warren start <app> ...args` as a team would, its output in `logPath`; `exit` resolves with
 * { code, signal } when it ends.
 */
export function spawnWorker({ root, cli, app, args, logPath, urls }) {
  const logFd = openSync(logPath, 'w');
  const worker = spawn(process.execPath, [cli, 'start', app, ...args], {
    cwd: root,
    env: { ...process.env, WARREN_URL: urls, WARREN_LOG_FORMAT: 'json' },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exit = new Promise((resolve) => worker.on('exit', (code, signal) => resolve({ code, signal })));
  return { worker, exit };
}

/** Deletes `queues` and every `<queue>.retry.<ms>` of them the broker lists (RetryLater's own delays too). */
export async function deleteQueues(connection, queues) {
  const names = new Set(queues);
  const listed = await run('rabbitmqctl', ['-q', 'list_queues', 'name', '--no-table-headers']);
  for (const line of listed?.split('\n') ?? []) {
    const name = line.trim();
    if (queues.some((q) => name.startsWith(`${q}.retry.`))) names.add(name);
  }
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  for (const name of names) await channel.deleteQueue(name);
  await channel.close().catch(() => undefined);
}

/** SIGTERM, then up to `limitMs` for the exit, then SIGKILL: resolves with { code, signal }, or undefined if it had to be killed. */
export async function stopWorker(worker, workerExit, limitMs) {
  if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
  const exit = await Promise.race([workerExit, sleep(limitMs).then(() => undefined)]);
  if (exit === undefined) {
    worker.kill('SIGKILL');
    await workerExit;
  }
  return exit;
}

/** The JSON lines of a worker's log (pino), parsed; other lines are skipped. */
export function logEntries(path) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const entries = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      entries.push(JSON.parse(line));
    } catch {
      // a line cut short
    }
  }
  return entries;
}

/** stdout of a command, or undefined if it failed (or is rabbitmqctl, and there is none). */
export function run(command, args) {
  if (command === 'rabbitmqctl' && !HAS_RABBITMQCTL) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

function commandExists(command) {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `command -v ${command}`], (error) => resolve(!error));
  });
}

export function fail(message) {
  throw new Error(message);
}

export function oneLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}

export function pad(value, width) {
  return String(value).padStart(width);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
