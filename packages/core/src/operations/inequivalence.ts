/** One setting in which what the app declares and what the broker has differ. */
export interface ArgDifference {
  /** A queue or exchange argument (`x-queue-type`, `alternate-exchange`), or a property (`durable`, `auto_delete`, `type`). */
  argument: string;
  /** What the app declares; null: it gives none. */
  declared: unknown;
  /** What the broker has; null: none. */
  actual: unknown;
}

/** A queue or exchange declare, as the probes send it. */
export interface DeclareSettings {
  durable: boolean;
  autoDelete: boolean;
  /** Exchanges only. */
  type?: string;
  internal?: boolean;
  arguments: Record<string, unknown>;
}

/** The broker's current value, as its 406 text gives it. */
export type CurrentValue = { kind: 'none' } | { kind: 'typed'; text: string; type: string } | { kind: 'plain'; text: string };

export interface Inequivalence {
  argument: string;
  current: CurrentValue;
}

/** Properties the broker compares besides the arguments table. */
const PROPERTIES = new Set(['durable', 'auto_delete', 'internal', 'type']);
const BOOLEAN_PROPERTIES = new Set(['durable', 'auto_delete', 'internal']);
/** RabbitMQ compares integers by value whatever their width, so a plain number stands for any of these. */
const NUMBER_TYPES = new Set(['byte', 'short', 'signedint', 'long', 'unsignedbyte', 'unsignedshort', 'unsignedint', 'float', 'double']);

/**
 * Reads a 406 PRECONDITION_FAILED from a declare: which argument differs and what the broker has.
 * RabbitMQ names one argument per refusal, in one of three shapes (3.10; the same in 3.13):
 * `received none but current is the value 'quorum' of type 'longstr'`, `received the value '10' of
 * type 'byte' but current is none`, `received '11' but current is '10'`. Only the text says which
 * argument; the reply code (406) is what says it is one.
 */
export function parseInequivalence(message: string): Inequivalence | undefined {
  const m = /inequivalent arg '([^']+)' for (?:queue|exchange) '.*' in vhost '.*': received (.+?) but current is (.+?)"?$/s.exec(message);
  if (m === null) return undefined;
  const current = parseValue(m[3] as string);
  return current === undefined ? undefined : { argument: m[1] as string, current };
}

function parseValue(text: string): CurrentValue | undefined {
  if (text === 'none') return { kind: 'none' };
  const typed = /^the value '(.*)' of type '(\w+)'$/s.exec(text);
  if (typed !== null) return { kind: 'typed', text: typed[1] as string, type: typed[2] as string };
  const plain = /^'(.*)'$/s.exec(text);
  return plain === null ? undefined : { kind: 'plain', text: plain[1] as string };
}

/**
 * The difference `ineq` reports, and `settings` changed to agree with the broker on it, so that
 * the next declare names the next difference (the broker stops at the first). `next` is
 * undefined when the broker's value cannot be sent back as it is (a table, a timestamp).
 */
export function adoptCurrent(
  settings: DeclareSettings,
  ineq: Inequivalence,
): { difference: ArgDifference; next: DeclareSettings | undefined } {
  const { argument, current } = ineq;
  const isProperty = PROPERTIES.has(argument);
  const declared = isProperty ? propertyOf(settings, argument) : (settings.arguments[argument] ?? null);
  const actual = brokerValue(current, argument, declared);
  const difference = { argument, declared, actual: actual.value };
  if (!actual.reproducible) return { difference, next: undefined };
  const next: DeclareSettings = { ...settings, arguments: { ...settings.arguments } };
  if (argument === 'durable') next.durable = actual.value === true;
  else if (argument === 'auto_delete') next.autoDelete = actual.value === true;
  else if (argument === 'internal') next.internal = actual.value === true;
  else if (argument === 'type') next.type = String(actual.value);
  else if (actual.value === null) delete next.arguments[argument];
  else next.arguments[argument] = actual.value;
  return { difference, next };
}

function propertyOf(settings: DeclareSettings, argument: string): unknown {
  if (argument === 'durable') return settings.durable;
  if (argument === 'auto_delete') return settings.autoDelete;
  if (argument === 'internal') return settings.internal ?? false;
  return settings.type ?? null;
}

function brokerValue(current: CurrentValue, argument: string, declared: unknown): { value: unknown; reproducible: boolean } {
  if (current.kind === 'none') return { value: null, reproducible: true };
  if (current.kind === 'typed') {
    if (NUMBER_TYPES.has(current.type)) return numberOf(current.text);
    if (current.type === 'bool') return { value: current.text === 'true', reproducible: true };
    if (current.type === 'longstr' || current.type === 'shortstr') return { value: current.text, reproducible: true };
    return { value: current.text, reproducible: false };
  }
  // Both sides set: the broker leaves the type out, so the declared value's type tells.
  if (BOOLEAN_PROPERTIES.has(argument) || typeof declared === 'boolean') return { value: current.text === 'true', reproducible: true };
  if (typeof declared === 'number') return numberOf(current.text);
  return { value: current.text, reproducible: true };
}

function numberOf(text: string): { value: unknown; reproducible: boolean } {
  const n = Number(text);
  return Number.isFinite(n) ? { value: n, reproducible: true } : { value: text, reproducible: false };
}
