import { createServer, type Server } from 'node:http';
import type { WarrenApp } from '@warren/core';

/**
 * A tiny HTTP endpoint for orchestrators: `/health/live` answers 200 unless the app is down
 * (restart me), `/health/ready` answers 200 only when it is fully ok (send me work), and
 * `/health` returns the whole report. Bound to loopback unless told otherwise.
 */
export function startHealthServer(app: WarrenApp, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const health = app.health();
    const path = (req.url ?? '/').split('?')[0];
    let code: number;
    if (path === '/health/live') code = health.status === 'down' ? 503 : 200;
    else if (path === '/health/ready') code = health.status === 'ok' ? 200 : 503;
    else if (path === '/health') code = health.status === 'ok' ? 200 : 503;
    else code = 404;
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(code === 404 ? '{"error":"try /health, /health/live or /health/ready"}' : JSON.stringify(health));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
