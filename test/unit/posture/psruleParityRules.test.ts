/**
 * PSRule for Azure parity (issue 16): each rule's condition as PSRule.Rules.Azure states it
 * (Azure.AKS.Rule.ps1 fd7291f5, Azure.AKS.Rule.yaml 607eb180), over ARM bodies: the official REST
 * examples (test/fixtures/azure-rest/containerservice, sources in its SOURCES.json) read through the
 * same converter as the sweep, and normalised clusters for each edge.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { clusterFromArmJson } from '../../../lib/azure/armClusterJson.js';
import type { AgentPool, Cluster } from '../../../lib/model/cluster.js';
import { evaluateCluster } from '../../../lib/posture/evaluateCluster.js';
import { PSRULE_PARITY_RULES } from '../../../lib/posture/psruleParityRules.js';
import { DEFAULT_POSTURE_SETTINGS, type PostureSettings } from '../../../lib/posture/rule.js';
import { compliantCluster } from '../../harness/clusters.js';
import { restExamples } from '../../harness/fixtures.js';

const PARITY_IDS = new Set(PSRULE_PARITY_RULES.map((rule) => rule.id));

function parity(cluster: Cluster, settings: PostureSettings = DEFAULT_POSTURE_SETTINGS) {
  return evaluateCluster(cluster, undefined, settings).findings.filter((finding) => PARITY_IDS.has(finding.ruleId));
}

function ids(cluster: Cluster, settings?: PostureSettings): string[] {
  return parity(cluster, settings).map((finding) => finding.ruleId);
}

function exampleBody(file: string): Record<string, unknown> {
  const example = JSON.parse(readFileSync(path.join(restExamples, file), 'utf8')) as { responses: Record<string, { body: Record<string, unknown> }> };
  const body = example.responses['200']?.body;
  if (body === undefined) throw new Error(`${file} has no 200 body`);
  return body;
}

/** The compliant cluster's system pool (zones 1-3, three nodes), with one thing changed. */
function pool(overrides: Partial<AgentPool>): AgentPool {
  const [system] = compliantCluster().agentPools;
  if (system === undefined) throw new Error('compliantCluster has no pool');
  return { ...system, ...overrides };
}

describe('PSRule parity rules on the official REST examples', () => {
  it('ManagedClustersGet (2025-07-01): a service principal and no monitoring add-on; its pool without mode counts as system, as in PSRule', () => {
    const cluster = clusterFromArmJson(exampleBody('ManagedClustersGet.2025-07-01.json'));
    expect(cluster.identityType).toBeUndefined();
    expect(cluster.servicePrincipalClientId).toBe('clientid');
    expect(cluster.agentPools[0]).toMatchObject({ mode: undefined, count: 3, availabilityZones: ['1', '2', '3'] });
    expect(ids(cluster)).toEqual(['AKS-MANAGED-IDENTITY', 'AKS-CONTAINER-INSIGHTS']);
    expect(parity(cluster)[0]?.detail).toContain('servicePrincipalProfile.clientId is clientid');
  });

  it('ManagedClustersGet: its tag tier=production makes it production when the setting names that tag (no sku: the Free tier)', () => {
    const cluster = clusterFromArmJson(exampleBody('ManagedClustersGet.2025-07-01.json'));
    const tierTag: PostureSettings = { productionTag: { name: 'Tier', values: ['PRODUCTION'] } };
    expect(ids(cluster, tierTag)).toContain('AKS-PRODUCTION-TIER');
    expect(parity(cluster, tierTag).find((finding) => finding.ruleId === 'AKS-PRODUCTION-TIER')?.detail).toContain('tagged tier=production');
  });

  it('ManagedClustersCreate_Update (2025-07-01): a user-assigned identity, a zonal scale-set system pool in a location PSRule knows no zones for', () => {
    const cluster = clusterFromArmJson(exampleBody('ManagedClustersCreate_Update.2025-07-01.json'));
    expect(cluster.identityType).toBe('UserAssigned');
    expect(cluster.agentPools[0]).toMatchObject({ mode: 'System', type: 'VirtualMachineScaleSets', availabilityZones: ['1', '2', '3'] });
    expect(ids(cluster)).toEqual(['AKS-CONTAINER-INSIGHTS']);
  });
});

