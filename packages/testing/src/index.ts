export type { TestBroker, TestBrokerOptions } from './startTestBroker.js';
export { startTestBroker } from './startTestBroker.js';
export type { HarnessOptions, MessageOutcome } from './TestHarness.js';
export { TestHarness } from './TestHarness.js';
