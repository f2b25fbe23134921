// @warren-test serial: sets a broker memory alarm
/**
 * The live dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core)
 * against a real app on the real broker: the page loads, its charts fill with the app's samples,
 * the in-flight figure shows the prefetch window held full, and a memory alarm that blocks the
 * app's publishing appears on the page as a `blocked` mark, then `unblocked`. Screenshots go to
 * test/artifacts/ (ignored by git).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dashboardRoutes, type Snapshot, startOperationsServer } from '@warren/cli';
import { Consumer, defineApp, type MessageContext, Publisher, Worker } from '@warren/core';
import { BrokerAdmin, queueCounts, sleep, Tally, uniqueName, waitFor, withMemoryAlarm } from '@warren/testing';
import { inject } from 'inversify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestApp } from '../support/app.js';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM } from './chromium.js';

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const PREFETCH = 8;
const CONCURRENCY = 4;
const MESSAGES = 300;
const HANDLER_MS = 100;

const queue = uniqueName('dashboard');
const out = `${queue}.out`;
const handled = new Tally();

/** Each message: a short piece of work, then a publish (confirmed) to the next queue, which a memory alarm holds up. */
@Consumer({ queue, prefetch: PREFETCH, concurrency: CONCURRENCY })
class DashboardWorker extends Worker<{ id: string }> {
  constructor(@inject(Publisher) private readonly publisher: Publisher) {
    super();
  }
  async handle(msg: { id: string }, ctx: MessageContext): Promise<void> {
    await sleep(HANDLER_MS, ctx.signal);
    await this.publisher.send(out, { id: msg.id });
    handled.add(msg.id);
  }
}

const points = async (page: Page): Promise<number> =>
  Number(await page.locator('[data-consumer="DashboardWorker"]').getAttribute('data-points'));
/** Waits (Playwright watches the DOM) until the figure `key` of the consumer's card reads `text`. */
const until = (page: Page, key: string, text: RegExp, timeout = 15_000): Promise<void> =>
  page.locator(`[data-consumer="DashboardWorker"] [data-value="${key}"]`, { hasText: text }).waitFor({ timeout });

const chromiumPath = findChromium();

/** The one DOM call the page-side predicates make (this project compiles without the DOM library). */
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

describe('the live dashboard', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
    admin.trackQueue(queue, out);
  });
  after(async () => {
    await admin.cleanup();
  });

  it('loads in headless Chromium, plots the samples, shows the window held full and marks a broker block and its end', {
    skip: chromiumPath === undefined ? NO_CHROMIUM : false,
  }, async () => {
    await admin.channel.assertQueue(out, { durable: true });
    const app = await startTestApp(defineApp({ name: 'dashboard-test', consumers: [DashboardWorker] }));
    // The operations port as `warren start --http-port` opens it, with the dashboard's routes
    // (sampled twice as often as by default, to keep the test short).
    const routes = dashboardRoutes(app, { appName: 'dashboard-test', intervalMs: 500, depth: { everyMs: 500 } });
    const server = await startOperationsServer(app, { port: 0, routes });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(url);

      // The page loads and its stream is live.
      await page.locator('#live.on').waitFor();
      assert.equal(await page.title(), 'Warren · dashboard-test');
      assert.equal(await page.locator('[data-consumer="DashboardWorker"] canvas').count(), 3, 'three charts');

      // Work arrives: the charts receive samples, once a second.
      const ids = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
      await admin.sendMany(
        queue,
        ids.map((id) => ({ id })),
      );
      await until(page, 'handledNow', /[1-9]/);
      const pointsBefore = await points(page);
      await page.waitForFunction(
        (n) => Number(document.querySelector('[data-consumer="DashboardWorker"]')?.getAttribute('data-points')) >= n,
        pointsBefore + 2,
      );
      const pointsAfter = await points(page);
      assert.ok(pointsAfter >= pointsBefore + 2, `data points grew: ${pointsBefore} -> ${pointsAfter}`);

      let blockedShot = '';
      await withMemoryAlarm(async () => {
        // The handlers' publishes are held: the page marks the block, and the window stays full.
        await page.locator('.mark[data-kind="blocked"]').first().waitFor({ timeout: 15_000 });
        assert.match(
          (await page.locator('.mark[data-kind="blocked"]').first().textContent()) ?? '',
          /publish connection blocked by the broker/,
        );
        await page.locator('[data-connection="publish"].bad').waitFor();
        await until(page, 'inFlightNow', new RegExp(`^${PREFETCH} / ${PREFETCH}$`));
        assert.equal(app.consumers[0]?.stats().inFlight, PREFETCH, 'the app holds the whole window too');
        // Nothing settles while blocked (the last confirms may still land as it begins), so the queue
        // comes to a stand: the page's depth is then the broker's, exactly.
        await until(page, 'handledNow', /^0\/s$/);
        let ready = -1;
        await waitFor("the page to show the broker's ready count", async () => {
          ready = (await queueCounts(queue)).ready;
          return (await page.locator('[data-consumer="DashboardWorker"] [data-value="depthNow"]').textContent()) === String(ready);
        });
        assert.ok(ready > 0, `messages still waiting in the queue (${ready})`);
        mkdirSync(ARTIFACTS, { recursive: true });
        blockedShot = `${ARTIFACTS}dashboard-blocked.png`;
        await page.screenshot({ path: blockedShot, fullPage: true });
      });

      // The alarm is cleared: the page marks the end, and every message is handled once.
      await page.locator('.mark[data-kind="unblocked"]').first().waitFor({ timeout: 15_000 });
      await until(page, 'depthNow', /^0$/, 20_000);
      await waitFor('every message handled', () => handled.missing(ids).length === 0, 20_000);
      assert.deepEqual(handled.missing(ids), []);
      assert.equal(handled.duplicates(), 0);
      assert.equal(await admin.depth(out), MESSAGES, 'each message published on once');

      const state = (await (await fetch(`${url}api/state`)).json()) as Snapshot;
      const kinds = state.marks.map((m) => m.kind);
      assert.ok(kinds.indexOf('blocked') < kinds.lastIndexOf('unblocked'), `blocked, then unblocked: ${kinds.join(', ')}`);
      assert.equal(state.status.consumers[0]?.totals.acked, MESSAGES, 'the JSON shows every ack');
      assert.ok(
        state.samples.some((s) => s.consumers.DashboardWorker?.inFlight === PREFETCH),
        'a sample shows the full window',
      );

      const finalShot = `${ARTIFACTS}dashboard.png`;
      await page.screenshot({ path: finalShot, fullPage: true });
      console.log(`screenshots: ${blockedShot} (while blocked), ${finalShot} (after)`);

      // Stopping the app ends the stream: the page says so, and the server can close.
      await app.stop();
      await page.locator('#live.ended').waitFor();
      assert.deepEqual(pageErrors, [], 'no script error on the page');
    } finally {
      await browser?.close();
      server.closeAllConnections();
      server.close();
      await app.stop();
    }
  });
});
