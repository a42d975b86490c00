/**
 * Contract tests over the official `ManagedClustersGetUpgradeProfile` example (2025-07-01), whose
 * control plane is offered 1.7.9 as a preview (`isPreview: true`) and 1.7.11 without the flag:
 * (a) the simulator answers the example request with that shape, flagging preview versions as the
 * service does; (b) the adapter keeps `isPreview`, and the planner never picks a preview version
 * unless the request names it exactly.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { createContainerService } from '@azure/arm-containerservice/api';
import { afterEach, describe, expect, it } from 'vitest';

import { clusterFromArmJson } from '../../lib/azure/armClusterJson.js';
import { ContainerServiceAdapter } from '../../lib/azure/containerService.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import { resourceKey } from '../../lib/model/cluster.js';
import type { KubernetesVersionCatalog } from '../../lib/model/kubernetesVersions.js';
import { planRollout, type RolloutRequest } from '../../lib/upgrades/plan.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const PROFILE = 'ManagedClustersGetUpgradeProfile.2025-07-01.json';
const VERSIONS = 'KubernetesVersions_List.2025-07-01.json';
const GET_CLUSTER = 'ManagedClustersGet.2025-07-01.json';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const PROFILE_PATH = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1/upgradeProfiles/default`;

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

/** The example cluster (rg1/clustername1, location1) at another version: seed data, the fixture is untouched. */
function exampleClusterAt(version: string): JsonObject {
  const cluster = structuredClone(exampleBody<JsonObject>(SERVICE, GET_CLUSTER));
  const properties = cluster['properties'] as JsonObject;
  properties['kubernetesVersion'] = version;
  properties['currentKubernetesVersion'] = version;
  for (const pool of properties['agentPoolProfiles'] as JsonObject[]) pool['orchestratorVersion'] = version;
  return cluster;
}

async function simulatedProfile(version: string): Promise<{ status: string; body: unknown }> {
  simulator = await startSimulator({
    snapshot: {
      source: 'example',
      clusters: [exampleClusterAt(version)],
      versionsByLocation: new Map([['location1', exampleBody<JsonObject>(SERVICE, VERSIONS)]]),
      policyStates: undefined,
      logs: new Map(),
    },
  });
  const example = restExample(SERVICE, PROFILE);
  const rest = createContainerService(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
  const response = await rest.pathUnchecked(PROFILE_PATH).get({ queryParameters: { 'api-version': String(example.parameters['api-version']) } });
  return { status: response.status, body: response.body };
}

// The example shows `isPreview` only on preview entries: a GA entry leaves it out.
const OPTIONAL_PREVIEW = ['$.properties.controlPlaneProfile.upgrades[].isPreview', '$.properties.agentPoolProfiles[].upgrades[].isPreview'];

describe('upgradeProfile: the simulator answers the official example request', () => {
  it('GET .../upgradeProfiles/default has the example response shape', async () => {
    const { status, body } = await simulatedProfile('1.24.6');
    expect(status).toBe('200');
    expect(shapeMismatches(body, exampleBody(SERVICE, PROFILE), { optional: OPTIONAL_PREVIEW })).toEqual([]);
    expect(body).toMatchObject({ name: 'default', type: 'Microsoft.ContainerService/managedClusters/upgradeprofiles' });
  });

  it('flags a version of a preview minor isPreview, as the example does, and leaves GA versions unflagged', async () => {
    // 1.26 is preview in the example versions list; a 1.25.5 control plane may go to 1.26.0.
    const { body } = await simulatedProfile('1.25.5');
    expect(shapeMismatches(body, exampleBody(SERVICE, PROFILE), { optional: OPTIONAL_PREVIEW })).toEqual([]);
    expect((body as { properties: { controlPlaneProfile: { upgrades: unknown[] } } }).properties.controlPlaneProfile.upgrades).toEqual([
      { kubernetesVersion: '1.26.0', isPreview: true },
    ]);
    const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator!.url, tlsOptions: { ca: simulator!.caPem } });
    const typed = await client.managedClusters.getUpgradeProfile('rg1', 'clustername1');
    expect(typed.controlPlaneProfile.upgrades).toEqual([{ kubernetesVersion: '1.26.0', isPreview: true }]);
  });
});

