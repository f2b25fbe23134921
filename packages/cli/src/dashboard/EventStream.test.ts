import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, test } from 'node:test';
import { EventStream } from './EventStream.js';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

async function serve(stream: EventStream, first: Array<[string, unknown]> = []): Promise<string> {
  const server = createServer((req, res) => stream.attach(req, res, () => first));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function open(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(url, resolve).on('error', reject));
}

/** Reads a response until `done(text)` or its end. */
function readUntil(res: IncomingMessage, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      if (done(text)) resolve(text);
    });
    res.on('end', () => resolve(text));
  });
}

test('a client gets its first events, then every shared one, each as one SSE frame', async () => {
  const stream = new EventStream();
  const url = await serve(stream, [['snapshot', { n: 0 }]]);
  const res = await open(url);
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  const reading = readUntil(res, (t) => t.includes('event: tick'));
  stream.send('tick', { n: 1, text: 'two\nlines' });
  const text = await reading;
  assert.equal(text, 'retry: 2000\n\nevent: snapshot\ndata: {"n":0}\n\nevent: tick\ndata: {"n":1,"text":"two\\nlines"}\n\n');
  res.destroy();
});

test('more clients than allowed are refused with 503; a closed stream ends every client and refuses new ones', async () => {
  const stream = new EventStream({ maxClients: 1 });
  const url = await serve(stream);
  const first = await open(url);
  const reading = readUntil(first, () => false);
  const second = await open(url);
  assert.equal(second.statusCode, 503);
  second.resume();
  assert.equal(stream.clients, 1);
  stream.close(['end', { state: 'stopped' }]);
  assert.match(await reading, /event: end\ndata: \{"state":"stopped"\}\n\n$/);
  assert.equal(stream.clients, 0);
  const late = await open(url);
  assert.equal(late.statusCode, 503);
  late.resume();
});

test('a client that stops reading is dropped once its unsent output passes the bound; the others go on', async () => {
  const stream = new EventStream({ maxBufferedBytes: 64 * 1024 });
  const url = new URL(await serve(stream));
  // A raw socket that sends the request and never reads: the kernel buffers fill, then Node's.
  const stuck = connect(Number(url.port), '127.0.0.1');
  stuck.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  stuck.pause();
  const reader = await open(url.href);
  let received = 0;
  reader.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  const big = 'x'.repeat(100 * 1024);
  for (let i = 0; i < 400 && stream.dropped === 0; i++) {
    stream.send('tick', big);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(stream.dropped, 1, 'the stuck client was dropped');
  assert.equal(stream.clients, 1, 'the reading client stays');
  stuck.destroy();
  reader.destroy();
  assert.ok(received > 0);
});

test('a large first event (the snapshot of a big app) does not count against the bound', async () => {
  const stream = new EventStream({ maxBufferedBytes: 1024 });
  const snapshot = 'y'.repeat(4 << 20);
  const url = await serve(stream, [['snapshot', snapshot]]);
  const res = await open(url);
  // Sent at once, while most of the snapshot is still unsent: the client stays.
  stream.send('tick', { n: 1 });
  assert.equal(stream.dropped, 0);
  const text = await readUntil(res, (t) => t.includes('event: tick'));
  assert.ok(text.length > 4 << 20);
  assert.equal(stream.clients, 1);
  res.destroy();
});
