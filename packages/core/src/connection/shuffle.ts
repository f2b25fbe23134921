/**
 * A uniformly shuffled copy (Fisher–Yates). Workers shuffle their broker URLs so that many of them
 * spread over a cluster's nodes instead of all landing on the first; `sort(() => Math.random() -
 * 0.5)` is not uniform (it depends on the sort's comparisons) and would favour some orders.
 */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
