import type { Scenario } from '../lib/types.js';
import { blockedMemory } from './blockedMemory.js';
import { consumeThroughput } from './consumeThroughput.js';
import { publishThroughput } from './publishThroughput.js';

/** Every benchmark, in run order. Add a scenario here (consumer benches go here too). */
export const scenarios: readonly Scenario[] = [publishThroughput, consumeThroughput, blockedMemory];
