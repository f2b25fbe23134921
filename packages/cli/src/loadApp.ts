import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, isAppDefinition, type WarrenAppDefinition } from '@warren/core';

const EXPECTED = 'expected `export default defineApp({ consumers: [...] })` or `export const app = defineApp(...)` from @warren/core';

/** Imports a compiled app module, ESM or CommonJS, and returns the app it exports (made with `defineApp`). */
export async function loadApp(modulePath: string): Promise<WarrenAppDefinition> {
  const file = resolve(process.cwd(), modulePath);
  if (!existsSync(file)) throw new ConfigError(`app module not found: ${file} (build it first, e.g. npx tsc)`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const app = findApp(mod);
  if (app === undefined) throw new ConfigError(`${modulePath} exports no Warren app: ${describeExports(mod)}; ${EXPECTED}`);
  return app;
}

/**
 * The app in a module namespace. ESM: `default`, then `app`. CommonJS (what tsc emits for a
 * package without "type": "module"): import() hands back `module.exports` as `default`, so tsc's
 * `exports.default` and `exports.app` sit one level down, and `module.exports = defineApp(...)`
 * is `default` itself.
 */
export function findApp(mod: Readonly<Record<string, unknown>>): WarrenAppDefinition | undefined {
  const exports = mod.default;
  const nested = typeof exports === 'object' && exports !== null ? (exports as Record<string, unknown>) : {};
  return [mod.default, mod.app, nested.default, nested.app].find(isAppDefinition);
}

/** What a module does export, for the error: `default (an object with keys: a, b), helper (a function)`. */
export function describeExports(mod: Readonly<Record<string, unknown>>): string {
  // tsc's CommonJS output (marked __esModule) arrives as `default`: name what its source exported.
  const cjs = mod.default as { __esModule?: unknown } | undefined;
  const exports = typeof cjs === 'object' && cjs !== null && cjs.__esModule === true ? (cjs as Record<string, unknown>) : mod;
  const names = Object.keys(exports).filter((name) => name !== '__esModule');
  if (names.length === 0) return 'it exports nothing';
  return `found ${names.map((name) => `${name} (${describeValue(exports[name])})`).join(', ')}`;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') {
    const isClass = /^class\b/.test(Function.prototype.toString.call(value));
    return `${isClass ? 'class' : 'a function'}${value.name === '' ? '' : ` ${value.name}`}`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value !== 'object') return `a ${typeof value}`;
  const keys = Object.keys(value).filter((key) => key !== '__esModule');
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 6).join(', ') + (keys.length > 6 ? ', ...' : '');
  const hint = 'consumers' in value ? ', not made with defineApp()' : '';
  return `an object with keys: ${shown}${hint}`;
}
