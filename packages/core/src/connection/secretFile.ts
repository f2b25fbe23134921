import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/WarrenError.js';

/**
 * Reads a secret from a file, as Docker and Kubernetes mount them (`/run/secrets/...`): one
 * trailing newline (an editor's or `echo`'s) is dropped, nothing else. `source` names where the
 * path came from (`--url-file`, `WARREN_URL_FILE`) for errors, which give the path and why, never
 * the content.
 */
export function readSecretFile(path: string, source: string): string {
  if (typeof path !== 'string' || path.trim() === '') throw new ConfigError(`${source} is empty: give the path of a file`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${source}: cannot read "${path}": ${fileProblem(error)}`, { cause: error });
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(`${source}: "${path}" is empty`);
  return value;
}

/** Why a file could not be read, in words (the code too), without Node's message (it may echo the path twice). */
export function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
  };
  return typeof code === 'string' ? `${words[code] ?? 'unreadable'} (${code})` : String((error as Error).message ?? error);
}
