import type { Command } from 'commander';
import { addBrokerOptions } from '../broker/brokerOptions.js';
import { checkCommand } from './check.js';
import { statusCommand } from './status.js';
import { topologyCommand } from './topology.js';

/** `warren check|topology|status <app-module>`: what an operator asks of an app's queues, with the flags of `warren start`. */
export function registerOperatorCommands(program: Command): void {
  const common = (command: Command): Command =>
    addBrokerOptions(command.argument('<app-module>', 'compiled app module, e.g. ./dist/app.js'))
      .option('--only <consumers>', 'only these consumers (comma-separated class names)')
      .option('--json', 'print one JSON object');

  common(
    program
      .command('check')
      .description(
        "check the app's options, the broker connection and permissions, and that every queue, exchange and binding it declares exists as declared (changes nothing; exit 4 on a difference)",
      ),
  ).action(checkCommand);

  common(
    program
      .command('topology')
      .description('print every exchange, queue (work, retry, dead-letter) and binding the app declares; --apply declares them'),
  )
    .option('--apply', 'declare what is missing (idempotent; what differs is left as it is, exit 4)')
    .action(topologyCommand);

  common(program.command('status').description('per queue of the app: ready, unacked, consumers, net rate, retrying and dead letters'))
    .option('--sample <ms>', 'time between the two samples the rate is taken from (0: no rate)', '1000')
    .action(statusCommand);
}
