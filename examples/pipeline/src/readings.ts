/** The queues of the pipeline, in order: each stage consumes one and publishes to the next. */
export const QUEUES = {
  ingest: 'pipeline.ingest',
  enrich: 'pipeline.enrich',
  store: 'pipeline.store',
  /** Receipts of stored readings, for whoever wants them (the demo reads them to account for every id). */
  stored: 'pipeline.stored',
} as const;

/** A sensor reading, as devices publish it to `pipeline.ingest`. */
export interface Reading {
  id: string;
  sensorId: string;
  value: number;
  takenAt: string;
}

/** Checked and stamped by the ingest stage. */
export interface IngestedReading extends Reading {
  ingestedAt: string;
}

/** With what the enrich stage knows of its sensor. */
export interface EnrichedReading extends IngestedReading {
  site: string;
  unit: string;
}

/** What the store stage announces on `pipeline.stored` once a reading is written. */
export interface StoredReading {
  id: string;
  storedAt: string;
}
