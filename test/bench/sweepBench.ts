/**
 * `npm run bench`: the fleet sweep over a generated fleet, with the simulator adding latency to
 * every call. The simulator and Azurite run in a child process (Azure is remote in production), so
 * the wall time, CPU and RSS printed here are the sweep's own. In one run it measures:
 *   1. the default sweep (Resource Graph inventory), report only, against its lower bound;
 *   2. the same with the findings store (Azurite in the child);
 *   3. the per-subscription ARM inventory, against its lower bound;
 *   4. a naive per-cluster sweep (one call per cluster for versions, policy and logs).
 * A script that prints figures, not a test.
 *
 *   node dist/test/bench/sweepBench.js [--clusters 5000] [--subscriptions 100] [--locations 10]
 *     [--workspaces 20] [--latency 50] [--concurrency 8] [--naive-clusters 5000] [--limits-clusters 50000]
 * Every sweep also prints its calls per service against the services' documented limits
 * (lib/serviceLimits.ts); `--limits-clusters` repeats the default sweep at other fleet sizes for that.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import pLimit from 'p-limit';

import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { DETECTIONS } from '../../lib/detections/catalog.js';
import { prepareDetectionQuery, scopeToCluster } from '../../lib/detections/query.js';
import { ARM_READ_BUCKET, LOG_ANALYTICS_LIMITS, POLICY_INSIGHTS_BUCKET, RESOURCE_GRAPH_QUOTA } from '../../lib/serviceLimits.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { limitsCell } from './limitsCell.js';
import type { ProcessStats } from './localAzureProcess.js';
import { startLocalAzureProcess } from './remoteLocalAzure.js';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '5000' },
    subscriptions: { type: 'string', default: '100' },
    locations: { type: 'string', default: '10' },
    workspaces: { type: 'string', default: '20' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    // The naive sweep's log queries (one per cluster) are paced by Log Analytics' 200 per 30 s
    // (lib/serviceLimits.ts): at 5,000 clusters it takes 12.5 min, so by default it sweeps 1,000.
    'naive-clusters': { type: 'string', default: '1000' },
    // Fleets (besides the main one) whose default sweep prints calls per service vs the limits; one
    // workspace per 250 clusters. Empty to skip.
    // (scaleBench.ts prints every size's calls against the limits; this repeats them here.)
    'limits-clusters': { type: 'string', default: '' },
    // Internal: the parent runs each phase in a fresh process, so each peak RSS is that phase's own.
    phase: { type: 'string' },
    shape: { type: 'string' },
    // Internal, for scaleBench.ts: print the fleet's shape (JSON) and exit; or run one sweep, not a warm pair.
    'shape-only': { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
  },
});
const fleetOptions = {
  clusters: Number(values.clusters),
  subscriptions: Number(values.subscriptions),
  locations: Number(values.locations),
  workspaces: Number(values.workspaces),
};
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const naiveClusters = Math.min(Number(values['naive-clusters'] ?? fleetOptions.clusters), fleetOptions.clusters);
const GRAPH_PAGE = 1000;

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const rounds = (calls: number) => Math.ceil(calls / concurrency);

/** Row counts the Resource Graph pages depend on, from the same generated fleet the child serves. */
function fleetShape() {
  const snapshot = generateFleet(fleetOptions);
  const states = (snapshot.policyStates?.['value'] ?? []) as Array<Record<string, string>>;
  const nonCompliant = states.filter((state) => state['complianceState'] === 'NonCompliant').length;
  const summaryRows = new Set(states.map((state) => `${state['resourceId']?.toLowerCase()}|${state['complianceState']}`)).size;
  const subscriptionsWithClusters = new Set(snapshot.clusters.map((cluster) => String(cluster['id']).split('/')[2])).size;
  return { nonCompliant, summaryRows, subscriptionsWithClusters };
}
// Computed once by the parent: generating the fleet here would count toward a phase's RSS.
const shape = values.shape === undefined ? fleetShape() : (JSON.parse(values.shape) as ReturnType<typeof fleetShape>);
/** One union query per workspace for all detections (lib/detections/unionQuery.ts). */
const logQueries = fleetOptions.workspaces;

