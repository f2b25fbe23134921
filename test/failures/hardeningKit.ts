/** What the hardening tests share: their job and how they send a batch of them. */
import type { BrokerAdmin } from '@warren/testing';

export type Job = { id: string; kind?: string };

/** Publishes `n` jobs with ids `<prefix>-<i>`, JSON, confirmed. */
export async function sendJobs(admin: BrokerAdmin, queue: string, prefix: string, n: number, kind?: string): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  await admin.sendMany(
    queue,
    ids.map((id) => ({ id, kind })),
  );
  return ids;
}
