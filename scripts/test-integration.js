#!/usr/bin/env node
// `npm run test:integration`: the integration tests against the real RabbitMQ, in two batches.
//
// Most test files touch only their own uniquely named queues and connections: they run side by
// side (--test-concurrency). A file that changes the whole broker (a memory alarm, stop_app,
// consumer_timeout, close_all_connections) or measures time and rates closely says so with the
// marker `@warren-test serial` in its header comment; those run one at a time, after, so neither
// disturbs nor is disturbed by a neighbour.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'test', 'dist');
const concurrency = process.env.WARREN_TEST_CONCURRENCY ?? '3';

function testFiles(at) {
  const out = [];
  for (const name of readdirSync(at)) {
    const path = join(at, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

const files = testFiles(dir);
const serial = files.filter((f) => readFileSync(f, 'utf8').slice(0, 4000).includes('@warren-test serial'));
const parallel = files.filter((f) => !serial.includes(f));

function run(label, list, n) {
  if (list.length === 0) return 0;
  process.stdout.write(`# ${label}: ${list.length} files, ${n} at a time\n`);
  const args = ['--test', `--test-concurrency=${n}`, '--test-timeout=180000', ...list.map((f) => relative(root, f))];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

const a = run('side by side', parallel, concurrency);
const b = run('one at a time', serial, '1');
process.exit(a !== 0 ? a : b);
