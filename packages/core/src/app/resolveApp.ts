import type { Container } from 'inversify';
import type { MessageHandler } from '../consumer/ConsumerRuntime.js';
import { getConsumerOptions } from '../decorators/Consumer.js';
import { ConfigError } from '../errors/WarrenError.js';
import { isPolicy } from '../middleware/createPolicies.js';
import type { Policy } from '../middleware/Middleware.js';
import { type ResolvedConsumerOptions, resolveConsumerOptions } from '../options/resolveConsumerOptions.js';
import type { AppDefinition, ConsumerClass } from './defineApp.js';

export interface ResolvedApp {
  appName: string;
  /** The consumers to run (all, or those `only` names), with their checked options. */
  consumers: Map<ConsumerClass, ResolvedConsumerOptions>;
  appPolicies: readonly Policy[];
}

/**
 * Checks an app definition and every consumer's options, before any connection opens: each
 * problem is a ConfigError naming the consumer and the option.
 */
export function resolveAppDefinition(
  definition: AppDefinition,
  options: { shutdownGraceMs?: number | undefined; only?: readonly string[] | undefined },
): ResolvedApp {
  const appName = definition.name ?? 'warren';
  const graceMs = options.shutdownGraceMs ?? definition.shutdownGraceMs;
  if (!Array.isArray(definition.consumers) || definition.consumers.length === 0) {
    throw new ConfigError('defineApp: "consumers" must list at least one @Consumer class');
  }
  const appPolicies = definition.use ?? [];
  if (!Array.isArray(appPolicies)) throw new ConfigError('defineApp: "use" must be an array of policies');
  appPolicies.forEach((policy, i) => {
    if (!isPolicy(policy)) {
      throw new ConfigError(
        `defineApp: use[${i}] must be a Middleware { name, run(ctx, next), describe() } or a factory (host) => Middleware`,
      );
    }
  });
  const defaults = resolveDefaults(definition.defaults);
  const consumers = new Map<ConsumerClass, ResolvedConsumerOptions>();
  const queues = new Map<string, string>();
  for (const cls of definition.consumers) {
    const raw = getConsumerOptions(cls);
    if (raw === undefined) throw new ConfigError(`defineApp: ${cls.name} is listed in "consumers" but has no @Consumer(...) decorator`);
    const opts = resolveConsumerOptions(cls.name, raw, graceMs === undefined ? defaults : { ...defaults, shutdownGraceMs: graceMs });
    const other = queues.get(opts.queue);
    if (other !== undefined) throw new ConfigError(`@Consumer ${cls.name}: queue "${opts.queue}" is already consumed by ${other}`);
    queues.set(opts.queue, cls.name);
    if (options.only === undefined || options.only.includes(cls.name) || options.only.includes(opts.name)) consumers.set(cls, opts);
  }
  if (consumers.size === 0) throw new ConfigError(`none of the app's consumers matches ${JSON.stringify(options.only)}`);
  return { appName, consumers, appPolicies };
}

/** `defineApp({ defaults })`, checked: each problem names `defaults.<option>`. */
function resolveDefaults(defaults: AppDefinition['defaults']): { queueType?: 'classic' | 'quorum' } {
  if (defaults === undefined) return {};
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults))
    throw new ConfigError('defineApp: "defaults" must be an object of consumer options, such as { queueType: \'quorum\' }');
  for (const key of Object.keys(defaults)) {
    if (key !== 'queueType') throw new ConfigError(`defineApp: "defaults.${key}" is not a known default (known: queueType)`);
  }
  const { queueType } = defaults;
  if (queueType !== undefined && queueType !== 'classic' && queueType !== 'quorum')
    throw new ConfigError(`defineApp: "defaults.queueType" must be 'classic' or 'quorum', got ${JSON.stringify(queueType)}`);
  return queueType === undefined ? {} : { queueType };
}

/** The app's instance of a consumer class, from the container (bound as a singleton if the app did not bind it). */
export function handlerOf(container: Container, cls: ConsumerClass): MessageHandler {
  if (!container.isBound(cls))
    container
      .bind(cls as unknown as new () => unknown)
      .toSelf()
      .inSingletonScope();
  let handler: MessageHandler;
  try {
    handler = container.get(cls as unknown as symbol) as MessageHandler;
  } catch (error) {
    const first = ((error as Error).message ?? String(error)).split('\n')[0];
    throw new ConfigError(`@Consumer ${cls.name}: cannot be created: ${first} (bind it in defineApp's configure)`, { cause: error });
  }
  if (typeof handler.handle !== 'function')
    throw new ConfigError(`@Consumer ${cls.name}: must extend Worker and implement handle(payload, ctx)`);
  return handler;
}
