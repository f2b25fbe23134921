import { type DestinationStream, type LoggerOptions, type Logger as PinoLogger, pino } from 'pino';

/** The logger Warren uses and hands to handlers (`ctx.log`): pino's. */
export type Logger = PinoLogger;

/** Paths pino masks in every log line, so a config or URL logged by mistake shows no secret. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'url',
  '*.url',
  'urls',
  '*.urls',
  'credentials',
  '*.credentials',
  'headers.authorization',
];

export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings = { name: 'warren', level: process.env.WARREN_LOG_LEVEL ?? 'info', redact: REDACT_PATHS, ...options };
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/** A logger that writes nothing, for libraries used standalone and for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
