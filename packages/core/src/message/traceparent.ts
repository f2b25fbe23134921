/**
 * W3C Trace Context headers (https://www.w3.org/TR/trace-context/), carried in AMQP message
 * headers under the same names as in HTTP: `traceparent` and `tracestate`.
 */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** A parsed `traceparent`: version 00's fields. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace-flags byte; bit 0 is "sampled". */
  readonly flags: number;
}

const HEX = /^[0-9a-f]+$/;
const ZEROS_32 = '0'.repeat(32);
const ZEROS_16 = '0'.repeat(16);
/** Longest tracestate kept: the spec allows 32 members; past 512 chars vendors may drop it anyway. */
const MAX_TRACESTATE = 512;

/**
 * Reads a `traceparent` header as AMQP delivered it (a string, or bytes), or undefined when it is
 * absent or invalid. The rules of §3.2: lowercase hex only; version `ff` is invalid; version 00
 * is exactly 55 characters; a later version is read by its first four fields, and anything after
 * them must start with `-`; an all-zero trace-id or parent-id is invalid.
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : undefined;
  if (text === undefined || text.length < 55) return undefined;
  const version = text.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' ? text.length !== 55 : text.length > 55 && text[55] !== '-') return undefined;
  if (text[2] !== '-' || text[35] !== '-' || text[52] !== '-') return undefined;
  const traceId = text.slice(3, 35);
  const spanId = text.slice(36, 52);
  const flags = text.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZEROS_32 || spanId === ZEROS_16) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** Writes a version 00 `traceparent`. */
export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A `tracestate` header as text, or undefined when absent, empty or too long to be trusted. */
export function readTracestate(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : undefined;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  return trimmed === '' || trimmed.length > MAX_TRACESTATE ? undefined : trimmed;
}
