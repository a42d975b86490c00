import { describe, expect, it } from 'vitest';

import { describeRawEvent, parseEventEnvelope } from '../../../lib/events/eventEnvelope.js';
import { eventFixtureNames, sampleEvent } from '../../harness/eventFixtures.js';

describe('Event Grid envelopes', () => {
  it('has the documented samples in both schemas', () => {
    expect(eventFixtureNames()).toHaveLength(20);
  });

  it.each(eventFixtureNames())('parses the documented sample %s', (name) => {
    const raw = sampleEvent(name);
    const event = parseEventEnvelope(raw);
    expect(event.schema).toBe(name.includes('.cloudevents.') ? 'cloudevents' : 'eventgrid');
    expect(event.type).toMatch(/^Microsoft\.(ContainerService|PolicyInsights)\./);
    expect(event.id).toBe(raw['id']);
    // Seven fractional digits are normalised.
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(event.data).toEqual(raw['data']);
  });

  it('both schemas of one event give the same envelope but for the schema', () => {
    const grid = parseEventEnvelope(sampleEvent('aks-support-ending.eventgrid.json'));
    const cloud = parseEventEnvelope(sampleEvent('aks-support-ending.cloudevents.json'));
    expect({ ...grid, schema: undefined }).toEqual({ ...cloud, schema: undefined });
  });

  it.each([
    ['a missing id', (event: Record<string, unknown>) => delete event['id'], /Event Grid event: id: is required/],
    ['a bad eventTime', (event: Record<string, unknown>) => (event['eventTime'] = 'yesterday'), /eventTime: must be an ISO 8601 time/],
    ['a missing topic', (event: Record<string, unknown>) => delete event['topic'], /topic: is required/],
    ['a numeric eventType', (event: Record<string, unknown>) => (event['eventType'] = 7), /eventType/],
  ])('rejects an Event Grid event with %s, naming the field', (_label, mutate, message) => {
    const event = sampleEvent('aks-support-ending.eventgrid.json');
    mutate(event);
    expect(() => parseEventEnvelope(event)).toThrow(message);
  });

  it('rejects CloudEvents with another spec version or no source', () => {
    expect(() => parseEventEnvelope({ ...sampleEvent('aks-support-ending.cloudevents.json'), specversion: '0.3' })).toThrow(/CloudEvents event: specversion/);
    const event = sampleEvent('aks-support-ending.cloudevents.json');
    delete event['source'];
    expect(() => parseEventEnvelope(event)).toThrow(/CloudEvents event: source: is required/);
  });

  it('rejects non-objects and batches', () => {
    expect(() => parseEventEnvelope([sampleEvent('aks-support-ending.eventgrid.json')])).toThrow(/expected one JSON object, got an array/);
    expect(() => parseEventEnvelope('{"id": 1}')).toThrow(/got string/);
    expect(() => parseEventEnvelope(null)).toThrow(/got object/);
  });

  it('describes whatever arrived by id and type, for logs', () => {
    expect(describeRawEvent({ id: 'e1', eventType: 'X' })).toBe('id e1, type X');
    expect(describeRawEvent({ id: 'e2', type: 'Y' })).toBe('id e2, type Y');
    expect(describeRawEvent(42)).toBe('id ?, type ?');
  });
});
