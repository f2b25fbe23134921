/**
 * The local three-node cluster the cluster tests run on (scripts/cluster.sh): its nodes and URLs,
 * the nodes' RabbitMQ application stopped and started, queues, consumers and connections as the
 * broker has them, and clean-up. `npm run test:cluster` starts the cluster, runs
 * test/dist/cluster/*.cluster.js with WARREN_CLUSTER_URLS set, and stops it; after
 * `scripts/cluster.sh up` a file runs on its own too. Without a cluster, CLUSTER_SKIP says why.
 *
 * The nodes are driven through erl_call (Erlang's erl_interface), not rabbitmqctl: each rabbitmqctl
 * call boots an Erlang VM of its own, 5-10 s on two busy cores, where erl_call answers in ~50 ms.
 * The calls are the ones rabbitmqctl makes: `stop_app` is rabbit:stop(), `start_app` rabbit:start().
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterQueueName } from '@warren/core';
import { BrokerAdmin, CONNECTION_NAME_ERL, runErlCall, waitFor } from '@warren/testing';
import { textSoFar } from './cli.js';

export interface ClusterNode {
  /** warren-c1@localhost */
  readonly name: string;
  readonly url: string;
  readonly port: number;
}

/** What cluster.sh up wrote beside the nodes: the erl_call binary, and the home whose Erlang cookie the nodes share. */
interface Control {
  erlCall: string;
  cookieHome: string;
  nodes: string[];
}

const base = process.env.WARREN_CLUSTER_DIR ?? join(process.env.TMPDIR ?? tmpdir(), 'warren-cluster');

