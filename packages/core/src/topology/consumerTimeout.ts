import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import type { BrokerAddress } from '../connection/brokerUrl.js';

/** RabbitMQ's documented default delivery-acknowledgement timeout: 30 minutes. */
export const DEFAULT_CONSUMER_TIMEOUT_MS = 1_800_000;

export interface EffectiveConsumerTimeout {
  /** The broker's consumer_timeout in ms; undefined when the broker has none. */
  ms: number | undefined;
  source: 'option' | 'rabbitmqctl' | 'assumed-default';
}

/**
 * The broker's `consumer_timeout`: the time after which it closes a channel (requeueing all its
 * unacked messages) because one delivery was not acked. AMQP does not expose it, so Warren
 * takes it from the app's option, else asks `rabbitmqctl` when the broker runs on this
 * machine, else assumes the documented default.
 */
export async function readBrokerConsumerTimeout(address: BrokerAddress, explicitMs?: number): Promise<EffectiveConsumerTimeout> {
  if (explicitMs !== undefined) return { ms: explicitMs > 0 ? explicitMs : undefined, source: 'option' };
  if (isLoopback(address.hostname)) {
    const fromCtl = await askRabbitmqctl();
    if (fromCtl !== null) return { ms: fromCtl, source: 'rabbitmqctl' };
  }
  return { ms: DEFAULT_CONSUMER_TIMEOUT_MS, source: 'assumed-default' };
}

/** A broker on this machine: one `rabbitmqctl` here can speak to. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** null: could not ask; undefined: the broker has no consumer_timeout set. */
function askRabbitmqctl(): Promise<number | undefined | null> {
  return new Promise((resolve) => {
    execFile('rabbitmqctl', ['-q', 'eval', 'application:get_env(rabbit, consumer_timeout).'], { timeout: 10_000 }, (error, stdout) => {
      if (error !== null) return resolve(null);
      resolve(parseGetEnv(stdout));
    });
  });
}

/** Reads `{ok,1800000}` / `undefined` as printed by `application:get_env`. */
export function parseGetEnv(output: string): number | undefined | null {
  const text = output.trim();
  if (text === 'undefined' || text === '{ok,false}' || text === '{ok,infinity}') return undefined;
  const m = /^\{ok,(\d+)\}$/.exec(text);
  return m === null ? null : Number(m[1]);
}
