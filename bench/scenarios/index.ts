import type { Scenario } from '../lib/types.js';
import { adaptiveConcurrency, adaptiveConcurrencyCollapse } from './adaptiveConcurrency.js';
import { blockedMemory } from './blockedMemory.js';
import { consumeScenarios } from './consume.js';
import { idle } from './idle.js';
import { instructionScenarios } from './instructions.js';
import { latency } from './latency.js';
import { publishScenarios } from './publish.js';
import { rpc } from './rpc.js';

/** Every benchmark, in run order. Add a scenario here. */
export const scenarios: readonly Scenario[] = [
  ...consumeScenarios,
  ...publishScenarios,
  latency,
  blockedMemory,
  rpc,
  idle,
  adaptiveConcurrency,
  adaptiveConcurrencyCollapse,
  ...instructionScenarios,
];
