// What both demos (scripts/demo.js, scripts/pipeline-demo.js) need besides their own story: the
// broker's view of a queue, rabbitmqctl when it is there (a queue's unacked count), the worker's
// stop, a free port, the tally of order ids, and small helpers.
// Plain Node ESM.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

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

/** Each confirmed order id, charged or dead-lettered: what is missing, duplicated, or both. */
export function accountFor(confirmedIds, chargedIds, deadIds) {
  const dead = new Map();
  for (const id of deadIds) dead.set(id, (dead.get(id) ?? 0) + 1);
  let duplicates = 0;
  for (const n of [...chargedIds.values(), ...dead.values()]) duplicates += n - 1;
  const missing = [...confirmedIds].filter((id) => !chargedIds.has(id) && !dead.has(id));
  const both = [...chargedIds.keys()].filter((id) => dead.has(id)).length;
  return { charged: chargedIds.size, dead: dead.size, missing, duplicates, both };
}

/**
 * AMQP has no way to ask for the unacknowledged count of `queue`; rabbitmqctl does (about 0.8 s
 * per call here), so it samples in the background and the live line shows the latest sample.
 */
export function startUnackedSampler(queue) {
  const state = { latest: undefined, latestAt: 0, max: undefined, samples: 0, stopped: false };
  const sample = async () => {
    const askedAt = Date.now();
    const out = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'messages_unacknowledged', '--no-table-headers']);
    if (out === undefined) return undefined;
    for (const line of out.split('\n')) {
      const [name, unacked] = line.trim().split(/\s+/);
      if (name === queue && unacked !== undefined) {
        const n = Number(unacked);
        state.latest = n;
        state.latestAt = askedAt;
        state.max = Math.max(state.max ?? 0, n);
        state.samples++;
        return n;
      }
    }
    return undefined;
  };
  if (HAS_RABBITMQCTL) {
    (async () => {
      while (!state.stopped) {
        await sample();
        await sleep(300);
      }
    })();
  }
  return {
    get latest() {
      return state.latest;
    },
    get latestAt() {
      return state.latestAt;
    },
    get max() {
      return state.max;
    },
    get samples() {
      return state.samples;
    },
    sampleNow: () => (HAS_RABBITMQCTL ? sample() : Promise.resolve(undefined)),
    stop: () => {
      state.stopped = true;
    },
  };
}

/** `wanted` if nothing listens on it, else a free port the system picks. */
export function portToUse(wanted) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => {
        const { port } = any.address();
        any.close(() => resolve(port));
      });
    });
    probe.listen(wanted, '127.0.0.1', () => probe.close(() => resolve(wanted)));
  });
}
