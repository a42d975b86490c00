/**
 * `fleetguard sweep --demo`: the whole pipeline on the built-in sample fleet. The real SDK clients
 * talk HTTPS to the simulator, findings go to in-process Azurite, and a second sweep after a
 * remediation shows the lifecycle (open → resolved).
 */
import { createAzureClients, sweepDependencies } from '../azure/clients.js';
import { handleEvent } from '../events/handleEvent.js';
import { formatSweepSummary, formatSweepTable } from '../report/sweepTable.js';
import { startLocalAzure } from '../simulator/localAzure.js';
import { sampleFleetDirectory } from '../simulator/sampleFleet.js';
import { loadSnapshot } from '../simulator/snapshot.js';
import { runSweep } from '../sweep/runSweep.js';
import type { CommandOutput } from './sweepCommand.js';

const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const CHECKOUT = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/checkout/providers/Microsoft.ContainerService/managedClusters/checkout-prod';
const LEGACY = '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/legacy/providers/Microsoft.ContainerService/managedClusters/legacy-reporting';

function banner(title: string): string {
  return `\n=== ${title} ${'='.repeat(Math.max(0, 76 - title.length))}`;
}

export async function runDemo(output: CommandOutput): Promise<number> {
  const say = output.stdout;
  const local = await startLocalAzure({ snapshot: loadSnapshot(sampleFleetDirectory()), withTables: true });
  try {
    const clients = createAzureClients(local.config);
    const deps = sweepDependencies(clients);
    say(banner('aks-fleet-guard demo: built-in sample fleet'));
    say(`Azure simulator ${local.simulator.url} (HTTPS, real Azure SDK clients) · Azure Tables on in-process Azurite ${local.azurite?.tableEndpoint ?? ''}`);

    say(banner('Sweep 1: every cluster the identity can see'));
    const first = await runSweep(deps, { subscriptions: [], concurrency: local.config.sweep.concurrency, trigger: 'demo' });
    say(formatSweepTable(first, output.width === undefined ? {} : { width: output.width }));
    say(`Azure calls: ${JSON.stringify(local.simulator.requests.countsByRoute())} for ${first.stats.clusters} clusters`);

    say(banner('Event Grid: AKS announces the end of support for checkout-prod'));
    const notices = clients.notices;
    const findingsStore = clients.findings;
    if (notices && findingsStore) {
      await notices.ensureTable();
      const event = {
        specversion: '1.0',
        id: 'demo-support-ending-1',
        type: 'Microsoft.ContainerService.ClusterSupportEnding',
        source: CHECKOUT,
        subject: 'checkout-prod',
        time: new Date().toISOString(),
        data: { kubernetesVersion: '1.31.3' },
      };
      const deps = { notices, findings: findingsStore, clusters: clients.containerService, policy: clients.policyInsights, now: () => new Date() };
      const first = await handleEvent(event, 'aks', deps);
      say(`${event.type} ${event.id}: ${first.status} (${first.message})`);
      const again = await handleEvent(event, 'aks', deps);
      say(`the same event delivered again: ${again.status}`);
    }

    say(banner('Meanwhile: web-dev is fixed, legacy-reporting is decommissioned'));
    local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => {
      properties['disableLocalAccounts'] = true;
      properties['networkProfile'] = { ...(properties['networkProfile'] as object), networkPolicy: 'cilium' };
    });
    local.simulator.fleet.removeCluster(LEGACY);
    say('az aks update -g web -n web-dev --disable-local-accounts --network-policy cilium');
    say('az aks delete -g legacy -n legacy-reporting');

    say(banner('Sweep 2: the store resolves what is gone'));
    const second = await runSweep(deps, { subscriptions: [], concurrency: local.config.sweep.concurrency, trigger: 'demo' });
    say(formatSweepSummary(second));
    const resolved = (await clients.findings?.listFindings({ status: 'resolved' })) ?? [];
    const byCluster = new Map<string, typeof resolved>();
    for (const finding of resolved) byCluster.set(finding.clusterName, [...(byCluster.get(finding.clusterName) ?? []), finding]);
    for (const [cluster, findings] of byCluster) {
      const gone = findings.every((finding) => finding.resolution === 'clusterGone');
      say(`  resolved on ${cluster}: ${gone ? `all ${findings.length} findings (cluster gone)` : findings.map((finding) => finding.ruleId).sort().join(', ')}`);
    }
    const open = (await clients.findings?.listFindings({ status: 'open' })) ?? [];
    say(`Findings store: ${open.length} open, ${resolved.length} resolved · sweep records: ${(await clients.sweeps?.latest(10))?.length ?? 0}`);
    return first.status === 'failed' || second.status === 'failed' ? 1 : 0;
  } finally {
    await local.close();
  }
}
