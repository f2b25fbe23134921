/** Slots the ring may grow to (512 KiB of pointers); past it, the oldest unconfirmed move to a Map. */
export const MAX_RING_SLOTS = 1 << 16;

/**
 * Publisher confirms for one confirm channel: delivery tag -> message, counting from 1 like the
 * broker does after confirm.select. Acks and nacks may arrive out of order, and `multiple`
 * settles every tag up to and including the given one, so entries are matched by tag, never by
 * position (amqp-connection-manager#142 got this wrong).
 *
 * Tags are consecutive, so the messages sit in a ring indexed by tag: slot `tag & mask` holds
 * the message of `tag` while it is unconfirmed. `#head` is the oldest tag the ring holds; it
 * spans `#head` to `#nextTag - 1`, and doubles when an old tag stays unconfirmed while newer ones
 * are confirmed one by one (the span, not the count, outgrows it). No allocation per message,
 * unlike a Map. `tag & mask` is right beyond 2^31 too: ToInt32 keeps the low 32 bits, and the
 * mask only the low bits of those.
 *
 * The span is bounded: at `maxSlots`, the oldest unconfirmed message moves to `#stragglers` (a
 * Map, in tag order as they move oldest first), so one message the broker never confirms costs
 * one Map entry, not a ring as long as everything published after it.
 */
export class ConfirmWindow<T> {
  readonly #maxSlots: number;
  #slots: Array<T | undefined>;
  #mask: number;
  #head = 1;
  #nextTag = 1;
  #size = 0;
  #maxSeen = 0;
  readonly #stragglers = new Map<number, T>();

  /** `maxSlots`: a power of two (tests use a small one). */
  constructor(maxSlots: number = MAX_RING_SLOTS) {
    if (!(Number.isInteger(maxSlots) && maxSlots >= 2 && (maxSlots & (maxSlots - 1)) === 0)) {
      throw new RangeError(`maxSlots must be a power of two from 2, got ${maxSlots}`);
    }
    this.#maxSlots = maxSlots;
    this.#slots = new Array<T | undefined>(Math.min(64, maxSlots)).fill(undefined);
    this.#mask = this.#slots.length - 1;
  }

  /** Unconfirmed messages on the current channel. */
  get size(): number {
    return this.#size;
  }

  /** The largest `size` ever observed (across channels). */
  get maxSeen(): number {
    return this.#maxSeen;
  }

  /** Slots in the ring now (at most `maxSlots`). */
  get ringSlots(): number {
    return this.#slots.length;
  }

  /** Records a message just written to the channel; returns its delivery tag. */
  add(item: T): number {
    if (this.#nextTag - this.#head > this.#mask) this.#makeRoom();
    const tag = this.#nextTag++;
    this.#slots[tag & this.#mask] = item;
    if (++this.#size > this.#maxSeen) this.#maxSeen = this.#size;
    return tag;
  }

  /** Applies one basic.ack / basic.nack; `settle` gets each message it covers, oldest first. Unknown tags are ignored. */
  confirm(tag: number, multiple: boolean, settle: (item: T) => void): void {
    if (this.#stragglers.size > 0) this.#confirmStragglers(tag, multiple, settle);
    if (tag < this.#head) return;
    if (!multiple) {
      if (tag >= this.#nextTag) return;
      const item = this.#take(tag);
      if (tag === this.#head) this.#skipConfirmed();
      if (item !== undefined) settle(item);
      return;
    }
    // The head moves past each tag before its message is settled: a settle that writes (and adds) finds the window consistent.
    const last = Math.min(tag, this.#nextTag - 1);
    while (this.#head <= last) {
      const item = this.#take(this.#head++);
      if (item !== undefined) settle(item);
    }
    this.#skipConfirmed();
  }

  /** Iterates unconfirmed messages, oldest first, without removing them. */
  *values(): IterableIterator<T> {
    yield* this.#stragglers.values();
    for (let t = this.#head; t < this.#nextTag; t++) {
      const item = this.#slots[t & this.#mask];
      if (item !== undefined) yield item;
    }
  }

  /** Visits unconfirmed messages, oldest first, until `stop` returns true (then true); no iterator allocated. */
  some(stop: (item: T) => boolean): boolean {
    if (this.#stragglers.size > 0) for (const item of this.#stragglers.values()) if (stop(item)) return true;
    for (let t = this.#head; t < this.#nextTag; t++) {
      const item = this.#slots[t & this.#mask];
      if (item !== undefined && stop(item)) return true;
    }
    return false;
  }

  /**
   * The channel is gone: returns every unconfirmed message, oldest first, and starts over at
   * tag 1 for the next channel.
   */
  takeAll(): T[] {
    const all = [...this.values()];
    this.#slots.fill(undefined);
    this.#stragglers.clear();
    this.#head = 1;
    this.#nextTag = 1;
    this.#size = 0;
    return all;
  }

  #take(tag: number): T | undefined {
    const slot = tag & this.#mask;
    const item = this.#slots[slot];
    if (item === undefined) return undefined;
    this.#slots[slot] = undefined;
    this.#size--;
    return item;
  }

  /** Tags below the ring's head: a single confirm finds its own; a multiple one settles every one up to `tag`. */
  #confirmStragglers(tag: number, multiple: boolean, settle: (item: T) => void): void {
    if (!multiple) {
      const item = this.#stragglers.get(tag);
      if (item === undefined) return;
      this.#stragglers.delete(tag);
      this.#size--;
      settle(item);
      return;
    }
    for (const [t, item] of this.#stragglers) {
      if (t > tag) break;
      this.#stragglers.delete(t);
      this.#size--;
      settle(item);
    }
  }

  /** Moves the head past tags already confirmed (one by one, out of order). */
  #skipConfirmed(): void {
    while (this.#head < this.#nextTag && this.#slots[this.#head & this.#mask] === undefined) this.#head++;
  }

  /** The ring is full from head to the newest tag: double it, or at its bound, move the oldest out to the stragglers. */
  #makeRoom(): void {
    if (this.#slots.length < this.#maxSlots) {
      const slots = new Array<T | undefined>(this.#slots.length * 2).fill(undefined);
      const mask = slots.length - 1;
      for (let t = this.#head; t < this.#nextTag; t++) slots[t & mask] = this.#slots[t & this.#mask];
      this.#slots = slots;
      this.#mask = mask;
      return;
    }
    const tag = this.#head++;
    const item = this.#slots[tag & this.#mask];
    if (item !== undefined) {
      this.#slots[tag & this.#mask] = undefined;
      this.#stragglers.set(tag, item);
    }
    this.#skipConfirmed();
  }
}
