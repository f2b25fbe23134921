import type { BenchRow, Target } from './types.js';

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The q-quantile (0..1) of values sorted ascending, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Runs `subjects` for `rounds` rounds, reversing the order every other round (ABBA), so drift on a noisy machine hits all alike. */
export async function alternate<K extends string>(
  rounds: number,
  subjects: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const keys = Object.keys(subjects) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? keys : [...keys].reverse();
    for (const k of order) out[k].push(await subjects[k]());
  }
  return out;
}

export function describeTarget(t: Target): string {
  return `${t.op} ${t.bound}${t.of === 'ratio' ? 'x raw' : ''}`;
}

export function meets(t: Target, row: Pick<BenchRow, 'value' | 'ratioToRaw'>): boolean {
  const v = t.of === 'ratio' ? row.ratioToRaw : row.value;
  return t.op === '>=' ? v >= t.bound : v <= t.bound;
}

/**
 * One row per subject from per-round values (`values[k][r]`: subject k in round r). The ratio to
 * raw is the median of the per-round ratios, so a drift between rounds cancels out.
 */
export function rowsFromRounds(
  scenario: string,
  unit: string,
  values: Readonly<Record<string, readonly number[]>>,
  label: (key: string) => string,
  targets: Readonly<Record<string, Target>> = {},
  rawKey = 'raw',
): BenchRow[] {
  const raw = values[rawKey] ?? [];
  return Object.entries(values).map(([key, v]) => {
    const ratios = v.map((x, i) => x / (raw[i] as number)).filter((r) => Number.isFinite(r));
    const row: BenchRow = {
      scenario,
      subject: label(key),
      value: median(v),
      unit,
      ratioToRaw: ratios.length > 0 ? median(ratios) : Number.NaN,
      min: Math.min(...v),
      max: Math.max(...v),
    };
    const t = targets[key];
    if (t !== undefined) {
      row.target = describeTarget(t);
      row.met = meets(t, row);
    }
    return row;
  });
}
