import { ConfigError, createPublisher, inspectDeadLetters, purgeDeadLetters, replayDeadLetters } from '@warren/core';
import type { Command } from 'commander';
import { addBrokerOptions, type BrokerFlags, operatorBroker } from '../broker/brokerOptions.js';
import { adminConnection } from './adminConnection.js';

interface CommonOptions extends BrokerFlags {
  json?: boolean;
}

function wholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${flag} must be a positive number, got "${text}"`);
  return n;
}

/** `warren dlq list|replay|purge <queue>`: look at, move back, or delete a consumer's dead letters. */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description("operate a consumer queue's dead letters (<queue>.dlq)");

  addBrokerOptions(
    dlq
      .command('list')
      .description('count the dead letters and show the reasons of the newest ones (moves nothing)')
      .argument('<queue>', 'the work queue (its DLQ is <queue>.dlq)'),
  )
    .option('--last <n>', 'how many of the newest to show', '10')
    .option('--json', 'print JSON')
    .action(async (queue: string, opts: CommonOptions & { last: string }) => {
      const broker = operatorBroker(opts);
      const connection = await adminConnection(broker);
      try {
        const summary = await inspectDeadLetters(connection, queue, wholeNumber('--last', opts.last) ?? 10);
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify(summary)}\n`);
          return;
        }
        process.stdout.write(`${summary.deadLetterQueue}: ${summary.count} message(s)\n`);
        for (const m of summary.recent) {
          const why = m.reason ?? (m.brokerReason !== undefined ? `broker: ${m.brokerReason}` : 'unknown');
          const err = m.error === undefined ? '' : ` ${m.error}: ${m.errorMessage ?? ''}`;
          process.stdout.write(
            `  ${m.deadLetteredAt ?? '-'}  ${m.messageId ?? '(no id)'}  ${why} after ${m.attempt ?? '?'} attempt(s)${err}\n`,
          );
        }
      } finally {
        await connection.close();
      }
    });

  addBrokerOptions(
    dlq
      .command('replay')
      .description('move dead letters back to the work queue (confirmed, attempt count reset; safe to interrupt)')
      .argument('<queue>', 'the work queue'),
  )
    .option('--limit <n>', 'move at most n messages')
    .option('--rate <r>', 'at most r messages per second')
    .option('--json', 'print JSON')
    .action(async (queue: string, opts: CommonOptions & { limit?: string; rate?: string }) => {
      const limit = wholeNumber('--limit', opts.limit);
      const ratePerSec = wholeNumber('--rate', opts.rate);
      const broker = operatorBroker(opts);
      const connection = await adminConnection(broker);
      const publisher = await createPublisher({ urls: broker.urls, tls: broker.tls, appName: 'warren-cli' });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await replayDeadLetters(connection, publisher, queue, {
          signal: stop.signal,
          ...(limit === undefined ? {} : { limit }),
          ...(ratePerSec === undefined ? {} : { ratePerSec }),
        });
        if (opts.json === true) process.stdout.write(`${JSON.stringify({ queue, ...result, interrupted: stop.signal.aborted })}\n`);
        else
          process.stdout.write(
            `moved ${result.moved} message(s) back to ${queue}; ${result.remaining} left in ${queue}.dlq${stop.signal.aborted ? ' (interrupted)' : ''}\n`,
          );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await publisher.close();
        await connection.close();
      }
    });

  addBrokerOptions(
    dlq.command('purge').description('delete every dead letter of a queue (needs --yes)').argument('<queue>', 'the work queue'),
  )
    .option('--yes', 'really delete them')
    .action(async (queue: string, opts: CommonOptions & { yes?: boolean }) => {
      if (opts.yes !== true) throw new ConfigError(`this deletes every message in ${queue}.dlq for good: run again with --yes`);
      const broker = operatorBroker(opts);
      const connection = await adminConnection(broker);
      try {
        const n = await purgeDeadLetters(connection, queue);
        process.stdout.write(`purged ${n} message(s) from ${queue}.dlq\n`);
      } finally {
        await connection.close();
      }
    });
}
