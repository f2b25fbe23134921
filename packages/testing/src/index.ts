export { startTestBroker } from './startTestBroker.js';
export type { TestBroker, TestBrokerOptions } from './startTestBroker.js';
export { TestHarness } from './TestHarness.js';
export type { HarnessOptions, MessageOutcome } from './TestHarness.js';
