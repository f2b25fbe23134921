/**
 * `npm run bench [-- --json] [--only name[,name]] [--rounds n]`: runs each scenario against the
 * local RabbitMQ (AMQP_URL), Warren and raw amqplib in the same run, alternating, and prints a
 * table, or with --json one {scenario, subject, value, unit, ratioToRaw} object per line.
 */
import { parseArgs } from 'node:util';
import { formatTable } from './lib/report.js';
import type { BenchRow } from './lib/types.js';
import { scenarios } from './scenarios/index.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const s of scenarios) console.log(`${s.name}\t${s.description}`);
  process.exit(0);
}

const only = values.only?.split(',').map((s) => s.trim());
const selected = scenarios.filter((s) => only === undefined || only.includes(s.name));
if (selected.length === 0) {
  console.error(`no scenario matches --only ${values.only ?? ''}; try --list`);
  process.exit(2);
}
const rounds = Number(values.rounds);
const ctx = {
  url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 3,
  note: (m: string) => process.stderr.write(`${m}\n`),
};

const rows: BenchRow[] = [];
for (const s of selected) {
  ctx.note(`${s.name}: ${s.description}`);
  const out = await s.run(ctx);
  rows.push(...out);
  if (values.json) for (const r of out) console.log(JSON.stringify(r));
}
if (!values.json) console.log(formatTable(rows));
