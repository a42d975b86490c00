/**
 * Property tests: the posture path (snapshot validation, SDK listing, converters, rules) on
 * arbitrary and almost-valid ManagedCluster JSON. `npm run fuzz` runs the same target longer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { toVersionCatalog } from '../../lib/azure/containerServiceConverters.js';
import { startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { formatCounts, runFuzzTarget } from './fuzzTarget.js';
import { type PostureInput, type RunningFuzzTarget, startPostureTarget } from './postureTarget.js';

describe('posture fuzzing', () => {
  let target: RunningFuzzTarget<PostureInput>;
  beforeAll(async () => {
    target = await startPostureTarget();
  });
  afterAll(() => target.close());

  it('never throws on arbitrary cluster JSON: every case is evaluated or a named input error', async () => {
    const run = await runFuzzTarget(target, { numRuns: Number(process.env['FUZZ_RUNS'] ?? 150) });
    console.log(`posture: ${run.runs} cases in ${run.milliseconds} ms (seed ${run.seed}): ${formatCounts(run.counts)}`);
    expect(run.failure).toBeUndefined();
  });
});

describe('posture regressions found by fuzzing', () => {
  const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';

  it('one cluster the SDK cannot deserialise no longer fails its whole subscription as a retryable server error', async () => {
    const local = await startLocalAzure({ snapshot: loadSnapshot(sampleFleetDirectory()), pageSize: 2, settings: { FLEETGUARD_HTTP_MAX_RETRIES: '0' } });
    try {
      const clusters = local.simulator.fleet.clustersOf(SUBSCRIPTION);
      const total = clusters.length;
      // The SDK's model deserialiser calls .map on these: a TypeError for the whole page before the fix.
      (clusters[0]!['properties'] as Record<string, unknown>)['agentPoolProfiles'] = 'not a list';
      (clusters[1]!['properties'] as Record<string, unknown>)['aadProfile'] = { managed: true, adminGroupObjectIDs: 'x' };
      clusters.push(null as unknown as Record<string, unknown>);
      const service = createAzureClients(local.config).containerService;
      const listing = await service.listClusters(SUBSCRIPTION);
      expect(listing.clusters).toHaveLength(total);
      expect(listing.clusters.find((cluster) => cluster.name === clusters[0]!['name'])?.agentPools).toEqual([]);
      expect(listing.clusters.find((cluster) => cluster.name === clusters[1]!['name'])?.aadManaged).toBe(true);
      expect(listing.rejected).toEqual([{ name: '?', problem: expect.stringContaining('(field: id)') }]);
      const [, resourceGroup, name] = /resourceGroups\/([^/]+)\/.*managedClusters\/([^/]+)$/i.exec(String(clusters[0]!['id']))!;
      expect((await service.getCluster(SUBSCRIPTION, resourceGroup!, name!))?.agentPools).toEqual([]);

      local.simulator.fleet.versionsByLocation.set('northeurope', { values: 'not a list' });
      await expect(service.listKubernetesVersions(SUBSCRIPTION, 'northeurope')).resolves.toEqual({ location: 'northeurope', minors: [] });
    } finally {
      await local.close();
    }
  });

  it('a versions body that is null lists no versions instead of throwing a TypeError', () => {
    expect(toVersionCatalog('northeurope', null as never)).toEqual({ location: 'northeurope', minors: [] });
  });
});
