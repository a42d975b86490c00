/**
 * An HTTP request body read as JSON and validated with a zod schema, or the 400 message naming
 * the first bad field (`body` when the text is not JSON or the problem is the whole body).
 */
import type { z } from 'zod';

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
