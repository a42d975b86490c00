/**
 * Plan exclusions and production tagging the StrykerJS run left unguarded (docs/mutation-testing.md):
 * who is in scope, which wave counts as production (separation of duties), and clusters whose
 * version cannot be read.
 */
import { describe, expect, it } from 'vitest';

import type { Cluster } from '../../../lib/model/cluster.js';
import type { KubernetesVersionCatalog } from '../../../lib/model/kubernetesVersions.js';
import { isProductionTagged, planRollout, type RolloutRequest } from '../../../lib/upgrades/plan.js';
import { compliantCluster } from '../../harness/clusters.js';
import { planRequest } from '../../harness/rolloutRequests.js';

const CATALOG: KubernetesVersionCatalog = {
  location: 'northeurope',
  minors: [
    { minor: '1.31', isPreview: false, isDefault: false, supportPlans: [], patches: { '1.31.3': [] } },
    { minor: '1.32', isPreview: false, isDefault: true, supportPlans: [], patches: { '1.32.3': [] } },
  ],
};

const cluster = (name: string, subscriptionId: string, overrides: Partial<Cluster> = {}): Cluster =>
  compliantCluster({
    name,
    subscriptionId,
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
    kubernetesVersion: '1.31.3',
    tags: { ring: '1' },
    ...overrides,
  });

const plan = (clusters: Cluster[], overrides: Partial<RolloutRequest> = {}) =>
  planRollout(clusters, new Map([['northeurope', CATALOG]]), planRequest(overrides));
const names = (result: ReturnType<typeof plan>) => result.waves.flatMap((wave) => wave.clusters.map((planned) => planned.name));

describe('production tagging', () => {
  it('env or environment (any case, trimmed) = prod or production (any case, trimmed), nothing looser', () => {
    for (const tags of <Array<Record<string, string>>>[{ env: 'prod' }, { Environment: 'Production' }, { ' ENV ': ' PROD ' }])
      expect(isProductionTagged(tags), JSON.stringify(tags)).toBe(true);
    for (const tags of <Array<Record<string, string>>>[
      { env: 'preprod' },
      { env: 'production-eu' },
      { environments: 'prod' },
      { myenv: 'prod' },
      { tier: 'prod' },
      {},
    ])
      expect(isProductionTagged(tags), JSON.stringify(tags)).toBe(false);
  });

  it('marks the wave that holds a production cluster, and only that one', () => {
    const result = plan([cluster('a', 's1', { tags: { ring: '1', env: 'prod' } }), cluster('b', 's1', { tags: { ring: '2', env: 'dev' } })]);
    expect(result.waves.map((wave) => [wave.name, wave.production === true])).toEqual([
      ['1', true],
      ['2', false],
    ]);
  });
});

describe('scope', () => {
  const fleet = [cluster('a', 'S1'), cluster('b', 's2'), cluster('c', 's2')];

  it('by subscription (case-insensitive)', () => {
    expect(names(plan(fleet, { scope: { subscriptions: ['s1'] } }))).toEqual(['a']);
  });

  it('by cluster id (case-insensitive, trailing slash) or by name', () => {
    expect(names(plan(fleet, { scope: { clusterIds: [`${fleet[1]!.id.toUpperCase()}/`] } }))).toEqual(['b']);
    expect(names(plan(fleet, { scope: { clusterIds: ['C'] } }))).toEqual(['c']);
    expect(names(plan(fleet, { scope: { clusterIds: ['nosuch'] } }))).toEqual([]);
  });
});

describe('exclusions', () => {
  it('a cluster whose version is unknown or unreadable is excluded with that reason', () => {
    const result = plan([cluster('a', 's1', { kubernetesVersion: undefined }), cluster('b', 's1', { kubernetesVersion: 'latest' })]);
    expect(result.excluded).toEqual([
      { resourceId: expect.stringMatching(/\/a$/), reason: 'the current Kubernetes version is unknown' },
      { resourceId: expect.stringMatching(/\/b$/), reason: 'the current Kubernetes version is unknown' },
    ]);
  });
});
