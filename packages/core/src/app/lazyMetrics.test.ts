import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Imports `modules` in a fresh process and answers whether prom-client was loaded (it is CommonJS: require.cache holds it). */
function loadsPromClient(...modules: string[]): boolean {
  const urls = modules.map((m) => new URL(m, import.meta.url).href);
  const script = `
    for (const url of ${JSON.stringify(urls)}) await import(url);
    const { createRequire } = await import('node:module');
    const cache = createRequire(${JSON.stringify(fileURLToPath(import.meta.url))}).cache;
    console.log(Object.keys(cache).some((f) => f.includes('/prom-client/')));`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim() === 'true';
}

test('importing the package does not load prom-client: an app without metrics never parses it', () => {
  assert.equal(loadsPromClient('../index.js'), false);
});

test('the metrics module does load it (what the check above would see if an import of it came back)', () => {
  assert.equal(loadsPromClient('../index.js', '../observability/metrics/AppMetrics.js'), true);
});
