#!/usr/bin/env node
// `npm run test:integration`: the integration tests against the real RabbitMQ, in three batches
// (side by side, measuring, one at a time: scripts/lib/integration-batches.js says which file goes
// where and why). Each batch runs whatever the one before did; the exit status is the first
// failure's. Each batch prints how long it took.
import { join } from 'node:path';
import { integrationBatches, runTests } from './lib/integration-batches.js';

const root = join(import.meta.dirname, '..');
const statuses = [];
for (const batch of integrationBatches(root)) statuses.push(await runTests(root, batch.label, batch.files, batch.concurrency));
process.exit(statuses.find((s) => s !== 0) ?? 0);
