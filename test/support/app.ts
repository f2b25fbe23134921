import { type AppDefinition, type AppRunOptions, silentLogger, WarrenApp } from '@warren/core';
import { BROKER_URL } from './broker.js';

/**
 * Creates and starts a Warren app on the test broker, with quiet logs unless WARREN_TEST_LOGS is
 * set. Warren's own tests reach into the app (its connections, consumers, events, stop report)
 * more than `TestHarness` is meant for; app teams use the harness.
 */
export async function startTestApp(definition: AppDefinition, options: AppRunOptions = {}): Promise<WarrenApp> {
  const app = await WarrenApp.create(definition, {
    urls: BROKER_URL,
    logger: process.env.WARREN_TEST_LOGS === undefined ? silentLogger() : undefined,
    shutdownGraceMs: 2000,
    // Warren's own tests say which of several URLs comes first (failover); apps shuffle by default.
    shuffle: false,
    ...options,
  } as AppRunOptions);
  await app.start();
  return app;
}
