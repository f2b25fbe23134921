/**
 * `npm run bench [-- --json] [--quick] [--only name[,name]] [--subjects key[,key]] [--rounds n] [--window ms] [--warmup ms] [--profile dir] [--list]`:
 * runs each scenario against the local RabbitMQ (AMQP_URL): Warren, raw amqplib and the peers
 * where they apply, alternating within each round, and prints a table (median, min–max, ratio to
 * raw amqplib from the same round), or with --json one object per row. --quick is the CI smoke:
 * one short round of the scenarios marked quick, failing (exit 1) only when Warren falls below
 * 0.5× raw, a gross regression; targets are read from the full run.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatTable } from './lib/report.js';
import type { BenchContext, BenchRow } from './lib/types.js';
import { BROKER_PID_ENV, localBrokerPid } from './measure/brokerCpu.js';
import { scenarios } from './scenarios/index.js';
import { PEERS, RAW, WARREN } from './subjects/catalogue.js';

const GROSS_REGRESSION = 0.5;

const USAGE = `usage: npm run bench [-- options]
  --json               one JSON object per row instead of the table
  --quick              one short round of the quick scenarios; exit 1 only below ${GROSS_REGRESSION}× raw
  --only name[,name]   scenarios whose name is or starts with one of these (see --list)
  --subjects key[,key] subjects to run: ${[RAW, WARREN, ...PEERS].map((s) => s.key).join(', ')}
  --rounds n           rounds per scenario (default 5, --quick 1)
  --window ms          measured window per subject and round (default 2000)
  --warmup ms          warm-up before each window (default 2000; 500 where the queue is pre-filled, 6000 publishing)
  --profile dir        write a .cpuprofile of each measured window to dir
  --list               list the scenarios and exit
  --help               this text`;

const OPTIONS = {
  json: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  only: { type: 'string' },
  subjects: { type: 'string' },
  rounds: { type: 'string' },
  window: { type: 'string' },
  warmup: { type: 'string' },
  profile: { type: 'string' },
  list: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function parseOptions(): ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    // An unknown option or a missing value: say which, and how it is used, without a stack trace.
    console.error(`bench: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const values = parseOptions();

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

if (values.list) {
  for (const s of scenarios) console.log(`${s.name}${s.quick ? ' (quick)' : ''}${s.extra ? ' (only when named)' : ''}\t${s.description}`);
  process.exit(0);
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const list = (text: string | undefined): string[] | undefined =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const only = list(values.only);
const selected = scenarios.filter((s) =>
  only !== undefined ? only.some((o) => s.name === o || s.name.startsWith(o)) : values.quick ? s.quick === true : s.extra !== true,
);
if (selected.length === 0) {
  console.error(`no scenario matches --only ${values.only ?? ''}; try --list`);
  process.exit(2);
}
if (values.profile !== undefined) mkdirSync(values.profile, { recursive: true });

const ctx: BenchContext = {
  url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  rounds: positiveInteger('rounds', values.rounds, values.quick ? 1 : 5),
  quick: values.quick,
  subjects: list(values.subjects),
  windowMs: values.window === undefined ? undefined : positiveInteger('window', values.window, 2000),
  warmupMs: values.warmup === undefined ? undefined : positiveInteger('warmup', values.warmup, 2000),
  profileDir: values.profile,
  note: (m: string) => process.stderr.write(`${m}\n`),
};

// Found once here, read by every child (runJob forks with this environment) and by in-process scenarios.
const brokerPid = localBrokerPid(ctx.url);
if (brokerPid === undefined) ctx.note('no single local RabbitMQ node to read: the broker CPU rows read NaN');
else process.env[BROKER_PID_ENV] = String(brokerPid);

const rows: BenchRow[] = [];
const failed: string[] = [];
for (const s of selected) {
  ctx.note(`${s.name}: ${s.description}`);
  let out: BenchRow[];
  try {
    out = await s.run(ctx);
  } catch (error) {
    // A broker stopped or restarted by someone else mid-run: this scenario's rows are lost, not the others'.
    failed.push(s.name);
    ctx.note(`${s.name}: failed (${(error as Error).message}); its rows are missing, the run goes on`);
    continue;
  }
  rows.push(...out);
  if (values.json) for (const r of out) console.log(JSON.stringify(r));
}
if (!values.json) console.log(formatTable(rows));
if (failed.length > 0) {
  console.error(`bench: ${failed.length} scenario(s) failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}

if (values.quick) {
  // Throughput rows only (msg/s, req/s): a CPU row's ratio goes the other way.
  const grossIn = (out: readonly BenchRow[]): BenchRow[] =>
    out.filter((r) => r.subject.startsWith('warren') && /\/s$/.test(r.unit) && r.ratioToRaw < GROSS_REGRESSION);
  let gross = grossIn(rows);
  if (gross.length > 0) {
    // One short round on a shared machine can catch a stall of the broker or of another job: a
    // regression is one that shows again, so the scenarios that fell below are measured once more.
    const again = selected.filter((s) => gross.some((r) => r.scenario === s.name || r.scenario.startsWith(`${s.name} `)));
    ctx.note(
      `bench --quick: ${gross.length} row(s) below ${GROSS_REGRESSION}× raw; measuring ${again.map((s) => s.name).join(', ')} again`,
    );
    const retried: BenchRow[] = [];
    for (const s of again) retried.push(...(await s.run(ctx)));
    if (!values.json) console.log(formatTable(retried));
    gross = grossIn(retried);
  }
  for (const r of gross)
    console.error(`bench --quick: ${r.scenario} ${r.subject} at ${r.ratioToRaw.toFixed(2)}× raw, below ${GROSS_REGRESSION}×`);
  if (gross.length > 0) process.exit(1);
}
