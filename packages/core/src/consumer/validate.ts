import { DecodeError } from '../errors/handlerErrors.js';
import type { StandardSchemaIssue, StandardSchemaV1 } from '../options/StandardSchema.js';

/** Runs a Standard Schema validator; throws a DecodeError listing the issues (paths and messages, never values). */
export async function validatePayload(schema: StandardSchemaV1, value: unknown): Promise<unknown> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map(formatIssue);
  throw new DecodeError('schema', `payload failed the schema: ${issues.join('; ')}`);
}

function formatIssue(issue: StandardSchemaIssue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
