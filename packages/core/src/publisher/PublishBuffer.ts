/** What the buffer needs to know about an item to keep its byte bound. */
export interface Sized {
  readonly bytes: number;
}

/**
 * A FIFO of publishes waiting to be written (window full, write buffer full, broker blocked or
 * connection down), bounded by message count and by bytes. An item that does not fit is the
 * caller's to reject: the buffer never grows past its bounds.
 *
 * An array with a moving head: shift() is O(1) amortised (Array#shift is O(n) on large arrays),
 * and the dead prefix is cut off once it is half the array.
 */
export class PublishBuffer<T extends Sized> {
  readonly maxMessages: number;
  readonly maxBytes: number;
  #items: Array<T | undefined> = [];
  #head = 0;
  #bytes = 0;

  constructor(maxMessages: number, maxBytes: number) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether an item of `bytes` can be accepted now without passing either bound. */
  fits(bytes: number): boolean {
    return this.length < this.maxMessages && this.#bytes + bytes <= this.maxBytes;
  }

  /** Appends; the caller checked fits(). */
  push(item: T): void {
    this.#items.push(item);
    this.#bytes += item.bytes;
  }

  /**
   * Puts an item back at the front, bypassing the bounds: used for messages already accepted
   * (a write that could not happen, or an unconfirmed message to re-send), which are never dropped.
   */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
    this.#bytes += item.bytes;
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = undefined;
    this.#bytes -= item.bytes;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes (keeping order of the rest) every item `expired` selects, handing each to `onRemoved`. */
  removeWhere(expired: (item: T) => boolean, onRemoved: (item: T) => void): number {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (expired(item)) removed.push(item);
      else kept.push(item);
    }
    if (removed.length === 0) return 0;
    this.#items = kept;
    this.#head = 0;
    for (const item of removed) this.#bytes -= item.bytes;
    // Callbacks run after the buffer is consistent, so one may safely push or shift.
    for (const item of removed) onRemoved(item);
    return removed.length;
  }

  /** Empties the buffer and returns what it held, oldest first. */
  takeAll(): T[] {
    const all = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }
}
