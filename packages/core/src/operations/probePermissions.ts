import type { Channel } from 'amqplib';
import type { ConnectionManager } from '../connection/ConnectionManager.js';
import { isRefusal, onOwnChannel, type Refusal } from './brokerReplies.js';
import { DEFAULT_EXCHANGE, type PermissionNeed } from './permissionNeeds.js';

/** A need, as the broker answered for the user this connection logs in as. */
export interface PermissionVerdict extends PermissionNeed {
  /** granted, refused, or unknown (not probed, with `note` saying why). */
  verdict: 'granted' | 'refused' | 'unknown';
  note?: string;
}

/** A routing key no binding has: unbinding it changes nothing, whatever the answer. */
const PROBE_KEY = 'warren.permission-probe.no-such-binding';

/**
 * Asks the broker, need by need, whether the user may, without changing anything. RabbitMQ
 * checks permissions in a fixed order before it acts, and an unbind of a binding that does not
 * exist is a no-op, so: write on X is `exchange.unbind(X, '')` (write on the destination is
 * checked first; granted, the broker then refuses the default exchange as source instead); write
 * on a queue is `queue.unbind(Q, '')` likewise; read on an exchange is `queue.unbind(Q, X)` with a
 * bound queue Q; read on a queue is a consume cancelled at once, on an empty queue (or, with
 * consumers on it, an exclusive consume, refused as "in exclusive use" when read is granted), so
 * no message is taken; a queue holding messages with no consumer is left unknown. Configure is
 * what the topology check's declares proved (`configureRefused`, resources the declares were
 * refused on); pattern needs (server-named queues) stay unknown.
 * Refusals name only the resource (RabbitMQ 3.x: "access to queue 'q' ... refused for user 'u'").
 */
export async function probePermissions(
  connection: ConnectionManager,
  needs: readonly PermissionNeed[],
  configureRefused: ReadonlySet<string>,
  declaresRan: boolean,
): Promise<PermissionVerdict[]> {
  const verdicts: PermissionVerdict[] = [];
  for (const need of needs) {
    verdicts.push({ ...need, ...(await probe(connection, need, needs, configureRefused, declaresRan)) });
  }
  return verdicts;
}

type Answer = Pick<PermissionVerdict, 'verdict' | 'note'>;

async function probe(
  connection: ConnectionManager,
  need: PermissionNeed,
  needs: readonly PermissionNeed[],
  configureRefused: ReadonlySet<string>,
  declaresRan: boolean,
): Promise<Answer> {
  if (need.pattern) return { verdict: 'unknown', note: 'a pattern (server-named queues): not probed' };
  if (need.permission === 'configure') {
    if (!declaresRan) return { verdict: 'unknown', note: 'the declares did not run' };
    return { verdict: configureRefused.has(`${need.kind} ${need.name}`) ? 'refused' : 'granted' };
  }
  const refusedOn = (answer: unknown, kind: string, name: string): boolean =>
    isRefusal(answer) && answer.code === 403 && answer.text.includes(`access to ${kind} '${name}'`);
  if (need.permission === 'write') {
    const target = need.kind === 'exchange' && need.name === DEFAULT_EXCHANGE ? '' : need.name;
    const answer = await onOwnChannel(connection, (ch) =>
      need.kind === 'exchange' ? ch.unbindExchange(target, '', PROBE_KEY) : ch.unbindQueue(target, '', PROBE_KEY),
    );
    if (refusedOn(answer, need.kind, need.name)) return { verdict: 'refused' };
    return isRefusal(answer) && answer.code === 404 ? { verdict: 'unknown', note: answer.text } : { verdict: 'granted' };
  }
  if (need.kind === 'exchange') {
    const bound = needs.find((n) => n.permission === 'write' && n.kind === 'queue' && n.why.startsWith(`bound to ${need.name} `));
    if (bound === undefined) return { verdict: 'unknown', note: 'no bound queue to probe it with' };
    const answer = await onOwnChannel(connection, (ch) => ch.unbindQueue(bound.name, need.name, PROBE_KEY));
    if (refusedOn(answer, 'exchange', need.name)) return { verdict: 'refused' };
    if (refusedOn(answer, 'queue', bound.name))
      return { verdict: 'unknown', note: `write on ${bound.name} is refused, which is checked first` };
    return isRefusal(answer) && answer.code !== 403 ? { verdict: 'unknown', note: answer.text } : { verdict: 'granted' };
  }
  return probeQueueRead(connection, need.name);
}

async function probeQueueRead(connection: ConnectionManager, queue: string): Promise<Answer> {
  const state = await onOwnChannel(connection, (ch) => ch.checkQueue(queue));
  if (isRefusal(state)) return { verdict: 'unknown', note: state.text };
  if (state.consumerCount === 0 && state.messageCount > 0) {
    return {
      verdict: 'unknown',
      note: `not probed: it holds ${state.messageCount} message(s) and no consumer, so a consume could take one`,
    };
  }
  const exclusive = state.consumerCount > 0;
  const answer: unknown = await onOwnChannel(connection, async (ch: Channel) => {
    await ch.prefetch(1);
    const { consumerTag } = await ch.consume(queue, () => undefined, { exclusive });
    await ch.cancel(consumerTag);
  });
  if (isRefusal(answer) && answer.text.includes(`access to queue '${queue}'`)) return { verdict: 'refused' };
  if (isRefusal(answer) && !/exclusive use/.test((answer as Refusal).text)) return { verdict: 'unknown', note: (answer as Refusal).text };
  return { verdict: 'granted' };
}
