#!/usr/bin/env node
import 'reflect-metadata';
import { WarrenError } from '@warren/core';
import { Command } from 'commander';
import { addBrokerOptions } from './broker/brokerOptions.js';
import { registerDlqCommands } from './commands/dlq.js';
import { registerOperatorCommands } from './commands/operator.js';
import { startCommand } from './commands/start.js';
import { exitCodes } from './exitCodes.js';

const program = new Command('warren')
  .description('Run Warren apps (RabbitMQ workers with back-pressure) and operate their queues.')
  .addHelpText(
    'after',
    `
Broker URL: --url or --url-file, else WARREN_URL, WARREN_URL_FILE, AMQP_URL, else amqp://guest:guest@127.0.0.1:5672.
TLS (amqps://): --tls-ca, --tls-cert, --tls-key, --tls-passphrase-file (or WARREN_TLS_*); see docs/security.md.
Several brokers: a comma-separated list; Warren fails over in order.
Exit codes: 0 ok; 1 broker unreachable or login refused; 2 bad option or app module;
3 stopped with unsettled work (it returns to the queue); 4 check or topology --apply: the broker's
topology differs from the app's; 130 second signal.`,
  );

// A usage mistake (unknown option or command, missing argument) is a bad option: exit 2, not
// commander's 1 (which here means "broker unreachable"). Set before the commands: they inherit it.
program.exitOverride((error) => {
  process.exit(error.exitCode === 0 ? exitCodes.ok : exitCodes.config);
});

addBrokerOptions(
  program
    .command('start')
    .description('run an app: the default export of <app-module>, made with defineApp()')
    .argument('<app-module>', 'compiled app module, e.g. ./dist/app.js'),
)
  .option('--grace <ms>', 'grace period for in-flight handlers at shutdown')
  .option('--heartbeat <s>', 'AMQP heartbeat in seconds (default 10)')
  .option('--only <consumers>', 'run only these consumers (comma-separated class names)')
  .option(
    '--http-port <port>',
    'the operations port: the dashboard at /, /metrics, /health, /health/live, /health/ready (env WARREN_HTTP_PORT)',
  )
  .option('--health-port <port>', 'the old name of --http-port')
  .option('--http-host <address>', 'where the operations port listens (default 127.0.0.1: this machine only)')
  .option('--log-level <level>', 'fatal, error, warn, info (default), debug (a line per message), trace or silent (env WARREN_LOG_LEVEL)')
  .action(startCommand);

registerDlqCommands(program);
registerOperatorCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  // One line a person can act on; no stack trace for errors Warren explains itself.
  if (WarrenError.is(error)) {
    process.stderr.write(`warren: ${error.message}\n`);
    process.exit(
      error.code === 'WARREN_ERR_CONFIG' || error.code === 'WARREN_ERR_BAD_URL' || error.code === 'WARREN_ERR_TOPOLOGY'
        ? exitCodes.config
        : exitCodes.connection,
    );
  }
  process.stderr.write(`warren: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.WARREN_DEBUG !== undefined && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(exitCodes.config);
});
