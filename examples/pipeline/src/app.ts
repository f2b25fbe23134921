import 'reflect-metadata';
import { defineApp } from '@warren/core';
import { QUEUES } from './readings.js';
import { Sensors } from './Sensors.js';
import { EnrichWorker, IngestWorker, ReceiptWorker, StoreWorker } from './stages.js';
import { Warehouse } from './Warehouse.js';

export type { EnrichedReading, IngestedReading, Reading, StoredReading } from './readings.js';
export { QUEUES } from './readings.js';
export { Sensors } from './Sensors.js';
export { EnrichWorker, IngestWorker, ReceiptWorker, StoreWorker } from './stages.js';
export { Warehouse } from './Warehouse.js';

/** The marks on the queues between stages: at 200 ready, publishes to the queue wait. */
export const MARKS = { [QUEUES.enrich]: 200, [QUEUES.store]: 200 } as const;

/** Run it with `warren start examples/pipeline/dist/app.js` (after `npm run build`); `npm start` shows it under load. */
export default defineApp({
  name: 'pipeline',
  consumers: [IngestWorker, EnrichWorker, StoreWorker, ReceiptWorker],
  publisher: {
    limits: {
      [QUEUES.enrich]: { maxReady: MARKS[QUEUES.enrich] },
      [QUEUES.store]: { maxReady: MARKS[QUEUES.store] },
    },
  },
  configure: (container) => {
    container.bind(Sensors).toSelf().inSingletonScope();
    container.bind(Warehouse).toSelf().inSingletonScope();
  },
});
