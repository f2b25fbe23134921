import { createLogger, type Logger } from '@warren/core';
import { pino } from 'pino';

/** JSON logs by default (for collectors); readable ones on a terminal, unless WARREN_LOG_FORMAT=json. */
export function cliLogger(name: string): Logger {
  const pretty = process.env.WARREN_LOG_FORMAT === 'pretty' || (process.stdout.isTTY === true && process.env.WARREN_LOG_FORMAT !== 'json');
  if (!pretty) return createLogger({ name });
  return createLogger(
    { name },
    pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }),
  );
}
