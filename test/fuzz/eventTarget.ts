/**
 * Event Grid fuzz target: `aksEvents` and `policyEvents` invoked as the host invokes them, with
 * arbitrary JSON and with the documented sample events (both schemas) mutated. For the Event Grid
 * trigger a thrown error means "retry" (for up to a day), so the properties are: the invocation
 * never throws (nothing here is transient: the simulator and Azurite are up); a malformed event is
 * completed as `rejected` with a message naming the field and is not recorded as processed (a
 * corrected redelivery still counts); an event of a type the function does not handle is ignored.
 */
import fc from 'fast-check';

import { getStoredRuntime } from '../../lib/app/runtime.js';
import { eventFixtureNames, sampleEvent } from '../harness/eventFixtures.js';
import type { FuzzApp } from './fuzzApp.js';
import { type FuzzTarget, violated } from './fuzzTarget.js';
import { awkwardJson, type Json, mutated } from './jsonMutations.js';

export type EventFunction = 'aksEvents' | 'policyEvents';

export interface EventInput {
  function: EventFunction;
  event: Json;
}

/** Clusters of the sample fleet the simulator serves, and one that does not exist. */
const CLUSTERS = [
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev',
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/payments/providers/Microsoft.ContainerService/managedClusters/payments-prod',
  '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/gone/providers/Microsoft.ContainerService/managedClusters/gone',
];

const STATUS = /: (processed|duplicate|ignored|stale|rejected|failed): /;
/**
 * How a rejection names the field: the envelope's (`Event Grid event: eventTime: ...`), the data's
 * (`data.kubernetesVersion: ...`), or the id that is not a cluster (`topic: ...`).
 */
const FIELD_NAMED = /^(event: expected one JSON object|(Event Grid|CloudEvents) event: ([\w.]+|\(event\)): |data(\.[\w.]+)?: |(topic|source|subject): )/;

function functionFor(fixture: string): EventFunction {
  return fixture.startsWith('aks-') ? 'aksEvents' : 'policyEvents';
}

export function eventArbitrary(): fc.Arbitrary<EventInput> {
  const fixtures = eventFixtureNames();
  const valid = fc
    .record({
      fixture: fc.constantFrom(...fixtures),
      cluster: fc.constantFrom(...CLUSTERS),
      id: fc.uuid(),
      time: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
    })
    .map(({ fixture, cluster, id, time }) => ({ fixture, event: sampleEvent(fixture, { cluster, id, time: time.toISOString() }) as Json }));
  const anyFunction = fc.constantFrom<EventFunction>('aksEvents', 'policyEvents');
  return fc.oneof(
    // Almost valid: a documented event with a few fields deleted, nulled, retyped or added.
    {
      arbitrary: valid.chain(({ fixture, event }) =>
        mutated(fc.constant(event)).map((mutatedEvent) => ({ function: functionFor(fixture), event: mutatedEvent })),
      ),
      weight: 5,
    },
    // Valid, but sent to the other function, or of a type nobody handles yet: ignored, not rejected.
    {
      arbitrary: valid.map(({ fixture, event }) => ({
        function: functionFor(fixture) === 'aksEvents' ? ('policyEvents' as const) : ('aksEvents' as const),
        event,
      })),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(valid, fc.string({ minLength: 1, maxLength: 20 })).map(([{ fixture, event }, suffix]) => {
        const record = event as Record<string, Json>;
        const field = 'specversion' in record ? 'type' : 'eventType';
        return { function: functionFor(fixture), event: { ...record, [field]: `${typeof record[field] === 'string' ? record[field] : ''}${suffix}` } };
      }),
      weight: 1,
    },
    // Valid and untouched: these must be processed (the other properties are not vacuous).
    { arbitrary: valid.map(({ fixture, event }) => ({ function: functionFor(fixture), event })), weight: 1 },
    // Valid, with an id longer than an Azure Tables property may be (64 KiB).
    {
      arbitrary: fc
        .tuple(valid, fc.integer({ min: 33_000, max: 70_000 }))
        .map(([{ fixture, event }, length]) => ({ function: functionFor(fixture), event: { ...(event as Record<string, Json>), id: 'i'.repeat(length) } })),
      weight: 1,
    },
    // Anything at all.
    { arbitrary: fc.record({ function: anyFunction, event: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) as fc.Arbitrary<Json> }), weight: 2 },
    {
      arbitrary: fc.record({
        function: anyFunction,
        event: fc.record(
          {
            id: awkwardJson,
            eventType: awkwardJson,
            type: awkwardJson,
            subject: awkwardJson,
            topic: awkwardJson,
            source: awkwardJson,
            eventTime: awkwardJson,
            data: awkwardJson,
            dataVersion: awkwardJson,
            specversion: fc.constantFrom<Json>('1.0', 1, null),
          },
          { requiredKeys: [] },
        ),
      }),
      weight: 1,
    },
  );
}

export function eventTarget(app: FuzzApp): FuzzTarget<EventInput> {
  return {
    name: 'event grid',
    arbitrary: eventArbitrary(),
    async check(input) {
      const logged = app.host.logsOf(input.function).length;
      try {
        await app.host.invokeEventGrid(input.function, input.event);
      } catch (error) {
        violated(`${input.function} threw, so Event Grid would redeliver it for a day: ${String(error).slice(0, 500)}`);
      }
      const line = app.host
        .logsOf(input.function)
        .slice(logged)
        .find((entry) => entry.message.startsWith('event '));
      const match = line === undefined ? null : STATUS.exec(line.message);
      if (line === undefined || match === null) violated(`${input.function} logged no outcome`);
      const status = match[1]!;
      const message = line.message.slice(match.index + match[0].length);
      if (status === 'rejected') {
        if (!FIELD_NAMED.test(message)) violated(`a rejection does not name the field: ${message.slice(0, 300)}`);
        if (line.level.toLowerCase() !== 'warning') violated(`a rejection is logged at ${line.level}, not as a warning`);
        const id = (input.event as Record<string, unknown> | null)?.['id'];
        const { clients } = await getStoredRuntime();
        if (typeof id === 'string' && id !== '' && !/^(event|Event Grid event|CloudEvents event): /.test(message) && (await clients.notices.wasProcessed(id))) {
          violated(`rejected event ${id} was recorded as processed, so a corrected redelivery would be dropped`);
        }
      }
      return [status];
    },
  };
}
