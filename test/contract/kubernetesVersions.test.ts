/**
 * Contract tests over the official `KubernetesVersions_List` example (2025-07-01) and the one
 * official cluster with a support plan (`ManagedClustersCreate_Premium`: Premium tier,
 * `AKSLongTermSupport`): (a) the simulator answers the example request with the example's shape;
 * (b) the adapter, fed the examples verbatim, builds the right catalog, clusters and findings.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { createContainerService } from '@azure/arm-containerservice/api';
import { afterEach, describe, expect, it } from 'vitest';

import { clusterFromArmJson } from '../../lib/azure/armClusterJson.js';
import { ContainerServiceAdapter } from '../../lib/azure/containerService.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import type { Cluster } from '../../lib/model/cluster.js';
import { evaluateCluster } from '../../lib/posture/evaluateCluster.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const VERSIONS = 'KubernetesVersions_List.2025-07-01.json';
const PREMIUM = 'ManagedClustersCreate_Premium.2025-07-01.json';
const GET_CLUSTER = 'ManagedClustersGet.2025-07-01.json';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

function adapterFor(url: string, caPem: string): ContainerServiceAdapter {
  return new ContainerServiceAdapter(new SimulatorCredential(), { kind: 'simulator', armEndpoint: url, caPem }, { maxRetries: 0 });
}

/** Non-compliant with most of the baseline; only the version and support-plan rules matter here. */
function versionRuleIds(cluster: Cluster, catalog: Parameters<typeof evaluateCluster>[1]): string[] {
  return evaluateCluster(cluster, catalog)
    .findings.map((finding) => finding.ruleId)
    .filter((id) => id.startsWith('AKS-VERSION') || id === 'AKS-LTS-TIER');
}

describe('kubernetesVersions: the simulator answers the official example request', () => {
  it('GET .../locations/location1/kubernetesVersions has the example response shape', async () => {
    const example = restExample(SERVICE, VERSIONS);
    simulator = await startSimulator({
      snapshot: {
        source: 'example',
        clusters: [exampleBody<JsonObject>(SERVICE, GET_CLUSTER)],
        versionsByLocation: new Map([['location1', exampleBody<JsonObject>(SERVICE, VERSIONS)]]),
        policyStates: undefined,
        logs: new Map(),
      },
    });
    // The SDK's own REST layer (credential, pipeline, TLS), so the raw body is what is compared.
    const rest = createContainerService(new SimulatorCredential(), String(example.parameters['subscriptionId']), {
      endpoint: simulator.url,
      tlsOptions: { ca: simulator.caPem },
    });
    const response = await rest
      .pathUnchecked(
        `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/${String(example.parameters['location'])}/kubernetesVersions`,
      )
      .get({ queryParameters: { 'api-version': String(example.parameters['api-version']) } });
    expect(response.status).toBe('200');
    // `patchVersions` is a map keyed by version, so each minor is compared with the example's own entry.
    const expected = exampleBody<{ values: unknown[] }>(SERVICE, VERSIONS);
    const actual = response.body as { values: unknown[] };
    expect(shapeMismatches(actual, { ...expected, values: [] })).toEqual([]);
    expect(actual.values).toHaveLength(expected.values.length);
    expect(expected.values.flatMap((entry, index) => shapeMismatches(actual.values[index], entry, {}, `$.values[${index}]`))).toEqual([]);
    // And the typed client reads it.
    const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
    const listed = await client.managedClusters.listKubernetesVersions('location1');
    expect(listed.values?.map((entry) => [entry.version, entry.capabilities?.supportPlan])).toEqual([
      ['1.23', ['KubernetesOfficial']],
      ['1.24', ['KubernetesOfficial']],
      ['1.25', ['KubernetesOfficial']],
      ['1.26', ['KubernetesOfficial']],
    ]);
  });
});

