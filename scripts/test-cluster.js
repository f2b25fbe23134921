// `npm run test:cluster` (the last step of `npm test`): the cluster tests, test/dist/cluster/*.cluster.js,
// on a local three-node cluster. Starts it with scripts/cluster.sh up (unless it is up already), runs
// them with WARREN_CLUSTER_URLS set, then stops it again. When the nodes cannot be started (no
// rabbitmq-server here, a port taken), says why and skips: exit 0. WARREN_CLUSTER_FULL=1 adds the
// longer cases; WARREN_CLUSTER_KEEP=1 leaves a cluster this started running. Plain Node ESM.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'scripts', 'cluster.sh');
const testDir = join(root, 'test', 'dist', 'cluster');

function cluster(command, quiet = false) {
  // Progress (stderr) shows as it comes; stdout is the URL list.
  return spawnSync('bash', [script, command], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'] });
}

let files;
try {
  files = readdirSync(testDir)
    .filter((f) => f.endsWith('.cluster.js'))
    .map((f) => join(testDir, f));
} catch {
  files = [];
}
if (files.length === 0) {
  console.error('cluster tests: none built in test/dist/cluster (npm run build first)');
  process.exit(1);
}

const began = Date.now();
const seconds = (since) => `${Math.round((Date.now() - since) / 1000)} s`;

// A signal while the cluster starts (spawnSync blocks): cluster.sh stops what it started, and so do we.
let interrupted;
let child;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = signal;
    // The tests and the worker processes they spawned: one process group, ours.
    if (child !== undefined) killGroup(signal);
  });
}
function killGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

const already = cluster('status', true);
const ours = already.status !== 0;
const up = ours ? cluster('up') : already;
const down = () => {
  if (ours && process.env.WARREN_CLUSTER_KEEP === undefined) cluster('down');
};
// Ctrl-C reaches cluster.sh too, which exits 130; our own handler would only run after this line.
if (interrupted !== undefined || up.status === 130 || up.signal !== null) {
  if (ours) cluster('down');
  console.log('cluster tests: interrupted while the cluster started; it is down again');
  process.exit(130);
}
if (up.status !== 0) {
  console.log('cluster tests SKIPPED: the local three-node cluster could not be started (the line above says why)');
  process.exit(0);
}
const urls = up.stdout.trim().split('\n').pop();
const upAt = Date.now();
console.log(`cluster tests: cluster up after ${seconds(began)}: ${urls.replace(/\/\/[^@]*@/g, '//')}`);

child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=180000', ...files], {
  cwd: root,
  stdio: 'inherit',
  // Its own process group: at the end, whatever a test left running (a worker process) goes with it.
  detached: true,
  env: { ...process.env, WARREN_CLUSTER_URLS: urls },
});
child.on('exit', (code, signal) => {
  killGroup('SIGKILL');
  const testsTook = seconds(upAt);
  down();
  console.log(`cluster tests: ${testsTook} of tests, ${seconds(began)} in all (cluster up and down included)`);
  process.exit(code ?? (signal === null ? 1 : 128));
});
