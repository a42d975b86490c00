/**
 * The one way stores map Azure Table entities: a zod schema per entity reads what comes back
 * from the table (and turns it into the domain type), and the store's `toEntity` is typed by that
 * schema's input, so what is written is what the schema reads. A row that does not match is a
 * FleetGuardError naming the table, the row's keys and the field, never a TypeError further on.
 * Each store keeps its own policy for such a row: fail the read (findings, sweep records), or
 * skip the row (notices, notification log, silences) as it always did.
 */
import { z } from 'zod';

import { describeZodError, FleetGuardError } from '../errors.js';

/** What a store writes for an entity schema: the schema's input shape with the table keys. */
export type EntityOf<Schema extends z.ZodType> = z.input<Schema> & { partitionKey: string; rowKey: string };

function keysOf(entity: Record<string, unknown>): string {
  const key = (name: string) => (typeof entity[name] === 'string' ? entity[name] : '?');
  return `${key('partitionKey')}/${key('rowKey')}`;
}

/** The row parsed by `schema`, or the error naming table, keys and field. */
export function safeParseEntity<Schema extends z.ZodType>(
  schema: Schema,
  table: string,
  entity: Record<string, unknown>,
): { value: z.output<Schema> } | { error: FleetGuardError } {
  const parsed = schema.safeParse(entity);
  if (parsed.success) return { value: parsed.data };
  return { error: new FleetGuardError('badInput', `table ${table} row ${keysOf(entity)}: ${describeZodError(parsed.error, { whole: '(row)' })}`) };
}

/** The row parsed by `schema`; a row that does not match throws (see {@link safeParseEntity}). */
export function parseEntity<Schema extends z.ZodType>(schema: Schema, table: string, entity: Record<string, unknown>): z.output<Schema> {
  const parsed = safeParseEntity(schema, table, entity);
  if ('error' in parsed) throw parsed.error;
  return parsed.value;
}

/** Text that may be absent: empty or not text reads as absent. */
export const optionalText = z
  .string()
  .optional()
  .catch(undefined)
  .transform((value) => (value === '' ? undefined : value));

/** Text that reads as '' when absent or not text (columns that older rows lack). */
export const textOrEmpty = z.string().catch('');

/** A number that reads as `fallback` when absent or not a number. */
export function numberOr(fallback: number) {
  return z.number().catch(fallback);
}

/**
 * A JSON column (Tables hold scalars only): text whose JSON `parse` accepts, else `fallback`.
 * Written with JSON.stringify.
 */
export function jsonText<T>(parse: (value: unknown) => T | undefined, fallback: () => T) {
  return z
    .string()
    .optional()
    .catch(undefined)
    .transform((text): T => {
      if (text === undefined) return fallback();
      try {
        return parse(JSON.parse(text) as unknown) ?? fallback();
      } catch {
        return fallback();
      }
    });
}

/** Tags or any map of text to text: entries whose value is not text are dropped; anything else reads as {}. */
export const textMapJson = jsonText(
  (value): Record<string, string> | undefined =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
      : undefined,
  () => ({}),
);
