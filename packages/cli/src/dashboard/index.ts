import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WarrenApp } from '@warren/core';
import { type DashboardOptions, DashboardRecorder } from './DashboardRecorder.js';
import { dashboardPage } from './page.js';

export type { DashboardOptions, Snapshot, Status } from './DashboardRecorder.js';
export { DashboardRecorder } from './DashboardRecorder.js';
export type { Mark, MarkKind, MarkSeverity } from './marks.js';
export type { ConsumerPoint, Sample } from './sample.js';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The live back-pressure dashboard's routes, for the operations server:
 *
 *   /             the page (HTML, everything inlined)
 *   /api/state    a JSON snapshot: the last minutes of samples, the marks, the current numbers
 *   /api/events   Server-Sent Events: the snapshot, then `tick` (a sample and the numbers) each
 *                 second, `mark` as each back-pressure event happens, `end` when the app stops
 *
 * Recording starts here (one recorder per call, however many browsers watch) and stops when
 * the app stops.
 */
export function dashboardRoutes(app: WarrenApp, options: DashboardOptions = {}): Record<string, Route> {
  const recorder = new DashboardRecorder(app, options);
  let page: string | undefined;
  return {
    '/': (req, res) => {
      if (!allowGet(req, res)) return;
      page ??= dashboardPage();
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Everything is inline; nothing may be loaded from elsewhere.
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
      });
      res.end(page);
    },
    '/api/state': (req, res) => {
      if (!allowGet(req, res)) return;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(recorder.snapshot()));
    },
    '/api/events': (req, res) => {
      if (!allowGet(req, res)) return;
      recorder.stream.attach(req, res, () => [['snapshot', recorder.snapshot()]]);
    },
  };
}

function allowGet(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
  res.end('{"error":"GET only"}');
  return false;
}
