import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AzureClients, createAzureClients } from '../../lib/app/clients.js';
import { parseConfig } from '../../lib/config.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { sampleEvent } from '../harness/eventFixtures.js';
import { LocalFunctionsHost } from '../harness/functionsHost.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const PAYMENTS =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/payments/providers/Microsoft.ContainerService/managedClusters/payments-prod';
const CHECKOUT =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/checkout/providers/Microsoft.ContainerService/managedClusters/checkout-prod';
const BATCH = '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/batch/providers/Microsoft.ContainerService/managedClusters/batch-staging';
const CANARY = '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/data/providers/Microsoft.ContainerService/managedClusters/data-canary';

describe('Event Grid functions, invoked as the host invokes them', () => {
  let local: LocalAzure;
  let host: LocalFunctionsHost;
  let clients: AzureClients;

  async function findings(ruleId: string, clusterName: string) {
    return (await clients.findings!.listFindings()).filter((finding) => finding.ruleId === ruleId && finding.clusterName === clusterName);
  }

  /** A sample event as a plain record, to replace its `data` wholesale. */
  function event(raw: Record<string, unknown>): { data: unknown } {
    return raw as { data: unknown };
  }

  function lastLog(name: string): string {
    return host.logsOf(name).at(-1)?.message ?? '';
  }

  beforeAll(async () => {
    local = await startLocalAzure({
      snapshot: loadSnapshot(sampleFleetDirectory()),
      tablesConnectionString: azuriteConnectionString(),
      settings: {
        FLEETGUARD_FINDINGS_TABLE: uniqueTableName('evfindings'),
        FLEETGUARD_SWEEPS_TABLE: uniqueTableName('evsweeps'),
        FLEETGUARD_EVENTS_TABLE: uniqueTableName('events'),
        FLEETGUARD_HTTP_MAX_RETRIES: '0',
      },
    });
    Object.assign(process.env, local.settings);
    host = await LocalFunctionsHost.load('../../functions/index.ts');
    clients = createAzureClients(parseConfig(local.settings));
  });
  afterAll(() => local.close());

  it('registers Event Grid triggers for AKS and Policy events', () => {
    expect(host.triggerBinding('aksEvents')[1]).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
    expect(host.triggerBinding('policyEvents')[1]).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
  });

  it('ClusterSupportEnding (Event Grid schema) raises AKS-SUPPORT-ENDING at once; a duplicate changes nothing', async () => {
    const event = sampleEvent('aks-support-ending.eventgrid.json', {
      cluster: WEB_DEV,
      id: 'ending-1',
      time: '2026-11-20T10:00:00Z',
      data: { kubernetesVersion: '1.30.4' },
    });
    await host.invokeEventGrid('aksEvents', event);
    expect(lastLog('aksEvents')).toMatch(
      /event id ending-1, type Microsoft.ContainerService.ClusterSupportEnding: processed: notice stored; findings: 1 opened/,
    );
    const [finding] = await findings('AKS-SUPPORT-ENDING', 'web-dev');
    expect(finding).toMatchObject({ status: 'open', severity: 'high', subject: '1.30' });

    await host.invokeEventGrid('aksEvents', event);
    expect(lastLog('aksEvents')).toMatch(/ending-1.*: duplicate: already processed/);
    expect(await findings('AKS-SUPPORT-ENDING', 'web-dev')).toEqual([finding]);
  });

  it('ClusterSupportEnded (CloudEvents) escalates; an older Ending arriving late does not downgrade it', async () => {
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ended.cloudevents.json', {
        cluster: WEB_DEV,
        id: 'ended-1',
        time: '2026-11-21T10:00:00Z',
        data: { kubernetesVersion: '1.30.4' },
      }),
    );
    expect((await findings('AKS-SUPPORT-ENDED', 'web-dev'))[0]).toMatchObject({ status: 'open', severity: 'critical' });
    expect((await findings('AKS-SUPPORT-ENDING', 'web-dev'))[0]).toMatchObject({ status: 'resolved' });

    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.eventgrid.json', {
        cluster: WEB_DEV,
        id: 'ending-late',
        time: '2026-11-19T10:00:00Z',
        data: { kubernetesVersion: '1.30.4' },
      }),
    );
    expect(lastLog('aksEvents')).toMatch(/a newer notice was already stored/);
    expect((await findings('AKS-SUPPORT-ENDED', 'web-dev'))[0]?.status).toBe('open');
    expect((await findings('AKS-SUPPORT-ENDING', 'web-dev'))[0]?.status).toBe('resolved');
  });

  it('a support notice for another minor than the cluster runs raises nothing', async () => {
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.eventgrid.json', { cluster: PAYMENTS, id: 'ending-other', data: { kubernetesVersion: '1.29.9' } }),
    );
    expect(lastLog('aksEvents')).toMatch(/processed: notice stored; findings: 0 opened/);
    expect(await findings('AKS-SUPPORT-ENDING', 'payments-prod')).toEqual([]);
  });

  it('NodePoolRollingFailed raises a finding for that pool; a later Succeeded resolves it; an older Failed does not reopen it', async () => {
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-failed.cloudevents.json', {
        cluster: CHECKOUT,
        id: 'roll-1',
        time: '2026-11-22T10:00:00Z',
        data: { nodePoolName: 'system' },
      }),
    );
    expect((await findings('AKS-NODEPOOL-ROLLING-FAILED', 'checkout-prod'))[0]).toMatchObject({ status: 'open', subject: 'system' });
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-succeeded.eventgrid.json', {
        cluster: CHECKOUT,
        id: 'roll-2',
        time: '2026-11-22T11:00:00Z',
        data: { nodePoolName: 'system' },
      }),
    );
    expect((await findings('AKS-NODEPOOL-ROLLING-FAILED', 'checkout-prod'))[0]?.status).toBe('resolved');
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-failed.eventgrid.json', {
        cluster: CHECKOUT,
        id: 'roll-0',
        time: '2026-11-22T09:00:00Z',
        data: { nodePoolName: 'system' },
      }),
    );
    expect((await findings('AKS-NODEPOOL-ROLLING-FAILED', 'checkout-prod'))[0]?.status).toBe('resolved');
  });

  // ClusterOutOfSupport is a draft type (azure-rest-api-specs PR #23339, see test/fixtures/eventgrid/README.md):
  // out of support is support ended, so it feeds the same notice and the same critical finding.
  it('ClusterOutOfSupport opens the critical support-ended finding at once, replacing Ending; an older Ending does not downgrade it', async () => {
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.cloudevents.json', {
        cluster: BATCH,
        id: 'oos-ending',
        time: '2026-11-20T10:00:00Z',
        data: { kubernetesVersion: '1.28.9' },
      }),
    );
    expect((await findings('AKS-SUPPORT-ENDING', 'batch-staging'))[0]).toMatchObject({ status: 'open', subject: '1.28' });

    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-out-of-support.eventgrid.json', {
        cluster: BATCH,
        id: 'oos-1',
        time: '2026-11-21T10:00:00Z',
        data: { kubernetesVersion: '1.28.9', isOutOfSupport: true },
      }),
    );
    expect(lastLog('aksEvents')).toMatch(
      /oos-1, type Microsoft.ContainerService.ClusterOutOfSupport: processed: notice stored; findings: 1 opened, 1 resolved/,
    );
    expect((await findings('AKS-SUPPORT-ENDED', 'batch-staging'))[0]).toMatchObject({ status: 'open', severity: 'critical', subject: '1.28' });
    expect((await findings('AKS-SUPPORT-ENDING', 'batch-staging'))[0]?.status).toBe('resolved');

    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.eventgrid.json', {
        cluster: BATCH,
        id: 'oos-late-ending',
        time: '2026-11-19T10:00:00Z',
        data: { kubernetesVersion: '1.28.9' },
      }),
    );
    expect(lastLog('aksEvents')).toMatch(/oos-late-ending.*a newer notice was already stored/);
    expect((await findings('AKS-SUPPORT-ENDED', 'batch-staging'))[0]?.status).toBe('open');

    // A later ClusterSupportEnded says the same thing: still one finding, not a second page.
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ended.eventgrid.json', { cluster: BATCH, id: 'oos-ended', time: '2026-11-22T10:00:00Z', data: { kubernetesVersion: '1.28.9' } }),
    );
    expect(lastLog('aksEvents')).toMatch(/oos-ended.*: processed: notice stored; findings: 0 opened, 0 resolved/);
    expect(await findings('AKS-SUPPORT-ENDED', 'batch-staging')).toHaveLength(1);
  });

  it('ClusterOutOfSupport with isOutOfSupport false (the sample as published) records nothing; the older draft spelling `outOfSupport` is read too', async () => {
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-out-of-support.cloudevents.json', { cluster: PAYMENTS, id: 'oos-false', data: { kubernetesVersion: '1.32.3' } }),
    );
    expect(lastLog('aksEvents')).toBe(
      'event id oos-false, type Microsoft.ContainerService.ClusterOutOfSupport: ignored: data.isOutOfSupport is false: Kubernetes 1.32.3 is not out of support, nothing recorded',
    );
    // azure-rest-api-specs commit 3285eeb779e30c77872d18a32d972ab0a4a92bf8 spelled the flag `outOfSupport`.
    const early = sampleEvent('aks-out-of-support.eventgrid.json', { cluster: PAYMENTS, id: 'oos-early-draft', data: { kubernetesVersion: '1.32.3' } });
    event(early).data = { kubernetesVersion: '1.32.3', outOfSupport: false };
    await host.invokeEventGrid('aksEvents', early);
    expect(lastLog('aksEvents')).toMatch(/oos-early-draft.*: ignored: data.isOutOfSupport is false/);
    expect(await findings('AKS-SUPPORT-ENDED', 'payments-prod')).toEqual([]);
  });

  it('NodePoolRollingProgress is recorded per pool for the rollout, opens no finding; a stale report never overwrites; a later outcome supersedes it', async () => {
    // A notice naming a pool the cluster does not have is refused: data-canary gets the draft sample's second pool.
    local.simulator.fleet.updateClusterProperties(CANARY, (properties) => {
      const pools = properties['agentPoolProfiles'] as Array<Record<string, unknown>>;
      pools.push({ ...structuredClone(pools[0]!), name: 'user2' });
    });
    const progress = (id: string, time: string, state: string, pool = 'system') =>
      host.invokeEventGrid(
        'aksEvents',
        sampleEvent('aks-nodepool-rolling-progress.eventgrid.json', { cluster: CANARY, id, time, data: { nodePoolName: pool, rollingProgressState: state } }),
      );
    await progress('prog-1', '2026-11-22T10:00:00Z', 'Started');
    expect(lastLog('aksEvents')).toBe(
      'event id prog-1, type Microsoft.ContainerService.NodePoolRollingProgress: processed: rolling progress of pool system recorded (Started); no finding',
    );
    // The draft's CloudEvents sample, and its earlier spelling `progressState`, for another pool.
    const early = sampleEvent('aks-nodepool-rolling-progress.cloudevents.json', { cluster: CANARY, id: 'prog-early', time: '2026-11-22T10:01:00Z' });
    event(early).data = { nodePoolName: 'User2', progressState: 'Started' };
    await host.invokeEventGrid('aksEvents', early);
    await progress('prog-2', '2026-11-22T10:30:00Z', 'Failed');
    await progress('prog-0', '2026-11-22T09:00:00Z', 'Started');
    expect(lastLog('aksEvents')).toMatch(/prog-0.*: processed: a newer rolling progress of pool system was already stored/);
    expect(await clients.notices!.poolRollingForCluster(CANARY)).toEqual([
      { nodePool: 'system', state: 'Failed', eventTime: '2026-11-22T10:30:00.000Z', reportedBy: 'NodePoolRollingProgress' },
      { nodePool: 'User2', state: 'Started', eventTime: '2026-11-22T10:01:00.000Z', reportedBy: 'NodePoolRollingProgress' },
    ]);
    // Progress, even `Failed`, is not the failure finding: NodePoolRollingFailed is.
    expect(await findings('AKS-NODEPOOL-ROLLING-FAILED', 'data-canary')).toEqual([]);

    // A later Succeeded for the pool supersedes its progress; an older outcome does not.
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-succeeded.cloudevents.json', {
        cluster: CANARY,
        id: 'prog-done',
        time: '2026-11-22T11:00:00Z',
        data: { nodePoolName: 'SYSTEM' },
      }),
    );
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-started.eventgrid.json', {
        cluster: CANARY,
        id: 'prog-old-start',
        time: '2026-11-22T08:00:00Z',
        data: { nodePoolName: 'user2' },
      }),
    );
    expect(await clients.notices!.poolRollingForCluster(CANARY)).toEqual([
      { nodePool: 'SYSTEM', state: 'Succeeded', eventTime: '2026-11-22T11:00:00.000Z', reportedBy: 'NodePoolRollingSucceeded' },
      { nodePool: 'User2', state: 'Started', eventTime: '2026-11-22T10:01:00.000Z', reportedBy: 'NodePoolRollingProgress' },
    ]);
    expect(await clients.notices!.poolRollingForCluster(PAYMENTS)).toEqual([]);
  });

  it('a policy event without the assignment and definition ids is still a re-evaluation (the spec marks only `timestamp` required)', async () => {
    // Data schema: azure-rest-api-specs specification/eventgrid/data-plane/Microsoft.PolicyInsights/stable/2018-01-01/PolicyInsights.json
    // (no property required) and Azure.Messaging.EventGrid.SystemEvents/Microsoft.PolicyInsights/PolicyInsights.tsp (`timestamp` only).
    const bare = sampleEvent('policy-state-changed.cloudevents.json', { cluster: CANARY, id: 'policy-bare' });
    event(bare).data = { timestamp: new Date(Date.now() + 60_000).toISOString() };
    await host.invokeEventGrid('policyEvents', bare);
    expect(lastLog('policyEvents')).toMatch(/policy-bare.*: processed: policy findings of data-canary re-evaluated/);
  });

  it('NewKubernetesVersionAvailable records the versions and re-evaluates version rules of the clusters in that location', async () => {
    // AKS drops 1.30 and adds 1.34 in North Europe: web-dev (1.30.4) is now unsupported.
    const versions = local.simulator.fleet.versionsFor('northeurope')!;
    versions['values'] = (versions['values'] as Array<{ version: string }>).filter((entry) => entry.version !== '1.30');
    await host.invokeEventGrid('aksEvents', sampleEvent('aks-new-kubernetes-version.eventgrid.json', { cluster: PAYMENTS, id: 'versions-1' }));
    expect(lastLog('aksEvents')).toMatch(/versions of northeurope recorded \(1\.31, 1\.32, 1\.33\); 3 clusters re-evaluated/);
    expect((await findings('AKS-VERSION-UNSUPPORTED', 'web-dev'))[0]?.status).toBe('open');
    // Clusters of other locations were not touched.
    expect(await findings('AKS-VERSION-UNSUPPORTED', 'search-prod')).toEqual([]);
  });

  it('a policy state change re-evaluates only that cluster; stale and foreign events change nothing', async () => {
    // Sweep first, so policy findings exist.
    await host.invokeTimer('fleetSweep');
    expect((await findings('POLICY-NONCOMPLIANT', 'web-dev')).filter((finding) => finding.status === 'open')).toHaveLength(2);
    // web-dev becomes compliant with everything.
    for (const state of local.simulator.fleet.policyStates!['value'] as Array<Record<string, unknown>>) {
      if (String(state['resourceId']).endsWith('/web-dev')) state['complianceState'] = 'Compliant';
    }
    const changed = sampleEvent('policy-state-changed.eventgrid.json', {
      cluster: WEB_DEV,
      id: 'policy-1',
      data: { timestamp: new Date(Date.now() + 60_000).toISOString() },
    });
    await host.invokeEventGrid('policyEvents', changed);
    expect(lastLog('policyEvents')).toMatch(/policy findings of web-dev re-evaluated; findings: 0 opened, 2 resolved/);
    expect((await findings('POLICY-NONCOMPLIANT', 'web-dev')).every((finding) => finding.status === 'resolved')).toBe(true);
    expect((await findings('POLICY-NONCOMPLIANT', 'checkout-prod'))[0]?.status).toBe('open');

    // An event about an evaluation older than our re-evaluation is dropped.
    for (const state of local.simulator.fleet.policyStates!['value'] as Array<Record<string, unknown>>) {
      if (String(state['resourceId']).endsWith('/web-dev')) state['complianceState'] = 'NonCompliant';
    }
    await host.invokeEventGrid(
      'policyEvents',
      sampleEvent('policy-state-created.cloudevents.json', { cluster: WEB_DEV, id: 'policy-0', data: { timestamp: '2020-01-01T00:00:00Z' } }),
    );
    expect(lastLog('policyEvents')).toMatch(/policy-0.*: stale: policy state of 2020-01-01T00:00:00Z is older/);
    expect((await findings('POLICY-NONCOMPLIANT', 'web-dev')).every((finding) => finding.status === 'resolved')).toBe(true);

    await host.invokeEventGrid(
      'policyEvents',
      sampleEvent('policy-state-changed.eventgrid.json', {
        cluster: WEB_DEV,
        id: 'policy-ip',
        subject: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.Network/publicIPAddresses/web-ip',
      }),
    );
    expect(lastLog('policyEvents')).toMatch(/ignored: the resource is not an AKS cluster/);
  });

  it('malformed and unknown events are logged with id and type and completed, not thrown', async () => {
    const broken = sampleEvent('aks-support-ending.eventgrid.json', { cluster: WEB_DEV, id: 'broken-1' });
    delete broken['eventTime'];
    await expect(host.invokeEventGrid('aksEvents', broken)).resolves.toBeDefined();
    expect(lastLog('aksEvents')).toBe(
      'event id broken-1, type Microsoft.ContainerService.ClusterSupportEnding: rejected: Event Grid event: eventTime: is required (completed without retry)',
    );

    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.eventgrid.json', { cluster: WEB_DEV, id: 'broken-2', data: { kubernetesVersion: 42 } }),
    );
    expect(lastLog('aksEvents')).toMatch(/broken-2.*rejected: data\.kubernetesVersion: .*completed without retry/);

    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-out-of-support.eventgrid.json', { cluster: WEB_DEV, id: 'broken-3', data: { isOutOfSupport: 'yes' } }),
    );
    expect(lastLog('aksEvents')).toMatch(
      /broken-3, type Microsoft.ContainerService.ClusterOutOfSupport: rejected: data\.isOutOfSupport: .*expected boolean.*completed without retry/,
    );
    const stateless = sampleEvent('aks-nodepool-rolling-progress.cloudevents.json', { cluster: WEB_DEV, id: 'broken-4' });
    event(stateless).data = { nodePoolName: 'system' };
    await host.invokeEventGrid('aksEvents', stateless);
    expect(lastLog('aksEvents')).toBe(
      'event id broken-4, type Microsoft.ContainerService.NodePoolRollingProgress: rejected: data.rollingProgressState: is required (completed without retry)',
    );
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-progress.eventgrid.json', { cluster: WEB_DEV, id: 'broken-5', data: { nodePoolName: '' } }),
    );
    expect(lastLog('aksEvents')).toMatch(/broken-5.*rejected: data\.nodePoolName: /);
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-progress.eventgrid.json', {
        cluster: WEB_DEV,
        id: 'broken-6',
        data: { rollingProgressState: 'Started\nevent id forged' },
      }),
    );
    expect(lastLog('aksEvents')).toMatch(/broken-6.*rejected: data\.rollingProgressState: must be a state name such as Started/);
    // Rejected events are not recorded as processed: a corrected redelivery still counts.
    expect(await clients.notices!.wasProcessed('broken-4')).toBe(false);

    // The documented sample's own topic is malformed (`resourceGroups<rg>`): rejected, named.
    await host.invokeEventGrid('aksEvents', sampleEvent('aks-new-kubernetes-version.cloudevents.json'));
    expect(lastLog('aksEvents')).toMatch(/rejected: source: not a managed cluster resource id/);

    await host.invokeEventGrid('aksEvents', {
      ...sampleEvent('aks-support-ending.eventgrid.json', { cluster: WEB_DEV, id: 'unknown-1' }),
      eventType: 'Microsoft.ContainerService.SomethingNew',
    });
    expect(lastLog('aksEvents')).toMatch(/unknown-1.*: ignored: not an event type this function handles/);

    await host.invokeEventGrid('policyEvents', sampleEvent('aks-support-ending.eventgrid.json', { cluster: WEB_DEV, id: 'wrong-function' }));
    expect(lastLog('policyEvents')).toMatch(/ignored: not a Microsoft.PolicyInsights.\* event/);

    const ghost = WEB_DEV.replace('web-dev', 'ghost');
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.eventgrid.json', { cluster: ghost, id: 'ghost-1', data: { kubernetesVersion: '1.30.4' } }),
    );
    expect(lastLog('aksEvents')).toMatch(/ignored: cluster .*ghost no longer exists/);
  });

  it('a transient failure throws so Event Grid retries, and the redelivery is processed', async () => {
    local.simulator.faults.configure({ routes: { 'arm.getManagedCluster': { serverError: { first: 1, status: 503 } } } });
    const event = sampleEvent('aks-nodepool-rolling-failed.eventgrid.json', {
      cluster: PAYMENTS,
      id: 'retry-1',
      time: '2026-11-22T12:00:00Z',
      data: { nodePoolName: 'system' },
    });
    await expect(host.invokeEventGrid('aksEvents', event)).rejects.toThrow(/HTTP 503/);
    await host.invokeEventGrid('aksEvents', event);
    expect(lastLog('aksEvents')).toMatch(/retry-1.*: processed/);
    expect((await findings('AKS-NODEPOOL-ROLLING-FAILED', 'payments-prod'))[0]?.status).toBe('open');
    local.simulator.faults.configure({});
  });

  it('the sweep keeps evaluating notice rules: an upgrade past the version resolves support findings', async () => {
    await host.invokeTimer('fleetSweep');
    expect((await findings('AKS-SUPPORT-ENDED', 'web-dev'))[0]?.status).toBe('open');
    local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => {
      properties['kubernetesVersion'] = properties['currentKubernetesVersion'] = '1.31.3';
    });
    await host.invokeTimer('fleetSweep');
    expect((await findings('AKS-SUPPORT-ENDED', 'web-dev'))[0]).toMatchObject({ status: 'resolved', resolution: 'notObserved' });
    expect((await findings('AKS-NODEPOOL-ROLLING-FAILED', 'payments-prod'))[0]?.status).toBe('open');
  });
});
