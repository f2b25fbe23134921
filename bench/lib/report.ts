import type { BenchRow } from './types.js';

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A ratio target as describeTarget prints it: `>= 0.95x raw`. */
const RATIO_TARGET = /^(>=|<=) ([\d.]+)x raw$/;

/**
 * The ratio to raw with two decimals, or as many more as it takes (up to 6) for a missed ratio not
 * to read as meeting its bound: 0.9493 against `>= 0.95x raw` prints 0.949x, not 0.95x.
 */
export function ratioText(r: Pick<BenchRow, 'ratioToRaw' | 'target' | 'met'>): string {
  if (!Number.isFinite(r.ratioToRaw)) return '-';
  const target = r.met === false ? RATIO_TARGET.exec(r.target ?? '') : null;
  let digits = 2;
  if (target !== null) {
    const bound = Number(target[2]);
    const readsAsMet = (text: string): boolean => (target[1] === '>=' ? Number(text) >= bound : Number(text) <= bound);
    while (digits < 6 && readsAsMet(r.ratioToRaw.toFixed(digits))) digits++;
  }
  return `${r.ratioToRaw.toFixed(digits)}x`;
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
