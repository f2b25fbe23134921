import type { BenchRow } from './types.js';

function fmt(v: number): string {
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(2);
}

/** A fixed-width table for people. */
export function formatTable(rows: readonly BenchRow[]): string {
  const best = rows.some((r) => r.ratioToBestStatic !== undefined);
  const head = ['scenario', 'subject', 'value', 'unit', 'ratio to raw', ...(best ? ['to best static'] : [])];
  const body = rows.map((r) => [
    r.scenario,
    r.subject,
    fmt(r.value),
    r.unit,
    `${r.ratioToRaw.toFixed(2)}x`,
    ...(best ? [r.ratioToBestStatic === undefined ? '' : `${r.ratioToBestStatic.toFixed(2)}x`] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 2 || i >= 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
