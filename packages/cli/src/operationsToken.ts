import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConfigError, readSecretFile } from '@warren/core';

/** The one path a token never guards: an orchestrator's liveness probe cannot send headers everywhere, and it tells nothing. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/health/live']);

/**
 * The operations port's bearer token: WARREN_HTTP_TOKEN, or the file WARREN_HTTP_TOKEN_FILE
 * names (a mounted secret); undefined when neither is set (the port is open to whoever reaches it).
 */
export function operationsToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env.WARREN_HTTP_TOKEN?.trim() || undefined;
  const file = env.WARREN_HTTP_TOKEN_FILE?.trim() || undefined;
  if (token !== undefined && file !== undefined)
    throw new ConfigError('WARREN_HTTP_TOKEN and WARREN_HTTP_TOKEN_FILE are both set: give one');
  const value = token ?? (file === undefined ? undefined : readSecretFile(file, 'WARREN_HTTP_TOKEN_FILE').trim());
  // A guessable token is no guard: 16 characters is 96 bits or more of a random base64 or hex string.
  if (value !== undefined && value.length < 16) {
    throw new ConfigError(
      `${token !== undefined ? 'WARREN_HTTP_TOKEN' : 'WARREN_HTTP_TOKEN_FILE'} is shorter than 16 characters: use a random one (openssl rand -hex 24)`,
    );
  }
  return value;
}

/** Whether `req` carries `Authorization: Bearer <token>`, compared in constant time (hashes first, so lengths do not leak either). */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}