function readFile(name: string): string | undefined {
  const file = join(base, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

const urls = process.env.WARREN_CLUSTER_URLS?.trim() || readFile('urls');
const control = ((): Control | undefined => {
  try {
    return JSON.parse(readFile('control.json') ?? '') as Control;
  } catch {
    return undefined;
  }
})();

/** The nodes, in order; empty without a cluster. cluster.sh gives node n the port 5680 + n. */
export const NODES: readonly ClusterNode[] =
  control === undefined
    ? []
    : (urls ?? '')
        .split(',')
        .filter((u) => u !== '')
        .map((url, i) => ({ name: control.nodes[i] ?? '', url, port: Number(new URL(url).port) }));

/** Why the cluster tests skip, or false when a cluster is there. */
export const CLUSTER_SKIP: string | false =
  NODES.length >= 3 && NODES.every((n) => n.name !== '')
    ? false
    : `no local cluster (no ${join(base, 'control.json')}): \`npm run test:cluster\` starts one (scripts/cluster.sh up), runs these tests and stops it`;

export function node(n: 1 | 2 | 3): ClusterNode {
  return NODES[n - 1] as ClusterNode;
}

/**
 * Evaluates an Erlang expression on a node and returns its value as erl_call prints it. The cookie
 * is read from $HOME/.erlang.cookie by erl_call itself, so it is never on a command line.
 */
export async function erl(on: ClusterNode, expression: string, timeoutMs = 60_000): Promise<string> {
  if (control === undefined) throw new Error(String(CLUSTER_SKIP));
  const { erlCall, cookieHome } = control;
  const input = `${expression.trim().replace(/\.$/, '')}.\n`;
  const { code, signal, out, err } = await runErlCall(erlCall, ['-sname', on.name, '-e'], { home: cookieHome, input, timeoutMs });
  // `{ok, Value}`, or `{error, Reason}` when the expression failed on the node.
  const value = /^\{ok, ([\s\S]*)\}\s*$/.exec(out)?.[1];
  if (code === 0 && value !== undefined) return value;
  throw new Error(`erl_call on ${on.name} (${signal ?? `exit ${code}`}): ${(out + err).trim().slice(0, 500)} -- for: ${expression}`);
}

/** An expression whose value is rabbit_json:encode(Term), as a list, parsed. */
async function erlJson<T>(on: ClusterNode, term: string): Promise<T> {
  const printed = await erl(on, `binary_to_list(rabbit_json:encode(${term}))`);
  // Printed as a string in quotes; the JSON inside is not escaped.
  return JSON.parse(printed.slice(printed.indexOf('"') + 1, printed.lastIndexOf('"'))) as T;
}

/**
 * `Fun` (an expression of a fun of no arguments returning a list) run on every running node, the
 * lists joined: a quorum queue's counts and consumers are known on its leader's node only.
 */
const onEveryNode = (fun: string): string =>
  `lists:append([case rpc:call(N, erlang, apply, [${fun}, []], 10000) of L when is_list(L) -> L; _ -> [] end || N <- rabbit_nodes:all_running()])`;

/** The first node that answers `ask`, from `from` or else all of them in order. */
async function fromAnyNode<T>(ask: (n: ClusterNode) => Promise<T>, from?: ClusterNode): Promise<T> {
  let lastError: unknown;
  for (const n of from === undefined ? NODES : [from]) {
    try {
      return await ask(n);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Stops the RabbitMQ application on a node, as `rabbitmqctl stop_app` does (the Erlang node stays up). */
export async function stopApp(on: ClusterNode): Promise<void> {
  await erl(on, 'ok = rabbit:stop()', 120_000);
}

/** Starts it again and waits until it has booted, as `rabbitmqctl start_app` and `await_startup` do. */
export async function startApp(on: ClusterNode): Promise<void> {
  await erl(on, 'ok = rabbit:start(), ok = rabbit:await_startup()', 120_000);
}

export async function isRunning(on: ClusterNode): Promise<boolean> {
  return (await erl(on, 'rabbit:is_running()').catch(() => 'false')) === 'true';
}

/** Makes sure every node's application runs (a test that failed between stop_app and start_app leaves one down). */
export async function everyNodeRunning(): Promise<void> {
  for (const n of NODES) if (!(await isRunning(n))) await startApp(n);
}

export interface QueueInfo {
  name: string;
  type: string;
  leader: string;
  members: string[];
  online: string[];
  ready: number;
  unacked: number;
}

const QUEUE_ITEMS = 'name, type, leader, members, online, messages_ready, messages_unacknowledged';

/** Every queue the cluster has, with counts from each queue's own node (as rabbitmqctl list_queues gathers them). */
export async function listQueues(from?: ClusterNode): Promise<QueueInfo[]> {
  // A resource record's name, and anything else JSON cannot carry as text.
  const value =
    'fun({resource, _, _, Name}) -> Name; (V) when is_atom(V); is_binary(V); is_integer(V); is_list(V) -> V; ' +
    '(V) -> iolist_to_binary(io_lib:format("~p", [V])) end';
  const local =
    `fun() -> F = ${value}, [maps:from_list([{K, F(V)} || {K, V} <- rabbit_amqqueue:info(Q, [${QUEUE_ITEMS}])]) ` +
    '|| Q <- rabbit_amqqueue:list_local(<<"/">>)] end';
  const rows = await fromAnyNode((n) => erlJson<Array<Record<string, unknown>>>(n, onEveryNode(local)), from);
  return rows.map((q) => ({
    name: String(q.name),
    type: String(q.type),
    leader: typeof q.leader === 'string' ? q.leader : '',
    members: Array.isArray(q.members) ? (q.members as string[]) : [],
    online: Array.isArray(q.online) ? (q.online as string[]) : [],
    ready: Number(q.messages_ready ?? 0),
    unacked: Number(q.messages_unacknowledged ?? 0),
  }));
}

export async function queueInfo(queue: string): Promise<QueueInfo> {
  // A listing gathers each queue from its leader's node: a queue just declared, or whose leader is
  // moving, can be missing from one listing. Asked again for up to 10 s before it counts as gone.
  const until = Date.now() + 10_000;
  for (;;) {
    const found = (await listQueues()).find((q) => q.name === queue);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`queue ${queue} not found on the cluster`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The queue's consumers, as the broker sees them: `active` false for a single active consumer's waiting ones. */
export async function consumersOf(queue: string): Promise<Array<{ active: boolean; status: string }>> {
  // rabbit_amqqueue:consumers/1 rows: {ChPid, Tag, AckRequired, Prefetch, Active, ActivityStatus, Args, User}.
  const local =
    'fun() -> lists:append([[#{active => element(5, C), status => element(6, C)} || C <- rabbit_amqqueue:consumers(Q)] ' +
    `|| Q <- rabbit_amqqueue:list_local(<<"/">>), element(4, amqqueue:get_name(Q)) =:= <<${JSON.stringify(queue)}>>]) end`;
  return fromAnyNode((n) => erlJson<Array<{ active: boolean; status: string }>>(n, onEveryNode(local)));
}

/** Every client connection on the cluster: the node's AMQP port it is on, and its connection_name ('' when it has none yet). */
export async function connections(): Promise<Array<{ port: number; name: string }>> {
  const term =
    `[#{port => proplists:get_value(port, I), name => (${CONNECTION_NAME_ERL})(proplists:get_value(client_properties, I))} ` +
    // One that closes between the listing and the question is passed over, not an error.
    '|| C <- rabbit_networking:connections(), I <- [try rabbit_networking:connection_info(C, [port, client_properties]) catch _:_ -> none end], is_list(I)]';
  return fromAnyNode((n) => erlJson<Array<{ port: number; name: string }>>(n, term));
}

/** The node whose name the queue's leader has. */
export async function leaderOf(queue: string): Promise<ClusterNode> {
  const { leader } = await queueInfo(queue);
  const found = NODES.find((n) => n.name === leader);
  if (found === undefined) throw new Error(`queue ${queue} has leader "${leader}", not one of the cluster's nodes`);
  return found;
}

/** Waits until the queue has nothing ready and nothing unacked, and returns its DLQ's depth. */
export async function settled(queue: string, timeoutMs = 30_000): Promise<{ ready: number; unacked: number; dlq: number }> {
  let last: QueueInfo | undefined;
  let dlq: QueueInfo | undefined;
  try {
    await waitFor(
      `queue ${queue} at 0 ready / 0 unacked, its DLQ listed`,
      async () => {
        // A quorum queue is missing from the lists for a moment while its leader moves: ask again.
        const all = await listQueues().catch(() => []);
        last = all.find((q) => q.name === queue);
        dlq = all.find((q) => q.name === deadLetterQueueName(queue));
        return last !== undefined && dlq !== undefined && last.ready === 0 && last.unacked === 0;
      },
      timeoutMs,
      250,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last: ${JSON.stringify(last)}, dlq ${JSON.stringify(dlq)})`);
  }
  return { ready: last?.ready ?? 0, unacked: last?.unacked ?? 0, dlq: (dlq?.ready ?? 0) + (dlq?.unacked ?? 0) };
}

/** Deletes `queues` with their DLQs and `.retry.<ms>` queues, through the first node that answers. */
export async function deleteClusterQueues(...queues: string[]): Promise<void> {
  const all = (await listQueues().catch(() => [])).map((q) => q.name);
  const doomed = all.filter((name) => queues.some((q) => name === q || name.startsWith(`${q}.`)));
  for (const n of NODES) {
    try {
      const admin = await BrokerAdmin.open(n.url);
      try {
        const ch = await admin.connection.createChannel();
        ch.on('error', () => undefined);
        for (const q of doomed) await ch.deleteQueue(q).catch(() => undefined);
        await ch.close().catch(() => undefined);
      } finally {
        await admin.connection.close().catch(() => undefined);
      }
      return;
    } catch {
      // that node is down: the next one
    }
  }
}

/** A line of test/fixtures/clusterApp's output file: a message handled (before its ack), by which process, when. */
export interface Handled {
  id: string;
  pid: number;
  at: number;
}

/** The clusterApp fixture's "done <id> <pid> <epoch ms>" lines, in file order (none yet: empty). */
export function readHandled(file: string): Handled[] {
  return textSoFar(file)
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p[0] === 'done' && p.length === 4)
    .map(([, id, pid, at]) => ({ id: id as string, pid: Number(pid), at: Number(at) }));
}
