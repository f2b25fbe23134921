import { ConfigError, createLogger, LOG_LEVELS, type Logger } from '@warren/core';
import { pino } from 'pino';

/** JSON logs by default (for collectors); readable ones on a terminal, unless WARREN_LOG_FORMAT=json. */
export function cliLogger(name: string, level = 'info'): Logger {
  const pretty = process.env.WARREN_LOG_FORMAT === 'pretty' || (process.stdout.isTTY === true && process.env.WARREN_LOG_FORMAT !== 'json');
  if (!pretty) return createLogger({ name, level });
  return createLogger(
    { name, level },
    pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }),
  );
}

/** A log level from `source` (the flag or variable it came from), checked; info when not given. */
export function logLevel(text: string | undefined, source: string): string {
  const level = text?.trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`${source} must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  }
  return level;
}