interface LowerBound {
  rounds: number;
  chain: number;
  work: number;
  explain: string;
}

/**
 * The critical path: calls that depend on each other run in sequence (discovery, then inventory
 * pages, then the calls that need the inventory); everything else shares `concurrency` slots. The
 * bound is the larger of the dependency chain and the total work over the slots, times latency.
 */
function lowerBound(source: 'resourceGraph' | 'arm', totalCalls: number, componentStep = 0, graphQueries = 0): LowerBound {
  if (source === 'resourceGraph') {
    // Each query is split by subscription into up to 4 requests that page side by side.
    const requests = Math.min(concurrency, 4, fleetOptions.subscriptions);
    const pages = (rows: number) => Math.max(1, Math.ceil(rows / requests / GRAPH_PAGE));
    const clusterPages = pages(fleetOptions.clusters);
    const tail = Math.max(pages(shape.nonCompliant), pages(shape.summaryRows));
    // The component queries need the non-compliant states (which clusters are flagged): one more step.
    const chain = 1 + 1 + clusterPages + tail + componentStep;
    const work = rounds(totalCalls);
    // Resource Graph's quota (RESOURCE_GRAPH_QUOTA: 15 queries per 5-second window per user): no client
    // can send the (15·k + 1)th query before k windows have passed since its first, whatever its
    // concurrency; that query's own round trip follows. Without it the bound is one no sweep can reach.
    const windows = Math.ceil(graphQueries / RESOURCE_GRAPH_QUOTA.queries);
    const quota = windows <= 1 ? 0 : Math.ceil(((windows - 1) * RESOURCE_GRAPH_QUOTA.windowMs) / latencyMs) + 1;
    return {
      rounds: Math.max(chain, work, quota),
      chain,
      work,
      explain: `chain: discovery 1 + readable subscriptions 1 + cluster pages per request ${clusterPages} + policy pages per request ${tail} + component query ${componentStep} = ${chain}; work: ${totalCalls} calls / ${concurrency} = ${work}; Resource Graph quota: ${graphQueries} queries in ${windows} window${windows === 1 ? '' : 's'} of ${RESOURCE_GRAPH_QUOTA.windowMs / 1000} s = ${quota}`,
    };
  }
  const chain = 1 + 1 + 1;
  const work = rounds(totalCalls);
  return {
    rounds: Math.max(chain, work),
    chain,
    work,
    explain: `chain: discovery, list, then a call that needs the list = ${chain}; work: ${totalCalls} calls / ${concurrency} = ${work}`,
  };
}

function printCalls(stats: ProcessStats): void {
  console.log(`HTTP calls: ${stats.total} ${JSON.stringify(stats.countsByRoute)}; most in flight at once: ${stats.maxInFlight}`);
  if (stats.timeline !== undefined)
    console.log(
      `timeline (ms after the first call, first–last per route): ${Object.entries(stats.timeline)
        .sort(([, left], [, right]) => left.first - right.first)
        .map(([route, span]) => `${route} ${span.first}–${span.last}`)
        .join(', ')}`,
    );
}

/**
 * Calls per service in one sweep against each service's documented limit (lib/serviceLimits.ts,
 * sources there): counted by the simulator's request log (route prefix), with arrival times.
 */