describe('kubernetesVersions: the adapter reads the official example verbatim', () => {
  it('builds the catalog: minors, patches and their upgrades, preview and default flags, support plans', async () => {
    server = await startExampleServer([
      {
        method: 'GET',
        path: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/location1/kubernetesVersions`,
        status: 200,
        body: exampleBody(SERVICE, VERSIONS),
      },
    ]);
    const catalog = await adapterFor(server.url, server.caPem).listKubernetesVersions(SUBSCRIPTION, 'location1');
    expect(catalog.location).toBe('location1');
    expect(catalog.minors.map((minor) => [minor.minor, minor.isPreview, minor.isDefault, minor.supportPlans])).toEqual([
      ['1.23', false, false, ['KubernetesOfficial']],
      ['1.24', false, true, ['KubernetesOfficial']],
      ['1.25', false, false, ['KubernetesOfficial']],
      ['1.26', true, false, ['KubernetesOfficial']],
    ]);
    expect(catalog.minors[2]?.patches).toEqual({ '1.25.4': ['1.25.5', '1.26.0'], '1.25.5': ['1.26.0'] });
    expect(server.requests[0]?.url.searchParams.get('api-version')).toBeTruthy();

    // Findings for clusters on that catalog: 1.23 is the lowest non-preview minor (ending); 1.9 is not listed.
    const example = clusterFromArmJson(exampleBody(SERVICE, GET_CLUSTER));
    expect(versionRuleIds({ ...example, kubernetesVersion: '1.23.15' }, catalog)).toEqual(['AKS-VERSION-ENDING']);
    expect(versionRuleIds(example, catalog)).toEqual(['AKS-VERSION-UNSUPPORTED']);
  });

  it('reads supportPlan and sku.tier of the official LTS cluster, through the SDK and from raw JSON', async () => {
    const body = exampleBody<JsonObject>(SERVICE, PREMIUM);
    server = await startExampleServer([
      {
        method: 'GET',
        path: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1',
        status: 200,
        body,
      },
      {
        method: 'GET',
        path: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService/locations/location1/kubernetesVersions`,
        status: 200,
        body: exampleBody(SERVICE, VERSIONS),
      },
    ]);
    const adapter = adapterFor(server.url, server.caPem);
    const cluster = await adapter.getCluster(SUBSCRIPTION, 'rg1', 'clustername1');
    expect(cluster).toMatchObject({ supportPlan: 'AKSLongTermSupport', skuTier: 'Premium', kubernetesVersion: '1.9.6' });
    expect(clusterFromArmJson(body)).toMatchObject({ supportPlan: 'AKSLongTermSupport', skuTier: 'Premium' });
    // Premium holds LTS (no AKS-LTS-TIER); 1.9 is listed with no plan at all, so it is unsupported.
    const catalog = await adapter.listKubernetesVersions(SUBSCRIPTION, 'location1');
    expect(versionRuleIds(cluster!, catalog)).toEqual(['AKS-VERSION-UNSUPPORTED']);
    // The example cluster without Premium: the plan cannot be held (Learn: azure/aks/long-term-support).
    expect(versionRuleIds({ ...cluster!, skuTier: 'Standard' }, catalog)).toEqual(['AKS-VERSION-UNSUPPORTED', 'AKS-LTS-TIER']);
  });

  /**
   * No official example lists a minor with `AKSLongTermSupport`. The body below is the example's
   * shape with the plans `az aks get-versions` shows for LTS minors (Learn: azure/aks/long-term-support:
   * "capabilities.supportPlan" `KubernetesOfficial`, `AKSLongTermSupport`); CONTRACTS.md §1 says how to read it.
   */
  it('a minor offered only as AKSLongTermSupport: unsupported for a standard cluster, ending for an LTS one', async () => {
    const body = {
      values: [
        { version: '1.27', capabilities: { supportPlan: ['AKSLongTermSupport'] }, patchVersions: { '1.27.100': { upgrades: ['1.28.15'] } } },
        {
          version: '1.28',
          capabilities: { supportPlan: ['KubernetesOfficial', 'AKSLongTermSupport'] },
          patchVersions: { '1.28.15': { upgrades: ['1.29.9'] } },
        },
        { version: '1.29', isDefault: true, capabilities: { supportPlan: ['KubernetesOfficial'] }, patchVersions: { '1.29.9': { upgrades: [] } } },
      ],
    };
    server = await startExampleServer([{ method: 'GET', path: /\/kubernetesVersions$/, status: 200, body }]);
    const catalog = await adapterFor(server.url, server.caPem).listKubernetesVersions(SUBSCRIPTION, 'location1');
    expect(catalog.minors.map((minor) => [minor.minor, minor.supportPlans])).toEqual([
      ['1.27', ['AKSLongTermSupport']],
      ['1.28', ['KubernetesOfficial', 'AKSLongTermSupport']],
      ['1.29', ['KubernetesOfficial']],
    ]);
    const standard = { ...clusterFromArmJson(exampleBody(SERVICE, GET_CLUSTER)), kubernetesVersion: '1.27.100' };
    expect(versionRuleIds(standard, catalog)).toEqual(['AKS-VERSION-UNSUPPORTED']);
    expect(versionRuleIds({ ...standard, kubernetesVersion: '1.28.15' }, catalog)).toEqual(['AKS-VERSION-ENDING']);
    const lts = { ...clusterFromArmJson(exampleBody(SERVICE, PREMIUM)), kubernetesVersion: '1.27.100' };
    expect(versionRuleIds(lts, catalog)).toEqual(['AKS-VERSION-ENDING']);
    expect(versionRuleIds({ ...lts, kubernetesVersion: '1.29.9' }, catalog)).toEqual(['AKS-VERSION-UNSUPPORTED']);
  });
});
