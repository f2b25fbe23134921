/**
 * The messageIds of the last acks sent on the current channel. When a channel dies, its last acks
 * may not have reached the broker, which then redelivers those messages (a quorum queue counting
 * one more delivery). Remembered as handled here, they come back as attempts this process survived
 * rather than as suspects to be run alone, one at a time: without it, every node loss set off a
 * round of isolation per lost ack. A fixed ring of the ids (strings the message already holds, so
 * no body is kept alive): one slot write per ack, nothing allocated. A message without a
 * messageId is not kept (Warren's publisher always sets one).
 */
export class RecentAcks {
  readonly #ring: Array<string | undefined>;
  #next = 0;

  constructor(size: number) {
    this.#ring = new Array(Math.max(1, size)).fill(undefined);
  }

  add(messageId: string | undefined): void {
    this.#ring[this.#next] = messageId;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** The messageIds held, oldest first, and forgets them. */
  take(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#ring.length; i++) {
      const at = (this.#next + i) % this.#ring.length;
      const id = this.#ring[at];
      if (id !== undefined && id !== '') out.push(id);
      this.#ring[at] = undefined;
    }
    return out;
  }
}
