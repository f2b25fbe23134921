import 'reflect-metadata';
import { Consumer, type MessageContext, Publisher, Reject, Worker } from '@warren/core';
import { inject } from 'inversify';
import { type EnrichedReading, type IngestedReading, QUEUES, type Reading, type StoredReading } from './readings.js';
import { Sensors } from './Sensors.js';
import { Warehouse } from './Warehouse.js';

/*
 * Three stages, each a worker that publishes to the next queue through the injected Publisher. The
 * app's publisher has a mark on the next queues (app.ts, `limits`): a publish to a queue at its mark
 * waits, so the handler takes longer, its prefetch window stays full, and the broker sends this
 * stage no more. A slow last stage so slows every stage before it, hop by hop, down to the producer,
 * and no queue grows past its mark: the backlog stays where it started, and memory stays bounded.
 */

/** Checks each reading and stamps it. Fast: its pace is whatever pipeline.enrich can take. */
@Consumer({ queue: QUEUES.ingest, prefetch: 20, retry: { attempts: 3, delayMs: [500, 2000] } })
export class IngestWorker extends Worker<Reading> {
  constructor(@inject(Publisher) private readonly publisher: Publisher) {
    super();
  }

  async handle(reading: Reading): Promise<void> {
    if (typeof reading?.id !== 'string' || typeof reading.sensorId !== 'string' || !Number.isFinite(reading.value)) {
      throw new Reject(`reading ${String(reading?.id)}: needs an id, a sensorId and a numeric value`);
    }
    const next: IngestedReading = { ...reading, ingestedAt: new Date().toISOString() };
    // Waits while pipeline.enrich is at its mark.
    await this.publisher.send(QUEUES.enrich, next);
  }
}

/** Adds what the sensor registry knows. Fast too: its pace is whatever pipeline.store can take. */
@Consumer({ queue: QUEUES.enrich, prefetch: 20, retry: { attempts: 3, delayMs: [500, 2000] } })
export class EnrichWorker extends Worker<IngestedReading> {
  constructor(
    @inject(Sensors) private readonly sensors: Sensors,
    @inject(Publisher) private readonly publisher: Publisher,
  ) {
    super();
  }

  async handle(reading: IngestedReading, ctx: MessageContext<IngestedReading>): Promise<void> {
    const sensor = await this.sensors.describe(reading.sensorId, { signal: ctx.signal });
    if (sensor === undefined) throw new Reject(`reading ${reading.id}: unknown sensor ${reading.sensorId}`);
    const next: EnrichedReading = { ...reading, ...sensor };
    // Waits while pipeline.store is at its mark.
    await this.publisher.send(QUEUES.store, next);
  }
}

/** Writes each reading to the warehouse (slow), then announces it on pipeline.stored. */
@Consumer({ queue: QUEUES.store, prefetch: 5, retry: { attempts: 3, delayMs: [500, 2000] } })
export class StoreWorker extends Worker<EnrichedReading> {
  constructor(
    @inject(Warehouse) private readonly warehouse: Warehouse,
    @inject(Publisher) private readonly publisher: Publisher,
  ) {
    super();
  }

  async handle(reading: EnrichedReading, ctx: MessageContext<EnrichedReading>): Promise<void> {
    await this.warehouse.write(reading, { signal: ctx.signal });
    const receipt: StoredReading = { id: reading.id, storedAt: new Date().toISOString() };
    await this.publisher.send(QUEUES.stored, receipt, { correlationId: reading.id });
  }
}

/** Consumes the receipts (declaring pipeline.stored, so they have somewhere to go); a real app would notify someone. */
@Consumer({ queue: QUEUES.stored, prefetch: 50 })
export class ReceiptWorker extends Worker<StoredReading> {
  #total = 0;

  async handle(receipt: StoredReading, ctx: MessageContext<StoredReading>): Promise<void> {
    this.#total++;
    if (this.#total % 500 === 0) ctx.log.info({ stored: this.#total, last: receipt.id }, 'readings stored so far');
  }
}
