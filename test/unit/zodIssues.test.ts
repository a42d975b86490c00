/** The one zod error formatter (lib/errors.ts): every caller names the field the same way. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { describeZodError, describeZodIssues } from '../../lib/errors.js';
import { parseJsonBody } from '../../lib/jsonBody.js';

const schema = z.object({ name: z.string(), items: z.array(z.object({ size: z.number().max(3, 'must be at most 3') })) });
const errorOf = (value: unknown) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
};

describe('describeZodIssues', () => {
  it('names the field dotted, says "is required" for a missing one, and names the whole value when the path is empty', () => {
    expect(describeZodIssues(errorOf({ items: [{ size: 9 }] }), { whole: 'body' })).toEqual(['name: is required', 'items.0.size: must be at most 3']);
    expect(describeZodError(errorOf('text'), { whole: 'body' })).toMatch(/^body: Invalid input: expected object, received string$/);
  });

  it('writes indexed paths, a prefix, or a path of its own', () => {
    const error = errorOf({ name: 'x', items: [{ size: 1 }, { size: 9 }] });
    expect(describeZodError(error, { whole: '(top level)', path: 'indexed' })).toBe('items[1].size: must be at most 3');
    expect(describeZodError(error, { whole: 'data', prefix: 'data' })).toBe('data.items.1.size: must be at most 3');
    expect(describeZodError(errorOf(null), { whole: 'data', prefix: 'data' })).toBe('data: Invalid input: expected object, received null');
    expect(describeZodError(error, { whole: '-', path: (path) => `<${path.length}>` })).toBe('<3>: must be at most 3');
  });

  it('is what request bodies answer with', () => {
    expect(parseJsonBody('{"items": []}', schema)).toEqual({ error: 'name: is required' });
    expect(parseJsonBody('[', schema)).toEqual({ error: 'body: must be JSON' });
  });
});
