/**
 * Publisher confirms for one confirm channel: delivery tag -> message, counting from 1 like the
 * broker does after confirm.select. Acks and nacks may arrive out of order, and `multiple`
 * settles every tag up to and including the given one, so entries are matched by tag, never by
 * position (amqp-connection-manager#142 got this wrong).
 *
 * A Map keeps insertion (= tag) order, so a `multiple` confirm walks from the oldest entry and
 * stops at the first larger tag.
 */
export class ConfirmWindow<T> {
  #pending = new Map<number, T>();
  #nextTag = 1;
  #maxSeen = 0;

  /** Unconfirmed messages on the current channel. */
  get size(): number {
    return this.#pending.size;
  }

  /** The largest `size` ever observed (across channels). */
  get maxSeen(): number {
    return this.#maxSeen;
  }

  /** Records a message just written to the channel; returns its delivery tag. */
  add(item: T): number {
    const tag = this.#nextTag++;
    this.#pending.set(tag, item);
    if (this.#pending.size > this.#maxSeen) this.#maxSeen = this.#pending.size;
    return tag;
  }

  /** Applies one basic.ack / basic.nack; `settle` gets each message it covers, oldest first. Unknown tags are ignored. */
  confirm(tag: number, multiple: boolean, settle: (item: T) => void): void {
    if (!multiple) {
      const item = this.#pending.get(tag);
      if (item === undefined) return;
      this.#pending.delete(tag);
      settle(item);
      return;
    }
    for (const [t, item] of this.#pending) {
      if (t > tag) break;
      this.#pending.delete(t);
      settle(item);
    }
  }

  /** Iterates unconfirmed messages, oldest first, without removing them. */
  values(): IterableIterator<T> {
    return this.#pending.values();
  }

  /**
   * The channel is gone: returns every unconfirmed message, oldest first, and starts over at
   * tag 1 for the next channel.
   */
  takeAll(): T[] {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    this.#nextTag = 1;
    return all;
  }
}
