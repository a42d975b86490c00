/**
 * `npm run bench`: the findings store per sweep (issue 19: write only what changed). Three sweeps of
 * a generated fleet, each with the real runSweep and FindingsStore on Azurite:
 *   1. the first sweep (every finding opened: what every sweep wrote before the partition mark);
 *   2. a second sweep with no change (steady state);
 *   3. a sweep with ~1% of the clusters changed (local accounts toggled).
 * Once straight to Azurite and once through the loopback latency proxy (10–20 ms per request,
 * tooling/simulator/tablesLatencyProxy.ts), which also counts the requests: each one is a billable
 * Azure Tables transaction. The simulator answers ARM without latency here: the store is measured.
 * A script that prints figures, not a test.
 *
 *   node dist/test/bench/storeBench.js [--clusters 5000] [--subscriptions 100] [--min-ms 10] [--max-ms 20] [--concurrency 8]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { TableClient } from '@azure/data-tables';

import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { FindingsStore } from '../../lib/findings/findingsStore.js';
import type { SweepScope } from '../../lib/findings/lifecycle.js';
import type { Finding } from '../../lib/model/finding.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import { startAzuriteTables } from '../../tooling/simulator/azurite.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { startTablesLatencyProxy } from '../../tooling/simulator/tablesLatencyProxy.js';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '5000' },
    subscriptions: { type: 'string', default: '100' },
    'min-ms': { type: 'string', default: '10' },
    'max-ms': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
  },
});
const fleetOptions = { clusters: Number(values.clusters), subscriptions: Number(values.subscriptions), locations: 10, workspaces: 20 };
const concurrency = Number(values.concurrency);

/** The store's own time in a sweep: first partition started to last one done. */
class TimedStore extends FindingsStore {
  first = Number.POSITIVE_INFINITY;
  last = 0;
  override async reconcileSubscription(observed: readonly Finding[], scope: SweepScope) {
    this.first = Math.min(this.first, performance.now());
    try {
      return await super.reconcileSubscription(observed, scope);
    } finally {
      this.last = Math.max(this.last, performance.now());
    }
  }
  take(): number {
    const ms = this.last - this.first;
    this.first = Number.POSITIVE_INFINITY;
    this.last = 0;
    return Number.isFinite(ms) ? ms : 0;
  }
}

async function phase(withLatency: boolean): Promise<void> {
  const azurite = await startAzuriteTables();
  const proxy = await startTablesLatencyProxy({
    tableEndpoint: azurite.tableEndpoint,
    minMs: withLatency ? Number(values['min-ms']) : 0,
    maxMs: withLatency ? Number(values['max-ms']) : 0,
  });
  const connectionString = proxy.connectionStringFor(azurite.connectionString);
  const local = await startLocalAzure({
    snapshot: generateFleet(fleetOptions),
    tablesConnectionString: connectionString,
    settings: { FLEETGUARD_FINDINGS_TABLE: 'findingsbench', FLEETGUARD_SWEEPS_TABLE: 'sweepsbench' },
  });
  try {
    const clients = createAzureClients(local.config);
    const store = new TimedStore(TableClient.fromConnectionString(connectionString, 'findingsbench', { allowInsecureConnection: true }));
    await store.ensureTable();
    // The sweep record is left out: its rows (one per cluster) are another store, counted separately below; so are notices and alerts (other tables).
    const deps = { ...sweepDependencies(clients), findings: store, sweeps: undefined, notices: undefined, alerts: undefined };
    const title = withLatency ? `through the latency proxy (${values['min-ms']}–${values['max-ms']} ms per request)` : 'straight to Azurite';
    console.log(`\n## Findings store per sweep, ${fleetOptions.clusters} clusters in ${fleetOptions.subscriptions} subscriptions, ${title}`);
    console.log('| sweep | findings | rows written | requests (reads / batches / single writes / table ops) | store time | sweep wall |');
    console.log('| --- | ---: | ---: | --- | ---: | ---: |');
    const sweep = async (label: string) => {
      proxy.reset();
      const started = performance.now();
      const result = await runSweep(deps, { subscriptions: [], concurrency, trigger: 'bench' });
      const wall = performance.now() - started;
      const counts = proxy.counts();
      const stats = result.stats.store!;
      if (result.errors.length > 0) console.log(`  (errors: ${JSON.stringify(result.errors.slice(0, 3))})`);
      console.log(
        `| ${label} | ${result.stats.findings.total} | ${stats.rowsWritten} (${stats.opened} opened, ${stats.reopened} reopened, ${stats.resolved} resolved, ${stats.updated} still open) | ${counts.total} (${counts.query} / ${counts.batch} / ${counts.write} / ${counts.other}) | ${(store.take() / 1000).toFixed(2)} s | ${(wall / 1000).toFixed(2)} s |`,
      );
      return result;
    };
    const first = await sweep('1. first sweep (every sweep before: all rows)');
    await sweep('2. no change');
    // ~1% of the clusters change: local accounts toggled, so their AKS-LOCAL-ACCOUNTS findings resolve or open.
    const clusters = local.simulator.fleet.listSubscriptions().flatMap((subscription) => subscription.clusters);
    const step = Math.max(1, Math.round(clusters.length / Math.max(1, Math.round(clusters.length / 100))));
    let changed = 0;
    for (let index = 0; index < clusters.length; index += step) {
      local.simulator.fleet.updateClusterProperties(String(clusters[index]!['id']), (properties) => {
        properties['disableLocalAccounts'] = properties['disableLocalAccounts'] !== true;
      });
      changed += 1;
    }
    await sweep(`3. ${changed} clusters changed (~1%)`);
    const partitions = new Set(first.findings.map((finding) => finding.subscriptionId)).size;
    const perPartition = new Map<string, number>();
    for (const finding of first.findings) perPartition.set(finding.subscriptionId, (perPartition.get(finding.subscriptionId) ?? 0) + 1);
    const before = [...perPartition.values()].reduce((sum, rows) => sum + Math.ceil(rows / 100), 0);
    console.log(
      `Before the partition mark every sweep wrote every finding: ${first.stats.findings.total} rows in ${before} batches (+ ${partitions} partition reads). ` +
        `The sweep record adds ${Math.ceil(fleetOptions.clusters / 100)} batches (one row per cluster) and 1 write per sweep, unchanged here.`,
    );
  } finally {
    await local.close();
    await proxy.close();
    await azurite.close();
  }
}

console.log(`# Store bench (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version})`);
await phase(false);
await phase(true);
