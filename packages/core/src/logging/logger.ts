import { type DestinationStream, type LoggerOptions, type Logger as PinoLogger, pino } from 'pino';
import { scrubSecrets } from './scrubSecrets.js';

/** The logger Warren uses and hands to handlers (`ctx.log`): pino's. */
export type Logger = PinoLogger;

/** The levels `--log-level` and WARREN_LOG_LEVEL take: pino's. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Paths pino masks in every log line, so a config, URL or header table logged by mistake shows
 * no secret. Names are matched as written (pino's redaction is case-sensitive): headers in
 * AMQP tables keep the case they were sent with.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'url',
  '*.url',
  'urls',
  '*.urls',
  'credentials',
  '*.credentials',
  'passphrase',
  '*.passphrase',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  '*.headers.cookie',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

/**
 * A pino logger that redacts REDACT_PATHS and, as a last line of defence, scrubs every line it
 * writes of URL passwords and bearer tokens, wherever they hide (an error's message or stack, a
 * string a handler logged): see scrubSecrets. Level: `options.level`, else WARREN_LOG_LEVEL, else info.
 */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings = { name: 'warren', level: process.env.WARREN_LOG_LEVEL ?? 'info', redact: REDACT_PATHS, ...options };
  return pino(settings, scrubbing(destination ?? pino.destination({ dest: 1, sync: true })));
}

/** A logger that writes nothing, for libraries used standalone and for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

type Flushable = DestinationStream & { flush?: (cb?: (error?: Error) => void) => void; flushSync?: () => void; end?: () => void };

/** `destination`, with every line scrubbed before it is written; flushing goes through to it. */
function scrubbing(destination: DestinationStream): DestinationStream {
  const d = destination as Flushable;
  const stream: Flushable = { write: (line: string) => d.write(scrubSecrets(line)) };
  if (typeof d.flush === 'function') stream.flush = (cb) => (d.flush as NonNullable<Flushable['flush']>).call(d, cb);
  if (typeof d.flushSync === 'function') stream.flushSync = () => d.flushSync?.call(d);
  if (typeof d.end === 'function') stream.end = () => d.end?.call(d);
  return stream;
}
