/**
 * Property tests: the Event Grid functions, invoked as the host invokes them, on malformed and
 * unknown events. `npm run fuzz` runs the same target with 10,000 cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sweepIdOfEvent } from '../../lib/events/handleEvent.js';
import { FindingsStore } from '../../lib/findings/findingsStore.js';
import { evaluateCluster } from '../../lib/posture/evaluateCluster.js';
import { compliantCluster } from '../harness/clusters.js';
import { sampleEvent } from '../harness/eventFixtures.js';
import { azuriteConnectionString, azuriteTable, uniqueTableName } from '../harness/tables.js';
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

  it('regression: the sweep id a reaction writes stays short, so a long event id cannot make the findings write fail', async () => {
    const cluster = compliantCluster({ disableLocalAccounts: false });
    const [finding] = evaluateCluster(cluster, undefined).findings.filter((candidate) => candidate.ruleId === 'AKS-LOCAL-ACCOUNTS');
    const scope = (sweepId: string) => ({
      subscriptionId: cluster.subscriptionId,
      sweepId,
      observedAt: new Date().toISOString(),
      coverage: new Map(),
      listingComplete: false,
    });
    const store = new FindingsStore(azuriteTable(uniqueTableName('longid')));
    await store.ensureTable();
    const longId = 'm'.repeat(40_000);
    // What the reaction wrote before: Azurite refuses the row (a Tables property holds 32 K characters).
    await expect(store.reconcileSubscription([finding!], scope(`event:${longId}`))).rejects.toThrow();
    expect(sweepIdOfEvent(longId).length).toBeLessThan(100);
    expect(sweepIdOfEvent('4f8e9d7c-1b2a-4c3d-9e8f-7a6b5c4d3e2f')).toBe('event:4f8e9d7c-1b2a-4c3d-9e8f-7a6b5c4d3e2f');
    await expect(store.reconcileSubscription([finding!], scope(sweepIdOfEvent(longId)))).resolves.toMatchObject({ opened: 1 });
  });
});
