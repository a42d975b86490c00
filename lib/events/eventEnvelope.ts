/**
 * Event Grid delivers either the Event Grid schema or CloudEvents 1.0, depending on the
 * subscription. Both are normalised to one envelope; anything else is rejected with the field named.
 */
import { z } from 'zod';

import { describeZodError, FleetGuardError } from '../errors.js';

export interface EventEnvelope {
  schema: 'eventgrid' | 'cloudevents';
  id: string;
  type: string;
  /** `topic` (Event Grid) or `source` (CloudEvents): the cluster id for AKS events, the scope for policy events. */
  source: string;
  subject: string;
  /** ISO time the event happened. */
  time: string;
  data: unknown;
}

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 time');

const eventGridSchema = z.object({
  id: z.string().min(1),
  eventType: z.string().min(1),
  subject: z.string(),
  eventTime: isoTime,
  data: z.unknown(),
  dataVersion: z.string(),
  topic: z.string().min(1),
  metadataVersion: z.string().optional(),
});

const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  subject: z.string().optional(),
  time: isoTime.optional(),
  data: z.unknown(),
});

function firstProblem(error: z.ZodError): string {
  return describeZodError(error, { whole: '(event)' });
}

/** Event-time strings may carry seven fractional digits; normalise to what Date prints. */
function normaliseTime(value: string): string {
  return new Date(value).toISOString();
}

export function parseEventEnvelope(raw: unknown): EventEnvelope {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FleetGuardError('badInput', `event: expected one JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  if ('specversion' in raw || 'specVersion' in raw) {
    const parsed = cloudEventSchema.safeParse(raw);
    if (!parsed.success) throw new FleetGuardError('badInput', `CloudEvents event: ${firstProblem(parsed.error)}`);
    const event = parsed.data;
    // Without a time, the event is treated as older than anything stored, so it can never override newer state.
    return {
      schema: 'cloudevents',
      id: event.id,
      type: event.type,
      source: event.source,
      subject: event.subject ?? '',
      time: normaliseTime(event.time ?? new Date(0).toISOString()),
      data: event.data,
    };
  }
  const parsed = eventGridSchema.safeParse(raw);
  if (!parsed.success) throw new FleetGuardError('badInput', `Event Grid event: ${firstProblem(parsed.error)}`);
  const event = parsed.data;
  return {
    schema: 'eventgrid',
    id: event.id,
    type: event.eventType,
    source: event.topic,
    subject: event.subject,
    time: normaliseTime(event.eventTime),
    data: event.data,
  };
}

/** `id` and `type` of whatever arrived, for logging an event we could not parse. */
export function describeRawEvent(raw: unknown): string {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const id = typeof record['id'] === 'string' ? record['id'] : '?';
  const type = typeof record['eventType'] === 'string' ? record['eventType'] : typeof record['type'] === 'string' ? record['type'] : '?';
  return `id ${id}, type ${type}`;
}
