import type { BenchRow } from './types.js';

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** The ratio to raw with two decimals, or three where two would round a missed ratio onto its bound (0.949 printed as 0.95x beside ">= 0.95x raw: MISSED"). */
export function ratioText(r: Pick<BenchRow, 'ratioToRaw' | 'target' | 'met'>): string {
  if (!Number.isFinite(r.ratioToRaw)) return '-';
  const two = `${r.ratioToRaw.toFixed(2)}x`;
  return r.met === false && r.target?.includes(` ${two}`) === true ? `${r.ratioToRaw.toFixed(3)}x` : two;
}

/** A fixed-width table for people: median, min–max over rounds, the ratio to raw, and the target where one applies. */
export function formatTable(rows: readonly BenchRow[]): string {
  const best = rows.some((r) => r.ratioToBestStatic !== undefined);
  const head = ['scenario', 'subject', 'median', 'min–max', 'unit', 'vs raw', ...(best ? ['to best static'] : []), 'target'];
  const body = rows.map((r) => [
    r.scenario,
    r.subject,
    fmt(r.value),
    `${fmt(r.min)}–${fmt(r.max)}`,
    r.unit,
    ratioText(r),
    ...(best ? [r.ratioToBestStatic === undefined ? '' : `${r.ratioToBestStatic.toFixed(2)}x`] : []),
    r.target === undefined ? '' : `${r.target}: ${r.met ? 'met' : 'MISSED'}`,
  ]);
  const right = new Set([2, 3, 5, ...(best ? [6] : [])]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out: string[] = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last: string | undefined;
  for (const [i, r] of rows.entries()) {
    // A blank line between scenarios keeps a long table readable.
    if (last !== undefined && r.scenario !== last) out.push('');
    last = r.scenario;
    out.push(line(body[i] as string[]));
  }
  return out.join('\n');
}
