import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { test } from 'node:test';
import { TcpProxy } from './TcpProxy.js';

/** An echo server standing in for the broker, a proxy to it (from a broker URL), and clients through the proxy that collect what comes back. */
async function echoThrough(
  t: import('node:test').TestContext,
): Promise<{ proxy: TcpProxy; connect(hello: string): Promise<Client>; serverReceived(): number }> {
  let received = 0;
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
    });
    s.on('error', () => undefined).pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxy = await TcpProxy.start(`amqp://guest:guest@127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  t.after(async () => {
    await proxy.close();
    server.close();
  });
  return {
    proxy,
    serverReceived: () => received,
    connect: async (hello) => {
      const socket = net.connect(proxy.port, '127.0.0.1');
      const client: Client = { socket, received: '', error: undefined };
      socket.on('data', (d: Buffer) => {
        client.received += d.toString();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        client.error = e.code;
      });
      await once(socket, 'connect');
      socket.write(hello);
      await until(() => client.received === hello);
      return client;
    },
  };
}

interface Client {
  socket: net.Socket;
  received: string;
  error: string | undefined;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check());
}

test('stall holds bytes without dropping them; resume delivers them', async (t) => {
  const { proxy, connect } = await echoThrough(t);
  const client = await connect('a');
  proxy.stall();
  client.socket.write('b');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(client.received, 'a');
  assert.equal(proxy.heldBytes, 1);
  proxy.resume();
  await until(() => client.received === 'ab');
});

test("stallToClient holds only the server's bytes: the client's still reach it; resume delivers the held ones", async (t) => {
  const { proxy, connect, serverReceived } = await echoThrough(t);
  const client = await connect('a');
  proxy.stallToClient();
  client.socket.write('b');
  await until(() => serverReceived() === 2);
  await until(() => proxy.heldBytes === 1);
  assert.equal(client.received, 'a', 'the echo is held');
  proxy.resume();
  await until(() => client.received === 'ab');
});

test('stallWhere and resetWhere pick connections by their opening bytes', async (t) => {
  const { proxy, connect } = await echoThrough(t);
  const publish = await connect('app:publish');
  const consume = await connect('app:consume');
  assert.equal(proxy.stallWhere(':publish'), 1);
  publish.socket.write('!');
  consume.socket.write('!');
  await until(() => consume.received === 'app:consume!');
  assert.equal(publish.received, 'app:publish');
  assert.equal(proxy.resetWhere(':consume'), 1);
  await until(() => consume.error === 'ECONNRESET');
  assert.equal(proxy.open, 1);
});

test('refuse turns connects away until accept, on the same port', async (t) => {
  const { proxy, connect } = await echoThrough(t);
  const port = proxy.port;
  await proxy.refuse();
  const refused = net.connect(port, '127.0.0.1');
  const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ECONNREFUSED');
  await proxy.accept();
  assert.equal(proxy.port, port);
  await connect('back');
});

test("url() points the broker's URL at the proxy, keeping credentials, vhost and query unless given one", async (t) => {
  const { proxy } = await echoThrough(t);
  const at = `127.0.0.1:${proxy.port}`;
  assert.equal(proxy.url('amqp://u:p@broker.example:5672/v?frame_max=8192'), `amqp://u:p@${at}/v?frame_max=8192`);
  assert.equal(proxy.url('amqp://u:p@broker.example:5672/v?frame_max=8192', '?heartbeat=2'), `amqp://u:p@${at}/v?heartbeat=2`);
});
