import { redactUrl } from '@warren/core';
import * as amqp from 'amqplib';

export interface TestBroker {
  /** AMQP URL of the broker. */
  readonly url: string;
  /** Where it came from: AMQP_URL, a RabbitMQ on localhost, or a container Warren started. */
  readonly source: 'env' | 'local' | 'testcontainers';
  /** Stops the container if Warren started one; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface TestBrokerOptions {
  /** How long to wait for each candidate to answer. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Image for the Testcontainers fallback. */
  image?: string;
}

const LOCAL_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Finds a RabbitMQ to test against: AMQP_URL if set, else one on localhost:5672, else a
 * Testcontainers RabbitMQ where Docker runs, else an error saying how to get one.
 */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const timeout = options.connectTimeoutMs ?? 3000;
  const fromEnv = process.env.AMQP_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    const problem = await probe(fromEnv, timeout);
    if (problem !== undefined) throw new Error(`AMQP_URL is set to ${redactUrl(fromEnv)} but that broker does not answer: ${problem}`);
    return { url: fromEnv, source: 'env', stop: async () => undefined };
  }
  const localProblem = await probe(LOCAL_URL, timeout);
  if (localProblem === undefined) return { url: LOCAL_URL, source: 'local', stop: async () => undefined };

  let containerProblem: string;
  try {
    const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
    const container = await new RabbitMQContainer(options.image ?? 'rabbitmq:3.13-management').start();
    return { url: container.getAmqpUrl(), source: 'testcontainers', stop: async () => void (await container.stop()) };
  } catch (error) {
    containerProblem = (error as Error).message.split('\n')[0] ?? String(error);
  }
  throw new Error(
    [
      'no RabbitMQ to test against:',
      `  - AMQP_URL is not set;`,
      `  - nothing answers on ${LOCAL_URL} (${localProblem});`,
      `  - Testcontainers could not start one (${containerProblem}).`,
      'Get one with any of: `docker compose up -d` (this repo has a docker-compose.yml),',
      '`rabbitmq-server -detached` for a local install, or set AMQP_URL=amqp://user:pass@host:5672.',
    ].join('\n'),
  );
}

async function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const conn = await amqp.connect(url, { timeout: timeoutMs });
    await conn.close();
    return undefined;
  } catch (error) {
    const e = error as { code?: unknown; message?: string };
    return typeof e.code === 'string' ? e.code : (e.message ?? String(error));
  }
}