function printServiceLimits(stats: ProcessStats, wallMs: number): void {
  const service = (name: string) => stats.services?.[name] ?? { calls: 0, maxInFlight: 0, peak5s: 0, peak30s: 0 };
  const logs = service('logs');
  const graph = service('graph');
  const arm = service('arm');
  const policy = service('policy');
  const busiest = stats.armReadsBusiestSubscription ?? { total: 0, peak10s: 0 };
  const seconds = wallMs / 1000;
  console.log(`calls per service vs documented limits (sweep of ${seconds.toFixed(1)} s):`);
  console.log(
    `  Log Analytics  ${logs.calls} queries (${fleetOptions.workspaces} workspaces × 1 union; ${fleetOptions.workspaces * DETECTIONS.length} before, one per detection); most in flight ${logs.maxInFlight} vs ${LOG_ANALYTICS_LIMITS.concurrency}; most in any 30 s ${logs.peak30s} vs ${LOG_ANALYTICS_LIMITS.queriesPerWindow}`,
  );
  console.log(
    `  Resource Graph ${graph.calls} queries; most in any 5 s ${graph.peak5s} vs about ${RESOURCE_GRAPH_QUOTA.queries} (paced by x-ms-user-quota-remaining/-resets-after)`,
  );
  console.log(
    `  ARM            ${arm.calls} calls; busiest subscription ${busiest.total} reads, most in any 10 s ${busiest.peak10s} vs bucket ${ARM_READ_BUCKET.size} + ${ARM_READ_BUCKET.refillPerSecond}/s (${ARM_READ_BUCKET.size + ARM_READ_BUCKET.refillPerSecond * 10} in 10 s)`,
  );
  const policyBusiest = stats.policyBusiestSubscription ?? { total: 0, peak10s: 0 };
  const components = Object.entries(stats.countsByRoute)
    .filter(([route]) => route.startsWith('policy.') && route.toLowerCase().includes('component'))
    .reduce((sum, [, count]) => sum + count, 0);
  // No Policy Insights limit is published; the client paces these POSTs by ARM's write bucket per
  // subscription (POLICY_INSIGHTS_BUCKET, the stricter reading: lib/serviceLimits.ts).
  console.log(
    `  Policy Insights ${policy.calls} calls (POST queryResults through ARM; ${components} component queries, one per subscription with flagged add-on clusters); busiest subscription ${policyBusiest.total}, most in any 10 s ${policyBusiest.peak10s} vs the paced bucket ${POLICY_INSIGHTS_BUCKET.size} + ${POLICY_INSIGHTS_BUCKET.refillPerSecond}/s (${POLICY_INSIGHTS_BUCKET.size + POLICY_INSIGHTS_BUCKET.refillPerSecond * 10} in 10 s); most in flight ${policy.maxInFlight}`,
  );
}

/**
 * One sweep, or with `warm` two: the first sweep of a process also loads the SDK packages (they are
 * imported on first use), the second is what every later timer tick of a warm instance costs.
 */
