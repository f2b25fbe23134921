import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineApp, isAppDefinition } from '@warren/core';
import { describeExports, findApp } from './loadApp.js';

const app = defineApp({ consumers: [] });

test('findApp takes an ESM default export, then an ESM `app` export', () => {
  assert.equal(findApp({ default: app }), app);
  assert.equal(findApp({ app }), app);
  const other = defineApp({ name: 'other', consumers: [] });
  assert.equal(findApp({ default: app, app: other }), app);
});

test('findApp takes a CommonJS module: import() hands back module.exports as default', () => {
  // tsc's `export default defineApp(...)` in a CommonJS build: exports.default.
  assert.equal(findApp({ default: { __esModule: true, default: app } }), app);
  // `export const app = ...`: exports.app (Node may also list it as a named export).
  assert.equal(findApp({ default: { __esModule: true, app } }), app);
  assert.equal(findApp({ default: { __esModule: true, app }, app }), app);
  // module.exports = defineApp(...)
  assert.equal(findApp({ default: app }), app);
});

test('findApp refuses anything not made with defineApp', () => {
  assert.equal(findApp({}), undefined);
  assert.equal(findApp({ default: { consumers: [] } }), undefined);
  assert.equal(findApp({ default: null }), undefined);
  assert.equal(isAppDefinition(findApp({ default: { default: { consumers: [] } } })), false);
});

test('describeExports names what the module does export', () => {
  class OrdersWorker {}
  assert.equal(describeExports({}), 'it exports nothing');
  assert.equal(
    describeExports({ default: { consumers: [OrdersWorker], name: 'orders' }, OrdersWorker, helper: () => 1, n: 3 }),
    'found default (an object with keys: consumers, name, not made with defineApp()), OrdersWorker (class OrdersWorker), helper (a function helper), n (a number)',
  );
  // tsc's CommonJS output: described by what its source exported, not as one `default` object.
  assert.equal(
    describeExports({ default: { __esModule: true, port: 8080, default: { consumers: [] } }, port: 8080 }),
    'found port (a number), default (an object with keys: consumers, not made with defineApp())',
  );
  assert.equal(describeExports({ default: { __esModule: true } }), 'it exports nothing');
  assert.equal(describeExports({ default: {} }), 'found default (an empty object)');
});
