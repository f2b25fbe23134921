import { z } from 'zod';

/** The bench payload's schema, for the subjects that validate (zod implements Standard Schema, which Warren takes). */
export const payloadSchema = z.object({ id: z.number().int(), t: z.number(), pad: z.string() });
