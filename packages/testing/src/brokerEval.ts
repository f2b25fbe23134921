import { localNode } from './localNode.js';
import { rabbitmqctl } from './rabbitmqctl.js';

/**
 * Evaluates an Erlang expression on the local broker node for what it does, such as
 * `application:set_env(rabbit, consumer_timeout, 1000)`: `rabbitmqctl eval`, through erl_call where
 * the node answers (localNode.ts), else rabbitmqctl itself. Rejects when it fails there.
 */
export async function brokerEval(expression: string): Promise<void> {
  const node = await localNode();
  const term = expression.trim().replace(/\.$/, '');
  if (node === undefined) await rabbitmqctl('eval', `${term}.`);
  else await node.json(`begin _ = (${term}), ok end`);
}
