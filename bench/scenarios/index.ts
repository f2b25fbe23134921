import type { Scenario } from '../lib/types.js';
import { adaptiveConcurrency, adaptiveConcurrencyCollapse } from './adaptiveConcurrency.js';
import { blockedMemory } from './blockedMemory.js';
import { consumeThroughput } from './consumeThroughput.js';
import { publishThroughput } from './publishThroughput.js';
import { rpc } from './rpc.js';

/** Every benchmark, in run order. Add a scenario here (consumer benches go here too). */
export const scenarios: readonly Scenario[] = [
  publishThroughput,
  consumeThroughput,
  blockedMemory,
  rpc,
  adaptiveConcurrency,
  adaptiveConcurrencyCollapse,
];
