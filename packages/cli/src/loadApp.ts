import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, isAppDefinition, type WarrenAppDefinition } from '@warren/core';

/** Imports an app module and returns its default export, which must come from `defineApp(...)`. */
export async function loadApp(modulePath: string): Promise<WarrenAppDefinition> {
  const file = resolve(process.cwd(), modulePath);
  if (!existsSync(file)) throw new ConfigError(`app module not found: ${file} (build it first, e.g. npx tsc)`);
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown; app?: unknown };
  const app = mod.default ?? mod.app;
  if (!isAppDefinition(app)) {
    throw new ConfigError(`${modulePath} must export default defineApp({ consumers: [...] }) from @warren/core`);
  }
  return app;
}
