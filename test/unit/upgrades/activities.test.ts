/**
 * The rollout activities with their dependencies injected: plain fakes of the ports
 * (lib/upgrades/activityPorts.ts), no SDK, no configuration, no environment variables.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import type { Cluster } from '../../../lib/model/cluster.js';
import { createRolloutActivities } from '../../../lib/upgrades/activities.js';
import type { RolloutActivityDependencies } from '../../../lib/upgrades/activityPorts.js';
import { STRICT_SIGNALS } from '../../../lib/upgrades/health.js';
import type { PlannedCluster } from '../../../lib/upgrades/plan.js';
import { compliantCluster } from '../../harness/clusters.js';

const CLUSTER = compliantCluster({
  kubernetesVersion: '1.31.5',
  agentPools: [
    { name: 'system', mode: 'System', version: '1.31.5', provisioningState: 'Succeeded', powerState: 'Running', count: 3, nodeImageVersion: 'img-1' },
  ],
  logWorkspaceIds: ['/ws/own'],
});
const PLANNED: PlannedCluster = {
  resourceId: CLUSTER.id,
  name: CLUSTER.name,
  subscriptionId: CLUSTER.subscriptionId,
  resourceGroup: CLUSTER.resourceGroup,
  location: CLUSTER.location,
  fromVersion: '1.31.5',
  toVersion: '1.32',
  hops: ['1.32'],
  skipReason: undefined,
};

/** Fakes that record what was asked of them. */
function fakes(cluster: Cluster | undefined = CLUSTER, overrides: Partial<RolloutActivityDependencies> = {}) {
  const calls: string[] = [];
  const deps: RolloutActivityDependencies = {
    clusters: {
      getCluster: (subscriptionId, resourceGroup, name) => {
        calls.push(`get ${subscriptionId}/${resourceGroup}/${name}`);
        return Promise.resolve(cluster);
      },
      autoUpgradeWindow: () => Promise.resolve(undefined),
      startControlPlaneUpgrade: (target, version) => {
        calls.push(`control plane ${target.name} ${version}`);
        return Promise.resolve({ kind: 'accepted' });
      },
      startPoolUpgrade: (target, pool, version) => {
        calls.push(`pool ${target.name}/${pool} ${version}`);
        return Promise.resolve();
      },
      startNodeImageUpgrade: () => Promise.reject(new Error('not expected')),
    },
    policy: { listNonCompliantClusterStatesInResourceGroup: () => Promise.resolve([]) },
    logs: { query: () => Promise.resolve({ rows: [], partialError: undefined }) },
    workspaces: ['/ws/shared'],
    concurrency: 2,
    alertHold: {
      ensureTable: () => Promise.resolve(),
      inhibitCluster: (clusterId, reason, until) => {
        calls.push(`hold ${clusterId} until ${until.toISOString()} (${reason})`);
        return Promise.resolve();
      },
      releaseCluster: (clusterId) => {
        calls.push(`release ${clusterId}`);
        return Promise.resolve();
      },
    },
    ...overrides,
  };
  return { deps, calls };
}

