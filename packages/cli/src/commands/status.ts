import { ConfigError, type QueueStatusRow, readQueueStatus } from '@warren/core';
import { exitCodes } from '../exitCodes.js';
import { adminConnection } from './adminConnection.js';
import { finish, loadAppTopology, type OperatorOptions } from './appTopology.js';

export interface StatusOptions extends OperatorOptions {
  sample?: string;
}

/**
 * `warren status <app-module>`: per queue of the app (and per queue it has publisher limits on):
 * ready, unacked, consumers, the net ready rate over `--sample` ms, messages waiting in its
 * delay queues, and its DLQ depth. Reads only; exits 0 once it could read, missing queues shown.
 */
export async function statusCommand(modulePath: string, opts: StatusOptions): Promise<void> {
  const sampleMs = opts.sample === undefined ? 1000 : Number(opts.sample);
  if (!Number.isInteger(sampleMs) || sampleMs < 0 || sampleMs > 60_000) {
    throw new ConfigError(`--sample must be a whole number of ms from 0 to 60000, got "${opts.sample}"`);
  }
  const { name, plan, broker } = await loadAppTopology(modulePath, opts);
  const connection = await adminConnection(broker);
  let report: Awaited<ReturnType<typeof readQueueStatus>>;
  try {
    report = await readQueueStatus(connection, plan, { sampleMs });
  } finally {
    await connection.close();
  }
  if (opts.json === true) {
    return finish(`${JSON.stringify({ command: 'status', app: name, broker: connection.address, ...report })}\n`, exitCodes.ok);
  }
  const header = ['queue', 'ready', 'unacked', 'consumers', 'ready/s', 'retrying', 'dlq'];
  const rows = report.queues.map((q) => [q.queue + (q.role === 'external' ? ' (limits)' : ''), ...cells(q)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cols: string[]): string =>
    `  ${cols.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  const lines = [`warren status: app "${name}" on ${connection.address}`, line(header), ...rows.map(line)];
  for (const n of report.notes) lines.push(`  note: ${n}`);
  return finish(`${lines.join('\n')}\n`, exitCodes.ok);
}

function cells(q: QueueStatusRow): string[] {
  if (!q.exists) return ['missing', '-', '-', '-', '-', '-'];
  const show = (n: number | null): string => (n === null ? '-' : String(n));
  const rate = q.readyPerSec === null ? '-' : `${q.readyPerSec > 0 ? '+' : ''}${q.readyPerSec.toFixed(1)}`;
  return [show(q.ready), show(q.unacked), show(q.consumers), rate, show(q.retrying), show(q.deadLetters)];
}
