/** Counts how often each message id was handled, to check at-least-once delivery: none `missing`, how many `duplicates`. */
export class Tally {
  readonly seen = new Map<string, number>();
  add(id: string): void {
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
  }
  get total(): number {
    let n = 0;
    for (const c of this.seen.values()) n += c;
    return n;
  }
  /** The expected ids never seen. */
  missing(expected: Iterable<string>): string[] {
    return [...expected].filter((id) => !this.seen.has(id));
  }
  /** Handlings beyond the first, over all ids. */
  duplicates(): number {
    let n = 0;
    for (const c of this.seen.values()) if (c > 1) n += c - 1;
    return n;
  }
}
