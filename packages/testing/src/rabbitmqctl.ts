import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * rabbitmqctl is not on the PATH: the helpers that drive the broker node directly
 * (`rabbitmqctl`, `queueCounts`, `withMemoryAlarm`, `closeConnectionsNamed`) need a local
 * RabbitMQ install, not only an AMQP URL. `cause` is the spawn error (code ENOENT).
 */
export class RabbitmqctlNotFoundError extends Error {
  override readonly name = 'RabbitmqctlNotFoundError';
  constructor(args: readonly string[], cause: unknown) {
    super(
      `rabbitmqctl is not on the PATH (needed for \`rabbitmqctl ${args.join(' ')}\`): this helper works only with a local RabbitMQ install`,
      {
        cause,
      },
    );
  }
}

/** Runs `rabbitmqctl -q <args>` against the local broker node and returns its stdout. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  try {
    return (await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 })).stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RabbitmqctlNotFoundError(args, error);
    throw error;
  }
}
