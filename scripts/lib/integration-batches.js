// The integration test files in their batches, and how one batch runs: shared by
// scripts/test-integration.js (`npm run test:integration`) and scripts/test-all.js (`npm test`).
//
// Most test files touch only their own uniquely named queues and connections: they run side by
// side (--test-concurrency, WARREN_TEST_CONCURRENCY, 3). A file that measures rates and latencies
// against bands says so with the marker `@warren-test measuring` in its header comment: those run
// next, only beside each other, two at a time (WARREN_TEST_MEASURING_CONCURRENCY): their handlers
// mostly wait on timers and the broker, so two leave each other's bands alone where a full batch
// on two cores would not. A file that changes the whole broker (a memory alarm, stop_app,
// consumer_timeout, close_all_connections) says `@warren-test serial`: those run last, one at a
// time, so neither disturbs nor is disturbed by a neighbour.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every *.test.js under `at`, sorted. */
export function testFiles(at) {
  const out = [];
  for (const name of readdirSync(at)) {
    const path = join(at, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

/** The batches of test/dist under `root`, in the order they run: { label, files, concurrency }. */
export function integrationBatches(root) {
  const files = testFiles(join(root, 'test', 'dist'));
  const marked = (marker) => files.filter((f) => readFileSync(f, 'utf8').slice(0, 4000).includes(`@warren-test ${marker}`));
  const serial = marked('serial');
  const measuring = marked('measuring').filter((f) => !serial.includes(f));
  return [
    {
      label: 'side by side',
      files: files.filter((f) => !serial.includes(f) && !measuring.includes(f)),
      concurrency: process.env.WARREN_TEST_CONCURRENCY ?? '3',
    },
    { label: 'measuring', files: measuring, concurrency: process.env.WARREN_TEST_MEASURING_CONCURRENCY ?? '2' },
    { label: 'one at a time', files: serial, concurrency: '1' },
  ];
}

/**
 * Runs `files` with node --test, `concurrency` at a time, output to ours; resolves with the exit
 * status and says how long it took. The child is in `running` (if given) while it runs.
 */
export function runTests(root, label, files, concurrency, running = new Set()) {
  if (files.length === 0) return Promise.resolve(0);
  process.stdout.write(`# ${label}: ${files.length} files, ${concurrency} at a time\n`);
  const began = Date.now();
  const args = ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...files.map((f) => relative(root, f))];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    running.add(child);
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => {
      running.delete(child);
      process.stdout.write(`# ${label}: ${Math.round((Date.now() - began) / 1000)} s\n`);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}
