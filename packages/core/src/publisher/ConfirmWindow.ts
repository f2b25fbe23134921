/**
 * Publisher confirms for one confirm channel: delivery tag -> message, counting from 1 like the
 * broker does after confirm.select. Acks and nacks may arrive out of order, and `multiple`
 * settles every tag up to and including the given one, so entries are matched by tag, never by
 * position (amqp-connection-manager#142 got this wrong).
 *
 * Tags are consecutive, so the messages sit in a ring indexed by tag: slot `tag & mask` holds
 * the message of `tag` while it is unconfirmed. `#head` is the oldest tag that may still be
 * unconfirmed; the ring spans `#head` to `#nextTag - 1`, and grows when an old tag stays
 * unconfirmed while newer ones are confirmed one by one (the span, not the count, outgrows it).
 * No allocation per message, unlike a Map. `tag & mask` is right beyond 2^31 too: ToInt32 keeps
 * the low 32 bits, and the mask only the low bits of those.
 */
export class ConfirmWindow<T> {
  #slots: Array<T | undefined> = new Array<T | undefined>(64).fill(undefined);
  #mask = 63;
  #head = 1;
  #nextTag = 1;
  #size = 0;
  #maxSeen = 0;

  /** Unconfirmed messages on the current channel. */
  get size(): number {
    return this.#size;
  }

  /** The largest `size` ever observed (across channels). */
  get maxSeen(): number {
    return this.#maxSeen;
  }

  /** Records a message just written to the channel; returns its delivery tag. */
  add(item: T): number {
    if (this.#nextTag - this.#head > this.#mask) this.#grow();
    const tag = this.#nextTag++;
    this.#slots[tag & this.#mask] = item;
    if (++this.#size > this.#maxSeen) this.#maxSeen = this.#size;
    return tag;
  }

  /** Applies one basic.ack / basic.nack; `settle` gets each message it covers, oldest first. Unknown tags are ignored. */
  confirm(tag: number, multiple: boolean, settle: (item: T) => void): void {
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
    for (let t = this.#head; t < this.#nextTag; t++) {
      const item = this.#slots[t & this.#mask];
      if (item !== undefined) yield item;
    }
  }

  /** Visits unconfirmed messages, oldest first, until `stop` returns true (then true); no iterator allocated. */
  some(stop: (item: T) => boolean): boolean {
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

  /** Moves the head past tags already confirmed (one by one, out of order). */
  #skipConfirmed(): void {
    while (this.#head < this.#nextTag && this.#slots[this.#head & this.#mask] === undefined) this.#head++;
  }

  #grow(): void {
    const slots = new Array<T | undefined>(this.#slots.length * 2).fill(undefined);
    const mask = slots.length - 1;
    for (let t = this.#head; t < this.#nextTag; t++) slots[t & mask] = this.#slots[t & this.#mask];
    this.#slots = slots;
    this.#mask = mask;
  }
}
