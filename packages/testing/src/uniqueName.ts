import { randomUUID } from 'node:crypto';

/** A queue or exchange name no other test (or later run) uses: `t.<label>.<8 hex>`. */
export function uniqueName(label: string): string {
  return `t.${label}.${randomUUID().slice(0, 8)}`;
}
