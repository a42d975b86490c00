/**
 * Property tests: the Event Grid functions, invoked as the host invokes them, on malformed and
 * unknown events. `npm run fuzz` runs the same target with 10,000 cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sampleEvent } from '../harness/eventFixtures.js';
import { azuriteConnectionString } from '../harness/tables.js';
import { type EventInput, eventTarget } from './eventTarget.js';
import { type FuzzApp, startFuzzApp } from './fuzzApp.js';
import { formatCounts, type FuzzTarget, runFuzzTarget } from './fuzzTarget.js';

describe('Event Grid functions fuzzing', () => {
  let app: FuzzApp;
  let target: FuzzTarget<EventInput>;
  beforeAll(async () => {
    app = await startFuzzApp(azuriteConnectionString());
    target = eventTarget(app);
  });
  afterAll(() => app.close());

  it('never throws (no retry loop on a poison event); rejections name the field; unknown types are ignored', async () => {
    const run = await runFuzzTarget(target, { numRuns: Number(process.env['FUZZ_RUNS'] ?? 150) });
    console.log(`event grid: ${run.runs} cases in ${run.milliseconds} ms (seed ${run.seed}): ${formatCounts(run.counts)}`);
    expect(run.failure).toBeUndefined();
    // The generators reach every kind of outcome, so the properties above are not vacuous.
    expect([...run.counts.keys()]).toEqual(expect.arrayContaining(['processed', 'ignored', 'rejected']));
  });

  it('regression: an event whose data is not an object is rejected naming `data`, not `data.`', async () => {
    const cluster = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
    await app.host.invokeEventGrid('aksEvents', { ...sampleEvent('aks-support-ended.cloudevents.json', { cluster, id: 'data-null-1' }), data: null });
    expect(app.host.logsOf('aksEvents').at(-1)?.message).toMatch(/id data-null-1, .*: rejected: data: Invalid input: expected object, received null/);
  });

  it('regression: a valid event with an id too long for a Tables property completes instead of throwing (a day of redeliveries)', async () => {
    const cluster = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
    const event = sampleEvent('aks-nodepool-rolling-started.eventgrid.json', { cluster, id: 'l'.repeat(40_000) });
    await expect(app.host.invokeEventGrid('aksEvents', event)).resolves.toBeDefined();
  });
});
