import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { dashboardPage } from './page.js';
import { PAGE_SCRIPT } from './pageScript.js';

test('the page script is valid JavaScript as the browser gets it', () => {
  assert.doesNotThrow(() => new Script(PAGE_SCRIPT, { filename: 'dashboard.js' }));
});

test('the page is self-contained: every script and style inline, nothing loaded from another origin', () => {
  const html = dashboardPage();
  assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
  assert.doesNotMatch(html, /<link[^>]*\shref=/i);
  assert.doesNotMatch(html, /@import/i);
  assert.doesNotMatch(html, /url\(\s*['"]?(https?:)?\/\//i);
  assert.match(html, /uPlot/);
  // Inlined text cannot end its element early: the only closing tags are the page's own.
  assert.equal(html.match(/<\/script>/gi)?.length, 2);
  assert.equal(html.match(/<\/style>/gi)?.length, 2);
});