describe('PSRule parity rules, one condition at a time', () => {
  it('a compliant cluster fires none of them', () => {
    expect(ids(compliantCluster())).toEqual([]);
  });

  it('AKS-KV-SECRET-ROTATION (Azure.AKS.SecretStoreRotation): only with the add-on enabled, passes on enableSecretRotation "true" in any case', () => {
    const addons = (config: Record<string, string>, enabled = true): Partial<Cluster> => ({
      addons: { ...compliantCluster().addons, azurekeyvaultsecretsprovider: { enabled, config } },
    });
    expect(ids(compliantCluster(addons({})))).toEqual(['AKS-KV-SECRET-ROTATION']);
    expect(ids(compliantCluster(addons({ enableSecretRotation: 'false', rotationPollInterval: '2m' })))).toEqual(['AKS-KV-SECRET-ROTATION']);
    expect(ids(compliantCluster(addons({ enableSecretRotation: 'True' })))).toEqual([]);
    expect(ids(compliantCluster(addons({}, false)))).toEqual([]);
    const [finding] = parity(compliantCluster({ ...addons({}), name: 'web dev', resourceGroup: 'rg' }));
    expect(finding?.detail).toContain("az aks addon update -g rg -n 'web dev' --addon azure-keyvault-secrets-provider --enable-secret-rotation");
  });

  it('AKS-SYSTEM-POOL-ZONES (Azure.AKS.AvailabilityZone): per zoneless scale-set system pool in a zone location', () => {
    const zoneless = pool({ availabilityZones: [] });
    expect(
      parity(compliantCluster({ agentPools: [zoneless, pool({ name: 'user', mode: 'User', availabilityZones: [] })] })).map((f) => [f.ruleId, f.subject]),
    ).toEqual([['AKS-SYSTEM-POOL-ZONES', 'system']]);
    // Not a scale set (PSRule passes it), not a zone location (japanwest: no zones in PSRule's data), or zonal: no finding.
    expect(ids(compliantCluster({ agentPools: [pool({ availabilityZones: [], type: 'AvailabilitySet' })] }))).toEqual([]);
    expect(ids(compliantCluster({ location: 'japanwest', agentPools: [zoneless] }))).toEqual([]);
    expect(ids(compliantCluster({ location: 'eastus2', agentPools: [zoneless] }))).toEqual(['AKS-SYSTEM-POOL-ZONES']);
    const [finding] = parity(compliantCluster({ agentPools: [zoneless] }));
    expect(finding?.detail).toContain('az aks nodepool add -g rg --cluster-name good --name systemz --mode System --zones 1 2 3');
  });

  it('AKS-PRODUCTION-TIER (Azure.AKS.UptimeSLA), for production-tagged clusters only: Standard and Premium pass', () => {
    const production = { tags: { Environment: 'Prod' } };
    expect(ids(compliantCluster({ ...production, skuTier: 'Free' }))).toEqual(['AKS-PRODUCTION-TIER']);
    expect(ids(compliantCluster({ ...production, skuTier: undefined }))).toEqual(['AKS-PRODUCTION-TIER']);
    expect(ids(compliantCluster({ ...production, skuTier: 'standard' }))).toEqual([]);
    expect(ids(compliantCluster({ ...production, skuTier: 'Premium' }))).toEqual([]);
    expect(ids(compliantCluster({ tags: { environment: 'staging' }, skuTier: 'Free' }))).toEqual([]);
    expect(ids(compliantCluster({ tags: {}, skuTier: 'Free' }))).toEqual([]);
    const custom: PostureSettings = { productionTag: { name: 'ring', values: ['2'] } };
    expect(ids(compliantCluster({ tags: { ring: '2' }, skuTier: 'Free' }), custom)).toEqual(['AKS-PRODUCTION-TIER']);
    expect(ids(compliantCluster({ ...production, skuTier: 'Free' }), custom)).toEqual([]);
  });

  it('AKS-SYSTEM-POOL-MIN-NODES (Azure.AKS.MinNodeCount): minCount above 0, else count, summed over pools not in User mode', () => {
    expect(ids(compliantCluster({ agentPools: [pool({ count: 2 })] }))).toEqual(['AKS-SYSTEM-POOL-MIN-NODES']);
    expect(ids(compliantCluster({ agentPools: [pool({ count: 2 }), pool({ name: 'sys2', count: 1 })] }))).toEqual([]);
    expect(ids(compliantCluster({ agentPools: [pool({ count: 1 }), pool({ name: 'user', mode: 'User', count: 10 })] }))).toEqual(['AKS-SYSTEM-POOL-MIN-NODES']);
    // An autoscaled pool counts its floor, not what it runs now.
    expect(ids(compliantCluster({ agentPools: [pool({ count: 5, minCount: 1, enableAutoScaling: true })] }))).toEqual(['AKS-SYSTEM-POOL-MIN-NODES']);
    expect(ids(compliantCluster({ agentPools: [pool({ count: 3, minCount: 0 })] }))).toEqual([]);
    expect(ids(compliantCluster({ agentPools: [pool({ mode: undefined, count: 3 })] }))).toEqual([]);
    const [scaled] = parity(compliantCluster({ agentPools: [pool({ count: 5, minCount: 1, enableAutoScaling: true })] }));
    expect(scaled?.detail).toContain('has 1 system node (');
    expect(scaled?.detail).toContain('az aks nodepool update -g rg --cluster-name good --name system --update-cluster-autoscaler --min-count 3');
    const [fixed] = parity(compliantCluster({ agentPools: [pool({ count: 2 })] }));
    expect(fixed?.detail).toContain('az aks nodepool scale -g rg --cluster-name good --name system --node-count 3');
  });

  it('AKS-MANAGED-IDENTITY (Azure.AKS.ManagedIdentity): identity.type SystemAssigned or UserAssigned', () => {
    expect(ids(compliantCluster({ identityType: 'UserAssigned' }))).toEqual([]);
    expect(ids(compliantCluster({ identityType: 'None' }))).toEqual(['AKS-MANAGED-IDENTITY']);
    expect(ids(compliantCluster({ identityType: undefined, servicePrincipalClientId: 'a0b1' }))).toEqual(['AKS-MANAGED-IDENTITY']);
  });

  it('AKS-CONTAINER-INSIGHTS (Azure.AKS.ContainerInsights): the omsagent add-on enabled, whatever the key case', () => {
    const others = Object.fromEntries(Object.entries(compliantCluster().addons).filter(([name]) => name !== 'omsagent'));
    expect(ids(compliantCluster({ addons: others }))).toEqual(['AKS-CONTAINER-INSIGHTS']);
    expect(ids(compliantCluster({ addons: { ...others, omsagent: { enabled: false, config: {} } } }))).toEqual(['AKS-CONTAINER-INSIGHTS']);
    const body = (key: string) => ({
      id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c',
      name: 'c',
      location: 'westeurope',
      properties: { addonProfiles: { [key]: { enabled: true } } },
    });
    expect(ids(clusterFromArmJson(body('omsAgent')))).not.toContain('AKS-CONTAINER-INSIGHTS');
    expect(ids(clusterFromArmJson(body('omsagent')))).not.toContain('AKS-CONTAINER-INSIGHTS');
  });
});
