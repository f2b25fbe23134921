/**
 * What integration tests need from the shared local RabbitMQ: its URL, unique names, a raw
 * amqplib connection for setting up and checking (never to stand in for Warren), rabbitmqctl
 * for real faults, and cleanup. Every test deletes what it declared.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';

const run = promisify(execFile);

export const BROKER_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A name no other test (or later session) uses: `t.<label>.<random>`. */
export function uniqueName(label: string): string {
  return `t.${label}.${randomUUID().slice(0, 8)}`;
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

/** Queue counters as the broker reports them. */
export async function queueCounts(queue: string): Promise<{ ready: number; unacked: number; consumers: number }> {
  const out = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--no-table-headers');
  for (const line of out.split('\n')) {
    const [name, ready, unacked, consumers] = line.trim().split(/\s+/);
    if (name === queue) return { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) };
  }
  throw new Error(`queue ${queue} not found`);
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes (then throws `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A raw amqplib connection for test setup and inspection, remembering every queue and exchange
 * name registered with `track()` so `cleanup()` deletes them.
 */
export class Admin {
  readonly #names = { queues: new Set<string>(), exchanges: new Set<string>() };
  private constructor(
    readonly connection: amqp.ChannelModel,
    readonly channel: amqp.ConfirmChannel,
  ) {}

  static async open(url = BROKER_URL): Promise<Admin> {
    const connection = await amqp.connect(url, { clientProperties: { connection_name: 'warren-test-admin' } });
    const channel = await connection.createConfirmChannel();
    return new Admin(connection, channel);
  }

  /** Registers queue names (and, by default, Warren's derived .dlq and .retry.* names) for cleanup. */
  trackQueue(...names: string[]): void {
    for (const n of names) this.#names.queues.add(n);
  }

  trackExchange(...names: string[]): void {
    for (const n of names) this.#names.exchanges.add(n);
  }

  /** Number of ready messages, via a passive declare. */
  async depth(queue: string): Promise<number> {
    const ch = await this.connection.createChannel();
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async queueExists(queue: string): Promise<boolean> {
    const ch = await this.connection.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(queue);
      await ch.close();
      return true;
    } catch {
      return false;
    }
  }

  /** Publishes with confirms and waits for them. */
  async sendMany(queue: string, bodies: Array<Buffer | object>, options: amqp.Options.Publish = {}): Promise<void> {
    for (const body of bodies) {
      const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const props = Buffer.isBuffer(body) ? options : { contentType: 'application/json', ...options };
      if (!this.channel.sendToQueue(queue, content, { persistent: true, ...props })) {
        await new Promise((r) => this.channel.once('drain', r));
      }
    }
    await this.channel.waitForConfirms();
  }

  /** Takes every ready message off a queue (acking them) and returns them. */
  async drain(queue: string): Promise<amqp.GetMessage[]> {
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await this.channel.get(queue, { noAck: true });
      if (m === false) return out;
      out.push(m);
    }
  }

  /** Deletes every queue (and the Warren queues derived from it) and exchange this test registered. */
  async cleanup(): Promise<void> {
    const ch = await this.connection.createChannel();
    ch.on('error', () => undefined);
    const derived = await listQueuesWithPrefix([...this.#names.queues]);
    for (const q of new Set([...this.#names.queues, ...derived])) await ch.deleteQueue(q).catch(() => undefined);
    for (const e of this.#names.exchanges) await ch.deleteExchange(e).catch(() => undefined);
    await ch.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}

async function listQueuesWithPrefix(prefixes: string[]): Promise<string[]> {
  if (prefixes.length === 0) return [];
  const out = await rabbitmqctl('list_queues', 'name', '--no-table-headers');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((name) => prefixes.some((p) => name.startsWith(`${p}.`)));
}

/** Sets a broker memory alarm, runs `fn`, and always clears the alarm. */
export async function withMemoryAlarm<T>(fn: () => Promise<T>): Promise<T> {
  await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
  try {
    return await fn();
  } finally {
    await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
  }
}

/** Closes (server side, 320 CONNECTION_FORCED) only the connections whose client-provided name starts with `prefix`. */
export async function closeConnectionsNamed(prefix: string, reason = 'test'): Promise<number> {
  // JSON gives client properties but a pid close_connection will not parse; the table gives the pid. Join on peer port.
  const rows = JSON.parse(await rabbitmqctl('list_connections', 'peer_port', 'client_properties', '--formatter', 'json')) as Array<{
    peer_port: number;
    client_properties: Array<[string, string, unknown]>;
  }>;
  const pidByPort = new Map<number, string>();
  for (const line of (await rabbitmqctl('list_connections', 'pid', 'peer_port', '--no-table-headers')).split('\n')) {
    const [pid, port] = line.trim().split(/\s+/);
    if (pid !== undefined && port !== undefined) pidByPort.set(Number(port), pid);
  }
  let closed = 0;
  for (const row of rows) {
    const name = row.client_properties.find(([k]) => k === 'connection_name')?.[2];
    const pid = pidByPort.get(row.peer_port);
    if (typeof name === 'string' && name.startsWith(prefix) && pid !== undefined) {
      await rabbitmqctl('close_connection', pid, reason);
      closed++;
    }
  }
  return closed;
}
