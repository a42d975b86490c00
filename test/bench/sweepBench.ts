/**
 * `npm run bench`: a sweep over a generated fleet through the simulator with per-call latency,
 * reporting wall time, HTTP calls by route and peak RSS. A script that prints figures, not a test.
 *
 *   node dist/test/bench/sweepBench.js [--clusters 2000] [--subscriptions 40] [--locations 8] [--latency 50] [--concurrency 8]
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { createAzureClients, sweepDependencies } from '../../lib/azure/clients.js';
import { DETECTIONS } from '../../lib/detections/catalog.js';
import { generatedSubscriptions, generateFleet } from '../../lib/simulator/fleetGenerator.js';
import { startLocalAzure } from '../../lib/simulator/localAzure.js';
import { runSweep } from '../../lib/sweep/runSweep.js';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '2000' },
    subscriptions: { type: 'string', default: '40' },
    locations: { type: 'string', default: '8' },
    workspaces: { type: 'string', default: '10' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
  },
});
const fleetOptions = { clusters: Number(values.clusters), subscriptions: Number(values.subscriptions), locations: Number(values.locations), workspaces: Number(values.workspaces) };
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

async function benchmark(withStore: boolean): Promise<void> {
  const local = await startLocalAzure({
    snapshot: generateFleet(fleetOptions),
    withTables: withStore,
    faults: { routes: { '*': { latencyMs } } },
    settings: { FLEETGUARD_SWEEP_CONCURRENCY: String(concurrency) },
  });
  try {
    const clients = createAzureClients(local.config);
    const started = performance.now();
    const result = await runSweep(
      sweepDependencies(clients, { withStore }),
      { subscriptions: withStore ? [] : generatedSubscriptions(fleetOptions), concurrency, trigger: 'bench' },
    );
    const wallMs = performance.now() - started;
    const calls = local.simulator.requests.countsByRoute();
    const totalCalls = Object.values(calls).reduce((sum, count) => sum + count, 0);
    // The calls that must happen: the subscription list (when discovering), then the cluster lists at
    // `concurrency` at a time, then the versions calls at `concurrency` at a time.
    // Stages run one after another, each `concurrency` calls at a time: discovery, cluster lists,
    // versions, policy (two per subscription), detections (workspaces × detections).
    const rounds =
      (withStore ? 1 : 0) +
      Math.ceil(fleetOptions.subscriptions / concurrency) +
      Math.ceil(fleetOptions.locations / concurrency) +
      Math.ceil((2 * fleetOptions.subscriptions) / concurrency) +
      Math.ceil((fleetOptions.workspaces * DETECTIONS.length) / concurrency);
    console.log(`\n## Sweep ${withStore ? 'with findings store (in-process Azurite)' : 'report only (no store)'}`);
    console.log(`status ${result.status}, ${result.stats.clusters} clusters, ${result.stats.findings.total} findings, errors ${result.errors.length}`);
    console.log(`wall time: ${wallMs.toFixed(0)} ms (lower bound ${rounds} rounds × ${latencyMs} ms = ${rounds * latencyMs} ms)`);
    console.log(`HTTP calls: ${totalCalls} ${JSON.stringify(calls)} for ${fleetOptions.clusters} clusters`);
    const policyCalls = calls['policy.queryResults'] ?? 0;
    const logCalls = calls['logs.query'] ?? 0;
    console.log(`inventory calls: ${totalCalls - policyCalls - logCalls} (expected subscriptions + locations (+ discovery) = ${fleetOptions.subscriptions + fleetOptions.locations + (withStore ? 1 : 0)})`);
    console.log(`policy calls: ${policyCalls} (expected 2 per subscription — non-compliant states and the compliance summary — plus extra pages: ${2 * fleetOptions.subscriptions})`);
    console.log(`log calls: ${logCalls} (expected workspaces × detections = ${fleetOptions.workspaces} × ${DETECTIONS.length} = ${fleetOptions.workspaces * DETECTIONS.length})`);
    console.log(`policy compliance ${result.stats.policy.percent ?? '-'}%, findings by rule: ${JSON.stringify(result.stats.findings.byRule)}`);
    if (result.stats.store) console.log(`store: ${JSON.stringify(result.stats.store)}`);
    console.log(`max concurrent calls seen by the simulator: ${local.simulator.requests.maxInFlight}`);
  } finally {
    await local.close();
  }
}

console.log(`# Sweep benchmark: ${fleetOptions.clusters} clusters, ${fleetOptions.subscriptions} subscriptions, ${fleetOptions.locations} locations, ${fleetOptions.workspaces} workspaces, ${latencyMs} ms per call, concurrency ${concurrency}`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${megabytes(totalmem())} RAM, Node ${process.version}`);
await benchmark(false);
await benchmark(true);
console.log(`\npeak RSS of the process (simulator, Azurite and sweep together): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