async function sweepPhase(
  title: string,
  source: 'resourceGraph' | 'arm',
  withStore: boolean,
  warm = false,
): Promise<{ wallMs: number; result: SweepResult; boundMs: number; calls: Record<string, number>; limits: string; simulatorRssMb: number }> {
  const local = await startLocalAzureProcess({
    fleet: fleetOptions,
    withTables: withStore,
    faults: { routes: { '*': { latencyMs } } },
    settings: { FLEETGUARD_SWEEP_CONCURRENCY: String(concurrency), FLEETGUARD_INVENTORY_SOURCE: source },
  });
  try {
    const clients = createAzureClients(local.config);
    let coldMs: number | undefined;
    if (warm) {
      const coldStarted = performance.now();
      await runSweep(sweepDependencies(clients, { withStore }), { subscriptions: [], concurrency, trigger: 'bench' });
      coldMs = performance.now() - coldStarted;
      await local.reset();
      // Timer ticks are minutes apart: the measured sweep starts with a fresh Resource Graph quota
      // window (15 per 5 s per user), not the one the first sweep left nearly spent.
      await new Promise((resolve) => setTimeout(resolve, RESOURCE_GRAPH_QUOTA.windowMs + 1000));
    }
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await runSweep(sweepDependencies(clients, { withStore }), { subscriptions: [], concurrency, trigger: 'bench' });
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const stats = await local.stats();
    const componentCalls = Object.entries(stats.countsByRoute).some(
      ([route, count]) => route.startsWith('policy.') && route.toLowerCase().includes('component') && count > 0,
    );
    const bound = lowerBound(source, stats.total, componentCalls ? 1 : 0, stats.countsByRoute['graph.resources'] ?? 0);
    console.log(`\n## ${title}`);
    console.log(
      `status ${result.status}, ${result.stats.clusters} clusters, ${result.stats.findings.total} findings, ${result.errors.length} errors${result.stats.store ? `, store ${JSON.stringify(result.stats.store)}` : ''}`,
    );
    console.log(
      `wall time ${wallMs.toFixed(0)} ms${coldMs === undefined ? '' : ` (warm; the process's first sweep, which also loads the SDKs: ${coldMs.toFixed(0)} ms)`}; sweep CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`,
    );
    console.log(
      `lower bound ${bound.rounds} rounds × ${latencyMs} ms = ${bound.rounds * latencyMs} ms (${bound.explain}); ratio ${(wallMs / (bound.rounds * latencyMs)).toFixed(2)}`,
    );
    printCalls(stats);
    printServiceLimits(stats, wallMs);
    const inventoryCalls =
      (stats.countsByRoute['arm.listManagedClusters'] ?? 0) +
      (stats.countsByRoute['arm.listKubernetesVersions'] ?? 0) +
      (stats.countsByRoute['arm.listSubscriptions'] ?? 0);
    const budget = (fleetOptions.subscriptions + fleetOptions.locations + logQueries) * 1;
    console.log(`calls budget (subscriptions + locations + workspaces) × pages: ${stats.total} vs ${budget} × pages (inventory via ARM: ${inventoryCalls})`);
    console.log(`simulator process RSS ${stats.rssMb} MB`);
    return { wallMs, result, boundMs: bound.rounds * latencyMs, calls: stats.countsByRoute, limits: limitsCell(stats), simulatorRssMb: stats.rssMb };
  } finally {
    await local.close();
  }
}

/** What a sweep without the batching would do: one call per cluster for versions, policy and logs. */
async function naivePhase(): Promise<void> {
  const local = await startLocalAzureProcess({
    fleet: fleetOptions,
    withTables: false,
    faults: { routes: { '*': { latencyMs } } },
    settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' },
  });
  try {
    const clients = createAzureClients(local.config);
    const limit = pLimit(concurrency);
    const started = performance.now();
    const subscriptions = await clients.fleet.listSubscriptionIds();
    const listings = await Promise.all(subscriptions.map((id) => limit(() => clients.fleet.listClusters(id))));
    const clusters = listings.flatMap((listing) => listing.clusters).slice(0, naiveClusters);
    const detection = DETECTIONS[0]!;
    const query = prepareDetectionQuery(detection, { lookbackMinutes: 60, threshold: detection.threshold });
    let failures = 0;
    await Promise.all(
      clusters.flatMap((cluster) => [
        limit(() => clients.containerService.controlPlaneUpgrades(cluster).catch(() => (failures += 1))),
        limit(() =>
          clients.policyInsights.listNonCompliantClusterStatesInResourceGroup(cluster.subscriptionId, cluster.resourceGroup).catch(() => (failures += 1)),
        ),
        limit(() => clients.logs.reader.query(cluster.logWorkspaceIds[0] ?? '', scopeToCluster(query, cluster.id), 60).catch(() => (failures += 1))),
      ]),
    );
    const wallMs = performance.now() - started;
    const stats = await local.stats();
    console.log(`\n## Naive per-cluster sweep (${clusters.length} clusters: upgrade profile, policy states and one log query each)`);
    console.log(
      `wall time ${wallMs.toFixed(0)} ms for ${clusters.length} clusters${clusters.length < fleetOptions.clusters ? ` (≈ ${((wallMs * fleetOptions.clusters) / clusters.length / 1000).toFixed(0)} s for all ${fleetOptions.clusters})` : ''}; ${failures} failed calls`,
    );
    console.log(
      `lower bound ${rounds(stats.total)} rounds × ${latencyMs} ms = ${rounds(stats.total) * latencyMs} ms; and it still runs 1 of ${DETECTIONS.length} detections`,
    );
    printCalls(stats);
  } finally {
    await local.close();
  }
}

const PHASES = ['default', 'store', 'arm', 'naive'] as const;

/** The default sweep at another fleet size, for its calls per service against the limits (a fresh process each). */
function limitsRuns(): void {
  const sizes = (values['limits-clusters'] ?? '')
    .split(',')
    .map((value) => Number(value.trim()))
    .filter((value) => Number.isInteger(value) && value > 0 && value !== fleetOptions.clusters);
  for (const clusters of sizes) {
    const workspaces = Math.max(1, Math.round(clusters / 250));
    const subscriptions = Math.max(fleetOptions.subscriptions, Math.round(clusters / 50));
    console.log(`\n# Calls per service at ${clusters} clusters (${subscriptions} subscriptions, ${workspaces} workspaces)`);
    const started = performance.now();
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--clusters',
        String(clusters),
        '--subscriptions',
        String(subscriptions),
        '--locations',
        String(fleetOptions.locations),
        '--workspaces',
        String(workspaces),
        '--latency',
        String(latencyMs),
        '--concurrency',
        String(concurrency),
        '--phase',
        'default',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
    );
    process.stdout.write(
      child.stdout
        .split('\n')
        .filter((line) => !line.startsWith('phase result: '))
        .join('\n'),
    );
    console.log(`(the whole run, fleet generation included: ${((performance.now() - started) / 1000).toFixed(0)} s; exit ${child.status})`);
  }
}

