import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ContainerServiceClient } from '@azure/arm-containerservice';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import type { FleetSnapshot, JsonObject } from '../../tooling/simulator/snapshot.js';
import { restExamples } from '../harness/fixtures.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

function exampleBody(file: string): JsonObject {
  return (JSON.parse(readFileSync(path.join(restExamples, file), 'utf8')) as { responses: { 200: { body: JsonObject } } }).responses[200].body;
}

/** The REST spec's own example cluster (rg1/clustername1 in location1) and versions list. */
function exampleSnapshot(): FleetSnapshot {
  return {
    source: 'azure-rest-api-specs examples',
    clusters: [exampleBody('ManagedClustersGet.2025-07-01.json')],
    versionsByLocation: new Map([['location1', exampleBody('KubernetesVersions_List.2025-07-01.json')]]),
    policyStates: undefined,
    logs: new Map(),
  };
}

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('REST spec example payloads through the SDK', () => {
  it('the example cluster (kubenet, RBAC off, 1.9.6, no profiles) fires the rules its fields imply', async () => {
    fleet = await startTestFleet({ snapshot: exampleSnapshot() });
    const result = await fleet.sweep();
    expect(result.status).toBe('succeeded');
    expect(result.clusters[0]).toMatchObject({ name: 'clustername1', resourceGroup: 'rg1', location: 'location1', kubernetesVersion: '1.9.6' });
    expect(result.findings.map((finding) => finding.ruleId).sort()).toEqual(
      [
        'AKS-K8S-RBAC', // enableRBAC: false
        'AKS-ENTRA', // no aadProfile
        'AKS-AZURE-RBAC',
        'AKS-LOCAL-ACCOUNTS', // disableLocalAccounts missing
        'AKS-API-EXPOSURE', // no apiServerAccessProfile
        'AKS-NETWORK-POLICY', // kubenet, no policy
        'AKS-WORKLOAD-IDENTITY',
        'AKS-AZURE-POLICY', // no add-ons
        'AKS-KEYVAULT-CSI',
        'AKS-DEFENDER',
        'AKS-AUTO-UPGRADE', // no autoUpgradeProfile
        'AKS-NODE-OS-UPGRADE',
        'AKS-VERSION-UNSUPPORTED', // 1.9 is not listed for location1
        'AKS-MANAGED-IDENTITY', // no identity, servicePrincipalProfile.clientId "clientid" (PSRule parity)
        'AKS-CONTAINER-INSIGHTS', // no omsagent add-on (PSRule parity)
      ].sort(),
    );
    // The id in the example has lower-case `resourcegroups`; findings keep ARM's id as returned.
    expect(result.findings[0]?.resourceId).toBe(
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1',
    );
  });

  it('the simulated upgrade profile has the shape of the REST example', async () => {
    fleet = await startTestFleet({ snapshot: exampleSnapshot() });
    const client = new ContainerServiceClient(new SimulatorCredential(), '00000000-0000-0000-0000-000000000000', {
      endpoint: fleet.local.simulator.url,
      tlsOptions: { ca: fleet.local.simulator.caPem },
    });
    const simulated = await client.managedClusters.getUpgradeProfile('rg1', 'clustername1');
    const example = exampleBody('ManagedClustersGetUpgradeProfile.2025-07-01.json') as {
      properties: { controlPlaneProfile: Record<string, unknown>; agentPoolProfiles: Array<Record<string, unknown>> };
    };
    expect(Object.keys(simulated.controlPlaneProfile).sort()).toEqual(Object.keys(example.properties.controlPlaneProfile).sort());
    expect(Object.keys(simulated.agentPoolProfiles?.[0] ?? {}).sort()).toEqual(Object.keys(example.properties.agentPoolProfiles[0]!).sort());
    expect(simulated.controlPlaneProfile.kubernetesVersion).toBe('1.9.6');
  });
});
