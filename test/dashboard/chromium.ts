import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Flags for Chromium as root in a container: no sandbox (it needs user namespaces), no GPU. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu'];

/**
 * Debian's Chromium (`apt-get install chromium`, which `.ci/run` does when it is missing): CHROMIUM_PATH
 * when set (and only it), else `chromium` or `chromium-browser` on the PATH. Playwright drives it through executablePath,
 * so no browser is downloaded.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env.CHROMIUM_PATH !== undefined) candidates.push(env.CHROMIUM_PATH);
  else
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
      for (const name of ['chromium', 'chromium-browser']) candidates.push(join(dir, name));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const NO_CHROMIUM =
  'Chromium not found (CHROMIUM_PATH, or chromium / chromium-browser on the PATH): install it with `apt-get install -y chromium` ' +
  '(.ci/run does) to run the dashboard test';
