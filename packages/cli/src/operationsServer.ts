import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { WarrenApp } from '@warren/core';
import { hasBearer, OPEN_PATHS } from './operationsToken.js';

/** One endpoint of the operations port. It answers the request itself (a stream, for SSE, may stay open). */
export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Exact paths (`/api/state`), or prefixes ending in `/*` (`/api/*`), to their routes. */
export type RouteTable = Readonly<Record<string, Route>>;

export interface OperationsServerOptions {
  port: number;
  /** Default 127.0.0.1: nothing outside the machine sees the port unless told to. */
  host?: string;
  /** More routes (the dashboard's `/` and `/api/*`), consulted after /metrics and /health*. */
  routes?: RouteTable;
  /** When set, every endpoint but /health/live answers 401 without `Authorization: Bearer <token>`. */
  token?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The operations port's own endpoints. `/health/live` answers 200 unless the app is down (restart
 * me), `/health/ready` 200 only when it is fully ok (send me work), `/health` the whole report;
 * `/metrics` Prometheus' text (with the app's metrics on).
 */
export function operationsRoutes(app: WarrenApp): RouteTable {
  const health =
    (pass: (status: string) => boolean): Route =>
    (_req, res) => {
      const report = app.health();
      res.writeHead(pass(report.status) ? 200 : 503, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' });
      res.end(JSON.stringify(report));
    };
  return {
    '/health/live': health((status) => status !== 'down'),
    '/health/ready': health((status) => status === 'ok'),
    '/health': health((status) => status === 'ok'),
    '/metrics': async (_req, res) => {
      const metrics = app.appMetrics;
      if (metrics === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('metrics are off for this app\n');
        return;
      }
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
  };
}

/**
 * The one operations port: `/metrics`, `/health*`, and whatever `routes` add (the dashboard at
 * `/` and its `/api/*`). Until a route takes `/`, it answers with a short page naming the
 * endpoints. GET and HEAD only for Warren's own endpoints; a route that throws answers 500.
 */
export function startOperationsServer(app: WarrenApp, options: OperationsServerOptions): Promise<Server> {
  const own = operationsRoutes(app);
  const table: Record<string, Route> = { '/': placeholder, ...options.routes, ...own };
  const prefixes = Object.keys(table)
    .filter((path) => path.endsWith('/*'))
    .map((path) => [path.slice(0, -1), table[path] as Route] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = table[path] ?? prefixes.find(([prefix]) => path.startsWith(prefix))?.[1];
    if (options.token !== undefined && !OPEN_PATHS.has(path) && !hasBearer(req, options.token)) {
      // Before the 404 too: without the token, not even which paths exist is told.
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="warren"', 'content-type': JSON_TYPE });
      res.end(JSON.stringify({ error: 'this endpoint needs Authorization: Bearer <WARREN_HTTP_TOKEN>' }));
      return;
    }
    if (route === undefined) {
      res.writeHead(404, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify({ error: `no ${path} here`, try: Object.keys(table) }));
      return;
    }
    if (path in own && req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const failed = (error: unknown): void => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${path} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    };
    try {
      const answered = route(req, res);
      if (answered instanceof Promise) answered.catch(failed);
    } catch (error) {
      failed(error);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** `/` until the dashboard takes it: where the endpoints are. */
const placeholder: Route = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    '<!doctype html><title>Warren</title><h1>Warren</h1><ul>' +
      '<li><a href="/metrics">/metrics</a> (Prometheus)</li><li><a href="/health">/health</a>, ' +
      '<a href="/health/live">/health/live</a>, <a href="/health/ready">/health/ready</a></li></ul>\n',
  );
};
