/**
 * How a consumer changes its prefetch window while subscribed (docs/lifecycle.md, "A live
 * prefetch window"):
 *
 * - `global`: basic.qos with global=true on the consumer's own channel. RabbitMQ applies it to
 *   the consumers already on the channel (a per-consumer qos applies only to consumers started
 *   after it), on top of the per-consumer limit the subscription was made with: raised, the broker
 *   sends more at once; lowered, it sends nothing until the unacked count is below the new
 *   window. Exact, one round trip. RabbitMQ 3.x classic queues only: quorum queues ignore it, and
 *   a basic.consume of a quorum queue on a channel with it set closes the whole connection
 *   (540 NOT_IMPLEMENTED); RabbitMQ deprecated it in 2021 (`global_qos`) and newer brokers may deny it.
 * - `resubscribe`: basic.qos (per consumer), basic.cancel, basic.consume, on the same channel.
 *   Works on every queue type and broker. The cancelled subscription's deliveries stay valid
 *   (acked as usual) but no longer count against the new one, so until they are settled the
 *   broker may have the old and the new window unacked together.
 */
export type LivePrefetchMechanism = 'global' | 'resubscribe';

export function livePrefetchMechanism(
  broker: { readonly product?: string | undefined; readonly version?: string | undefined },
  queue: { readonly queueType: 'classic' | 'quorum'; readonly declare: boolean },
): LivePrefetchMechanism {
  const major = Number.parseInt(broker.version ?? '', 10);
  // Only a queue Warren declared is known to be classic: with declare false it may be anything.
  const classic = queue.queueType === 'classic' && queue.declare;
  return broker.product === 'RabbitMQ' && major === 3 && classic ? 'global' : 'resubscribe';
}
