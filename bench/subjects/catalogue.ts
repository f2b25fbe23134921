import type { Variant } from './Subject.js';

/** A library under test, with the options that make a subject (`warren timeoutMs=30000`). */
export interface SubjectSpec {
  /** Stable key: --subjects filters on it, --json rows are labelled by `label`. */
  key: string;
  /** Module in bench/subjects/ that implements it. */
  module: 'raw' | 'warren' | 'rascal' | 'connectionManager' | 'golevelup' | 'cloudamqp';
  label: string;
  variant: Variant;
}

export const RAW: SubjectSpec = { key: 'raw', module: 'raw', label: 'raw amqplib', variant: { noDelay: true } };
/**
 * Raw amqplib with each publish wrapped in a promise that its confirm callback settles, awaited as
 * Warren's is: the same work as RAW plus what a promise per in-flight publish leaves for the GC.
 */
export const RAW_PROMISE: SubjectSpec = {
  key: 'raw-promise',
  module: 'raw',
  label: 'raw amqplib, a promise per publish',
  variant: { noDelay: true, promise: true },
};
export const WARREN: SubjectSpec = { key: 'warren', module: 'warren', label: 'warren', variant: {} };

/** The libraries a team would pick instead of Warren, as their docs set them up. */
export const PEERS: readonly SubjectSpec[] = [
  { key: 'rascal', module: 'rascal', label: 'rascal', variant: {} },
  { key: 'acm', module: 'connectionManager', label: 'amqp-connection-manager', variant: {} },
  { key: 'golevelup', module: 'golevelup', label: '@golevelup/nestjs-rabbitmq', variant: {} },
  { key: 'cloudamqp', module: 'cloudamqp', label: '@cloudamqp/amqp-client', variant: {} },
];

export function warrenWith(key: string, label: string, variant: Variant): SubjectSpec {
  return { key, module: 'warren', label: `warren ${label}`, variant };
}

/** Keeps raw (the ratios need it) and the subjects --subjects names. */
export function selectSubjects(all: readonly SubjectSpec[], only: readonly string[] | undefined): SubjectSpec[] {
  return all.filter((s) => s.key === 'raw' || only === undefined || only.some((o) => s.key === o || s.key.startsWith(`${o}-`)));
}