describe('upgradeProfile: support plans (Learn: aks/long-term-support; CONTRACTS §1)', () => {
  /** The example versions list with 1.26 offered only to AKSLongTermSupport (written in the example's shape: no official example lists an LTS-only minor). */
  function ltsOnly126(): JsonObject {
    const versions = structuredClone(exampleBody<JsonObject>(SERVICE, VERSIONS));
    for (const entry of versions['values'] as JsonObject[]) {
      if (entry['version'] === '1.26') {
        entry['isPreview'] = false;
        entry['capabilities'] = { supportPlan: ['AKSLongTermSupport'] };
      }
    }
    return versions;
  }

  async function controlPlaneUpgrades(plan: string | undefined): Promise<unknown> {
    const cluster = exampleClusterAt('1.25.5');
    if (plan !== undefined) (cluster['properties'] as JsonObject)['supportPlan'] = plan;
    simulator = await startSimulator({
      snapshot: {
        source: 'example',
        clusters: [cluster],
        versionsByLocation: new Map([['location1', ltsOnly126()]]),
        policyStates: undefined,
        logs: new Map(),
      },
    });
    const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
    return (await client.managedClusters.getUpgradeProfile('rg1', 'clustername1')).controlPlaneProfile.upgrades ?? [];
  }

  it('a standard-support cluster is not offered a minor listed only for AKSLongTermSupport', async () => {
    expect(await controlPlaneUpgrades(undefined)).toEqual([]);
    await simulator?.close();
    expect(await controlPlaneUpgrades('KubernetesOfficial')).toEqual([]);
  });

  it('an LTS cluster is offered it', async () => {
    expect(await controlPlaneUpgrades('AKSLongTermSupport')).toEqual([{ kubernetesVersion: '1.26.0' }]);
  });
});

describe('upgradeProfile: the adapter reads the official example verbatim', () => {
  const catalog: KubernetesVersionCatalog = {
    location: 'location1',
    minors: [
      {
        minor: '1.7',
        isPreview: false,
        isDefault: true,
        supportPlans: ['KubernetesOfficial'],
        patches: { '1.7.7': ['1.7.9', '1.7.11'], '1.7.9': ['1.7.11'], '1.7.11': [] },
      },
    ],
  };
  const request = (target: string): RolloutRequest => ({
    target,
    scope: {},
    waves: { explicit: [['clustername1']] },
    waveSettings: { maxParallel: 1, soakMinutes: 0, requireApproval: false },
    upgradeType: 'Full',
    maxFailedClusters: 0,
    respectMaintenanceWindows: false,
    allowMultiMinorHops: false,
    dryRun: true,
  });

  it('keeps isPreview on each control-plane upgrade, and the planner takes a preview only when named exactly', async () => {
    server = await startExampleServer([{ method: 'GET', path: PROFILE_PATH, status: 200, body: exampleBody(SERVICE, PROFILE) }]);
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const cluster = {
      ...clusterFromArmJson(exampleBody(SERVICE, GET_CLUSTER)),
      kubernetesVersion: '1.7.7',
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1`,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: 'rg1',
      provisioningState: 'Succeeded',
    };
    const offered = await adapter.controlPlaneUpgrades(cluster);
    expect(offered).toEqual([
      { version: '1.7.9', isPreview: true },
      { version: '1.7.11', isPreview: false },
    ]);
    const profiles = new Map([[resourceKey(cluster.id), offered]]);
    // The minor's newest patch, 1.7.11, is GA.
    expect(planRollout([cluster], new Map([['location1', catalog]]), request('1.7'), profiles).waves[0]?.clusters[0]?.toVersion).toBe('1.7.11');
    // 1.7.9 is preview: taken when asked for exactly.
    expect(planRollout([cluster], new Map([['location1', catalog]]), request('1.7.9'), profiles).waves[0]?.clusters[0]?.toVersion).toBe('1.7.9');
    // Where the location's newest 1.7 patch is the preview 1.7.9, a minor target never picks it: the profile's GA 1.7.11 it is.
    const older = { ...catalog, minors: [{ ...catalog.minors[0]!, patches: { '1.7.7': ['1.7.9'], '1.7.9': [] } }] };
    expect(planRollout([cluster], new Map([['location1', older]]), request('1.7'), profiles).waves[0]?.clusters[0]?.hops).toEqual(['1.7.11']);
    // With only the preview offered, the cluster is excluded with the reason.
    const previewOnly = new Map([[resourceKey(cluster.id), offered.filter((upgrade) => upgrade.isPreview)]]);
    expect(planRollout([cluster], new Map([['location1', older]]), request('1.7'), previewOnly).excluded).toEqual([
      { resourceId: cluster.id, reason: 'its upgrade profile offers 1.7.9 only as a preview version (name 1.7.9 as the target to take it)' },
    ]);
  });
});