function fingerprintDigest(result: SweepResult): string {
  return createHash('sha256')
    .update(
      result.findings
        .map((finding) => finding.fingerprint)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
}

async function runPhase(phase: string): Promise<void> {
  const report = (outcome: {
    wallMs: number;
    result: SweepResult;
    boundMs?: number;
    calls?: Record<string, number>;
    limits?: string;
    simulatorRssMb?: number;
  }) =>
    console.log(
      `phase result: ${JSON.stringify({
        wallMs: Math.round(outcome.wallMs),
        digest: fingerprintDigest(outcome.result),
        // For scaleBench.ts: the bound, the calls, and this process's peak RSS so far (the sweep's own).
        boundMs: outcome.boundMs,
        calls: outcome.calls,
        limits: outcome.limits,
        findings: outcome.result.stats.findings.total,
        errors: outcome.result.errors.length,
        peakRssMb: peakRssMb(),
        simulatorRssMb: outcome.simulatorRssMb,
      })}`,
    );
  if (phase === 'default') report(await sweepPhase('Default sweep (Resource Graph inventory), report only', 'resourceGraph', false, !values.once));
  else if (phase === 'store') report(await sweepPhase('Default sweep with the findings store (Azurite in the child process)', 'resourceGraph', true));
  else if (phase === 'arm') report(await sweepPhase('Per-subscription ARM inventory, report only', 'arm', false, true));
  else await naivePhase();
  console.log(`peak RSS of this phase's process: ${peakRssMb()} MB`);
}

if (values['shape-only']) {
  console.log(JSON.stringify(shape));
} else if (values.phase !== undefined) {
  await runPhase(values.phase);
} else {
  console.log(
    `# Sweep benchmark: ${fleetOptions.clusters} clusters, ${fleetOptions.subscriptions} subscriptions, ${fleetOptions.locations} locations, ${fleetOptions.workspaces} workspaces, ${latencyMs} ms per call, concurrency ${concurrency}`,
  );
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${megabytes(totalmem())} RAM, Node ${process.version}`);
  console.log(
    `fleet: ${shape.subscriptionsWithClusters} subscriptions with clusters, ${shape.nonCompliant} non-compliant policy states, ${shape.summaryRows} (resource, state) pairs, ${logQueries} log queries`,
  );
  const results = new Map<string, { wallMs: number; digest: string }>();
  for (const phase of PHASES) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--phase', phase, '--shape', JSON.stringify(shape)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = child.stdout.split('\n');
    process.stdout.write(lines.filter((line) => !line.startsWith('phase result: ')).join('\n'));
    const result = lines.find((line) => line.startsWith('phase result: '));
    if (result !== undefined) results.set(phase, JSON.parse(result.slice('phase result: '.length)) as { wallMs: number; digest: string });
    if (child.status !== 0) throw new Error(`phase ${phase} exited with ${child.status}`);
  }
  limitsRuns();
  const graph = results.get('default');
  const arm = results.get('arm');
  if (graph && arm)
    console.log(
      `\nResource Graph vs ARM listing: ${(arm.wallMs / graph.wallMs).toFixed(2)}× faster, same findings: ${graph.digest === arm.digest && graph.digest === results.get('store')?.digest}`,
    );
}