describe('rollout activities with injected dependencies', () => {
  // No setting reaches them: the configuration is the composition root's business (lib/app).
  const saved = { ...process.env };
  beforeEach(() => {
    for (const name of Object.keys(process.env)) if (/^(FLEETGUARD|AZURE|AzureWebJobs)/i.test(name)) delete process.env[name];
  });
  afterEach(() => {
    Object.assign(process.env, saved);
  });

  it('precheck reads the cluster through the port and adds the configured workspaces to its own', async () => {
    const { deps, calls } = fakes();
    const snapshot = await createRolloutActivities(deps).precheckActivity({ cluster: PLANNED });
    expect(snapshot).toEqual({
      exists: true,
      provisioningState: 'Succeeded',
      powerState: 'Running',
      version: '1.31.5',
      nodeImages: { system: 'img-1' },
      workspaces: ['/ws/own', '/ws/shared'],
    });
    expect(calls).toEqual([`get ${CLUSTER.subscriptionId}/rg/good`]);
  });

  it('advance starts the control plane upgrade, and reports an AKS pre-flight refusal as an exclusion', async () => {
    const { deps, calls } = fakes();
    expect(await createRolloutActivities(deps).advanceActivity({ cluster: PLANNED, target: '1.32', upgradeType: 'Full', startingNodeImages: {} })).toEqual({
      state: 'upgrading',
      detail: 'control plane → 1.32',
    });
    expect(calls.at(-1)).toBe('control plane good 1.32');

    const blocked = fakes(CLUSTER, {
      clusters: { ...deps.clusters, startControlPlaneUpgrade: () => Promise.resolve({ kind: 'blocked', message: 'deprecated API use' }) },
    });
    expect(
      await createRolloutActivities(blocked.deps).advanceActivity({ cluster: PLANNED, target: '1.32', upgradeType: 'Full', startingNodeImages: {} }),
    ).toMatchObject({ state: 'excluded' });
  });

  it('advance writes nothing once the rollout is aborted', async () => {
    const { deps, calls } = fakes(CLUSTER, {
      rollouts: {
        abortRequest: () => Promise.resolve({ by: 'release-manager', at: '2026-11-30T06:00:00Z' }),
        ensureTable: () => Promise.resolve(),
        recordClusterStatuses: () => Promise.resolve(),
      },
    });
    expect(
      await createRolloutActivities(deps).advanceActivity({ rolloutId: 'r1', cluster: PLANNED, target: '1.32', upgradeType: 'Full', startingNodeImages: {} }),
    ).toEqual({ state: 'aborted', inFlight: null });
    expect(calls.filter((call) => !call.startsWith('get '))).toEqual([]);
  });

  it('inhibit holds the alerts until the upgrade window ends, and without a store does nothing', async () => {
    const { deps, calls } = fakes();
    expect(await createRolloutActivities(deps).inhibitActivity({ clusterId: CLUSTER.id, minutes: 90, release: false, now: '2026-11-30T06:00:00.000Z' })).toBe(
      true,
    );
    expect(calls).toEqual([`hold ${CLUSTER.id} until 2026-11-30T07:30:00.000Z (Kubernetes upgrade in progress)`]);
    expect(
      await createRolloutActivities({ ...deps, alertHold: undefined }).inhibitActivity({
        clusterId: CLUSTER.id,
        minutes: 90,
        release: false,
        now: '2026-11-30T06:00:00.000Z',
      }),
    ).toBe(false);
  });

  it('health batch measures every probe through the ports, counting pools on another minor as skew', async () => {
    const skewed = compliantCluster({
      kubernetesVersion: '1.32.3',
      agentPools: [
        { name: 'user', mode: 'User', version: '1.31.5', provisioningState: 'Succeeded', powerState: 'Running', count: 2, nodeImageVersion: undefined },
      ],
    });
    const { deps } = fakes(skewed);
    const samples = await createRolloutActivities(deps).healthBatchActivity({
      probes: [{ clusterId: skewed.id, workspaces: ['/ws/shared'], windowMinutes: 10 }],
    });
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ kind: 'measured', counts: { [STRICT_SIGNALS.skew]: 1, [STRICT_SIGNALS.provisioning]: 0, [STRICT_SIGNALS.policy]: 0 } });
  });

  it('health batch: a probe that fails for a reason a retry can fix comes back as retry, the others keep their samples; a permanent failure is inconclusive', async () => {
    const other = compliantCluster({ id: CLUSTER.id.replace('/rg/', '/rg-other/'), resourceGroup: 'rg-other', name: 'other' });
    const denied = compliantCluster({ id: CLUSTER.id.replace('/rg/', '/rg-denied/'), resourceGroup: 'rg-denied', name: 'denied' });
    const { deps } = fakes(CLUSTER, {
      policy: {
        listNonCompliantClusterStatesInResourceGroup: (_subscriptionId, resourceGroup) => {
          if (resourceGroup === 'rg-other') return Promise.reject(new FleetGuardError('rateLimited', 'listing policy states: HTTP 429', { status: 429 }));
          if (resourceGroup === 'rg-denied') return Promise.reject(new FleetGuardError('authError', 'listing policy states: HTTP 403', { status: 403 }));
          return Promise.resolve([]);
        },
      },
    });
    const probe = (clusterId: string) => ({ clusterId, workspaces: ['/ws/shared'], windowMinutes: 10 });
    const results = await createRolloutActivities(deps).healthBatchActivity({ probes: [probe(CLUSTER.id), probe(other.id), probe(denied.id)] });
    expect(results.map((result) => result.kind)).toEqual(['measured', 'retry', 'inconclusive']);
    expect(results[1]).toEqual({ kind: 'retry', reason: 'listing policy states: HTTP 429' });
  });
});
