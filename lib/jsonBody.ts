/**
 * An HTTP request body read as JSON and validated with a zod schema, or the 400 message naming
 * the first bad field (`body` when the text is not JSON or the problem is the whole body).
 */
import { z } from 'zod';

import { readRequestBody, type RequestBody } from './boundedBody.js';
import { describeZodError } from './errors.js';

export function parseJsonBody<T extends z.ZodType>(text: string, schema: T): { data: z.infer<T> } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    return { error: 'body: must be JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { data: parsed.data };
  return { error: describeZodError(parsed.error, { whole: 'body' }) };
}

/**
 * A request body read within `limitBytes` (lib/boundedBody.ts), then {@link parseJsonBody}: 413
 * naming the limit for an oversized body, 400 naming the field for a bad one. Call it after the
 * role check, so an unauthorized caller's body is never read. `empty` stands for a blank body.
 */
export async function readJsonBody<T extends z.ZodType>(
  body: RequestBody,
  schema: T,
  options: { limitBytes: number; empty?: string },
): Promise<{ data: z.infer<T> } | { status: 400 | 413; error: string }> {
  const read = await readRequestBody(body, options.limitBytes);
  if ('tooLarge' in read) return { status: 413, error: read.tooLarge };
  const parsed = parseJsonBody(options.empty !== undefined && read.text.trim() === '' ? options.empty : read.text, schema);
  return 'error' in parsed ? { status: 400, error: parsed.error } : parsed;
}

/**
 * Records with an entry limit, for {@link boundedRecord}: zod records have no `.max()`, so the
 * limit is a refinement, registered here so a test can walk a schema and find every record's limit.
 */
export const recordLimits = z.registry<{ maxEntries: number }>();

/** `z.record(key, value)` holding at most `maxEntries` entries; the 400 message names the limit. */
export function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V, maxEntries: number) {
  const schema = z.record(key, value).refine((record) => Object.keys(record).length <= maxEntries, `must have at most ${maxEntries} entries`);
  recordLimits.add(schema, { maxEntries });
  return schema;
}
