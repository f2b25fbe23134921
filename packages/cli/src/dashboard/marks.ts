import {
  type AppEvents,
  type ConnectionEvents,
  type ConsumerState,
  type Disposable,
  type PublisherEvents,
  scrubSecrets,
  type TypedEvents,
} from '@warren/core';

/** What a mark on the charts says happened. */
export type MarkKind =
  | 'blocked'
  | 'unblocked'
  | 'disconnected'
  | 'reconnected'
  | 'breakerOpen'
  | 'breakerHalfOpen'
  | 'breakerClosed'
  | 'limitChanged'
  | 'interrupted'
  | 'paused'
  | 'resumed'
  | 'recovering'
  | 'isolating'
  | 'stopping'
  | 'stalled'
  | 'stallCleared'
  | 'downstreamFull'
  | 'downstreamRoom';

/** `bad`: intake or publishing stopped; `warn`: slowed or at risk; `good`: back to normal; `info`: a change. */
export type MarkSeverity = 'bad' | 'warn' | 'good' | 'info';

/** One back-pressure event, as the page draws it. */
export interface Mark {
  /** Its number, from 1; a mark sent again with the same id replaces the one before (a burst of limit moves). */
  id: number;
  /** ms since the epoch. */
  t: number;
  kind: MarkKind;
  severity: MarkSeverity;
  /** The consumers it concerns; null for the whole app (a connection, the publisher). */
  consumers: string[] | null;
  text: string;
}

export interface MarkSources {
  app: TypedEvents<AppEvents>;
  /** The app's two connections, for disconnects and reconnects (blocked/unblocked come through `app`). */
  connections: ReadonlyArray<{ role: string; events: TypedEvents<ConnectionEvents> }>;
  publisher: TypedEvents<PublisherEvents>;
  /** Who paused a consumer (its stats().pausedBy), read when it pauses. */
  pausedBy(consumer: string): readonly string[];
}

/** An adaptive limit can move ten times a second: moves of one consumer this close together make one mark. */
export const LIMIT_BURST_MS = 5000;

/**
 * Subscribes to the events that change what back-pressure does, and turns each into a mark
 * (`add`; `replaced` when it is a mark already added, updated). Only lifecycle events: nothing
 * here runs per message.
 */
export function subscribeMarks(
  sources: MarkSources,
  add: (mark: Mark, replaced: boolean) => void,
  now: () => number = Date.now,
): Disposable[] {
  let id = 0;
  const mark = (kind: MarkKind, severity: MarkSeverity, consumers: string[] | null, text: string): Mark => {
    // An error's text can quote a URL with its password: it never reaches the page.
    const m = { id: ++id, t: now(), kind, severity, consumers, text: scrubSecrets(text) };
    add(m, false);
    return m;
  };
  const bursts = new Map<string, { mark: Mark; from: number; moves: number; reasons: Set<string> }>();
  const limitMoved = (consumer: string, limit: number, previous: number, reason: string): void => {
    const burst = bursts.get(consumer);
    if (burst !== undefined && now() - burst.mark.t < LIMIT_BURST_MS) {
      burst.moves++;
      burst.reasons.add(reason);
      Object.assign(burst.mark, {
        severity: limit < burst.from ? 'warn' : 'info',
        text: `limit ${burst.from} → ${limit} (${burst.moves} moves: ${[...burst.reasons].join(', ')})`,
      });
      add(burst.mark, true);
      return;
    }
    const m = mark('limitChanged', limit < previous ? 'warn' : 'info', [consumer], `limit ${previous} → ${limit} (${reason})`);
    bursts.set(consumer, { mark: m, from: previous, moves: 1, reasons: new Set([reason]) });
  };
  const states = new Map<string, ConsumerState>();
  const e = sources.app;
  const subscriptions: Disposable[] = [
    e.on('blocked', (connection, reason) => mark('blocked', 'bad', null, `${connection} connection blocked by the broker: ${reason}`)),
    e.on('unblocked', (connection) => mark('unblocked', 'good', null, `${connection} connection unblocked`)),
    e.on('breakerOpen', (breaker, consumers, d) =>
      mark('breakerOpen', 'bad', consumers, `breaker ${breaker} open for ${d.openMs} ms: ${d.reason}${rate(d.failureRate)}`),
    ),
    e.on('breakerHalfOpen', (breaker, consumers, d) =>
      mark('breakerHalfOpen', 'warn', consumers, `breaker ${breaker} half-open: ${d.probes} probe(s)`),
    ),
    e.on('breakerClosed', (breaker, consumers) => mark('breakerClosed', 'good', consumers, `breaker ${breaker} closed`)),
    e.on('limitChanged', limitMoved),
    e.on('consumerInterrupted', (consumer, reason) => mark('interrupted', 'bad', [consumer], `channel lost: ${reason}`)),
    e.on('stalled', (consumer, ready) => mark('stalled', 'bad', [consumer], `stalled: nothing arrives while ${ready} ready`)),
    e.on('stallCleared', (consumer) => mark('stallCleared', 'good', [consumer], 'receiving again')),
    e.on('consumerState', (consumer, state) => {
      const previous = states.get(consumer);
      states.set(consumer, state);
      if (state === 'paused') {
        const by = sources.pausedBy(consumer);
        mark('paused', 'bad', [consumer], `intake paused${by.length > 0 ? ` by ${by.join(', ')}` : ''}`);
      } else if (state === 'recovering') mark('recovering', 'bad', [consumer], 'intake off: recovering its channel');
      else if (state === 'isolating') mark('isolating', 'warn', [consumer], 'intake off: running suspects one at a time');
      else if (state === 'stopping') mark('stopping', 'info', [consumer], 'stopping');
      else if (state === 'consuming' && previous !== undefined && previous !== 'starting')
        mark('resumed', 'good', [consumer], `intake on again (was ${previous})`);
    }),
    sources.publisher.on('downstream', (view) =>
      view.full
        ? mark(
            'downstreamFull',
            'warn',
            null,
            `${view.queue} at its mark (${view.ready ?? '?'} ready, mark ${view.mark}): publishes ${view.policy === 'wait' ? 'wait' : 'fail'}`,
          )
        : mark('downstreamRoom', 'good', null, `${view.queue} has room again (${view.ready ?? '?'} ready, mark ${view.mark})`),
    ),
  ];
  for (const c of sources.connections) {
    subscriptions.push(
      c.events.on('disconnected', (error) =>
        mark('disconnected', 'bad', null, `${c.role} connection lost${error === undefined ? '' : `: ${error.message}`}`),
      ),
      // The first connect is the start, not an event worth a mark.
      c.events.on('connected', (generation) => {
        if (generation > 1) mark('reconnected', 'good', null, `${c.role} connection back (connect #${generation})`);
      }),
    );
  }
  return subscriptions;
}

function rate(failureRate: number | undefined): string {
  return failureRate === undefined ? '' : ` (failure rate ${Math.round(failureRate * 100)} %)`;
}
