/**
 * The scale table: the default sweep (Resource Graph inventory, report only) over generated fleets
 * of growing size, each in a fresh process so its peak RSS (`process.resourceUsage().maxRSS`, the
 * kernel's high-water mark of the sweep process) is that sweep's own. The simulator runs in a child
 * of that process, as in sweepBench.ts, and its RSS is printed apart. One sweep per size (the
 * process's first: it also loads the SDKs, about 0.3 s). A script that prints figures, not a test.
 * Per size, two rows: the whole-fleet sweep (runSweep, what the CLI runs: every finding and cluster
 * held at once) and the streaming sweep the timer runs (lib/sweep/streamingSweep.ts: shards of at
 * most `--shard-clusters` clusters, `--in-flight` at a time, by default as the timer runs them).
 *
 *   node dist/test/bench/scaleBench.js [--sizes 5000,20000,50000] [--whole-sizes 5000,20000,50000]
 *     [--latency 50] [--concurrency 8] [--shard-clusters 2000] [--in-flight 2]
 *
 * and a third, the Durable fan-out the timer starts for large fleets (fanOutBench.ts's
 * `measureFanOut`: shards of `--fan-out-shard` subscriptions on `--fan-out-parallel` child-process
 * instances; its peak RSS is the largest shard activity's, its instance baseline included).
 *
 * `--whole-sizes`: the sizes that also run the whole-fleet sweep (default 5,000 and 20,000: it took
 * 8 min at 50,000 clusters, 489 s / 565 MB, BENCHMARKS.md); `--fan-out-sizes` likewise (default all).
 *
 * Each size keeps the default fleet's proportions: 50 clusters per subscription, 250 per Log
 * Analytics workspace, 10 locations (12 from 20,000 on, the generator's list).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { RESOURCE_GRAPH_QUOTA } from '../../lib/serviceLimits.js';
import { runStreamingSweep, SHARDS_IN_FLIGHT } from '../../lib/sweep/streamingSweep.js';
import { measureFanOut } from './fanOutBench.js';
import { limitsCell } from './limitsCell.js';
import { startLocalAzureProcess } from './remoteLocalAzure.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000,20000,50000' },
    'whole-sizes': { type: 'string' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    'shard-clusters': { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: String(SHARDS_IN_FLIGHT) },
    'fan-out-sizes': { type: 'string' },
    'fan-out-shard': { type: 'string', default: '25' },
    'fan-out-parallel': { type: 'string', default: '4' },
    // Internal: run one streaming sweep of this many clusters in this (fresh) process and print its figures.
    'stream-child': { type: 'string' },
    // Diagnostic: the streaming child also forces a garbage collection after each shard and reports the
    // live heap then (its largest), i.e. what the sweep really holds between shards; its peak RSS is then not comparable.
    'live-heap': { type: 'boolean', default: false },
  },
});
const sweepBench = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sweepBench.js');
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const shardClusters = Number(values['shard-clusters']);
const inFlight = Number(values['in-flight']);

interface PhaseResult {
  wallMs: number;
  /** The whole-fleet phase's; the streaming row is compared with the same bound. */
  boundMs?: number;
  shards?: number;
  largestShard?: number;
  liveHeapMb?: number;
  calls: Record<string, number>;
  /** The busiest window of each service against its documented limit (limitsCell.ts). */
  limits?: string;
  findings: number;
  errors: number;
  peakRssMb: number;
  simulatorRssMb: number;
}

/** The fleet for `clusters` in the default fleet's proportions. */
function fleetOf(clusters: number) {
  return {
    clusters,
    subscriptions: Math.max(1, Math.round(clusters / 50)),
    workspaces: Math.max(1, Math.round(clusters / 250)),
    locations: clusters >= 20_000 ? 12 : 10,
  };
}

function fleetArgs(clusters: number): string[] {
  const fleet = fleetOf(clusters);
  return [
    '--clusters',
    String(clusters),
    '--subscriptions',
    String(fleet.subscriptions),
    '--locations',
    String(fleet.locations),
    '--workspaces',
    String(fleet.workspaces),
  ];
}

function run(script: string, args: string[], nodeFlags: string[] = []): string {
  const child = spawnSync(process.execPath, [...nodeFlags, script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`${path.basename(script)} ${args.join(' ')} exited with ${child.status}`);
  return child.stdout;
}

function phaseResult(output: string, what: string): PhaseResult {
  const line = output.split('\n').find((text) => text.startsWith('phase result: '));
  if (line === undefined) throw new Error(`no phase result for ${what}`);
  return JSON.parse(line.slice('phase result: '.length)) as PhaseResult;
}

/**
 * The child: one streaming sweep, report only like the default phase (the simulator in a child of
 * this process, with the same latency), so its wall time and peak RSS compare with the whole-fleet row.
 */
async function streamChild(clusters: number): Promise<void> {
  const local = await startLocalAzureProcess({
    fleet: fleetOf(clusters),
    withTables: false,
    faults: { routes: { '*': { latencyMs } } },
    settings: { FLEETGUARD_SWEEP_CONCURRENCY: String(concurrency), FLEETGUARD_INVENTORY_SOURCE: 'resourceGraph' },
  });
  try {
    const clients = createAzureClients(local.config);
    let shards = 0;
    let largestShard = 0;
    let liveHeapMb = 0;
    const gc = (globalThis as { gc?: () => void }).gc;
    const started = performance.now();
    const result = await runStreamingSweep(sweepDependencies(clients, { withStore: false }), {
      subscriptions: [],
      concurrency,
      trigger: 'bench',
      shardClusters,
      shardsInFlight: inFlight,
      onShard: (shard) => {
        shards += 1;
        largestShard = Math.max(largestShard, shard.stats.clusters);
        if (values['live-heap'] && gc !== undefined) {
          gc();
          liveHeapMb = Math.max(liveHeapMb, Math.round(process.memoryUsage().heapUsed / 1024 / 1024));
        }
      },
    });
    const wallMs = performance.now() - started;
    const stats = await local.stats();
    console.log(
      `phase result: ${JSON.stringify({
        wallMs: Math.round(wallMs),
        calls: stats.countsByRoute,
        findings: result.stats.findings.total,
        errors: result.errors.length,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        simulatorRssMb: stats.rssMb,
        limits: limitsCell(stats),
        shards,
        largestShard,
        ...(values['live-heap'] ? { liveHeapMb } : {}),
      })}`,
    );
  } finally {
    await local.close();
  }
}

/** Calls per service (the route's prefix: arm, graph, policy, logs). */
/** Calls over the concurrency, or Resource Graph's quota windows (RESOURCE_GRAPH_QUOTA), whichever is longer. */
function workAndQuotaBoundMs(calls: Record<string, number>): number {
  const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
  const windows = Math.ceil((calls['graph.resources'] ?? 0) / RESOURCE_GRAPH_QUOTA.queries);
  const quotaMs = windows <= 1 ? 0 : (windows - 1) * RESOURCE_GRAPH_QUOTA.windowMs + latencyMs;
  return Math.max(Math.ceil(total / concurrency) * latencyMs, quotaMs);
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

function perService(calls: Record<string, number>): string {
  const services = new Map<string, number>();
  for (const [route, count] of Object.entries(calls)) services.set(route.split('.')[0] ?? route, (services.get(route.split('.')[0] ?? route) ?? 0) + count);
  return [...services].map(([service, count]) => `${service} ${count}`).join(', ');
}

if (values['stream-child'] !== undefined) {
  await streamChild(Number(values['stream-child']));
} else {
  await main();
}

async function main(): Promise<void> {
  const sizes = values.sizes.split(',').map(Number);
  const sizesOf = (list: string) => new Set(list.split(',').filter(Boolean).map(Number));
  const wholeSizes = sizesOf(values['whole-sizes'] ?? '5000,20000');
  const fanOutSizes = sizesOf(values['fan-out-sizes'] ?? values.sizes);
  const common = ['--latency', values.latency, '--concurrency', values.concurrency];
  console.log(
    `# Scale: the default sweep (Resource Graph, report only), ${values.latency} ms per call, concurrency ${values.concurrency}, one fresh process per sweep; streaming: shards of at most ${shardClusters} clusters, ${inFlight} at a time`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}; load average at start ${loadavg()[0]?.toFixed(1)}`,
  );
  const rows: string[][] = [];
  const row = (clusters: number, path: string, result: PhaseResult, boundMs: number | undefined) => {
    const total = Object.values(result.calls).reduce((sum, count) => sum + count, 0);
    rows.push([
      clusters.toLocaleString('en-US'),
      path,
      `${(result.wallMs / 1000).toFixed(1)} s`,
      boundMs === undefined ? '—' : `${(boundMs / 1000).toFixed(1)} s`,
      boundMs === undefined ? '—' : (result.wallMs / boundMs).toFixed(2),
      `${total} (${perService(result.calls)})`,
      result.limits ?? '—',
      `${result.peakRssMb} MB`,
      `${result.simulatorRssMb} MB`,
      result.shards === undefined
        ? '—'
        : `${result.shards} (largest ${result.largestShard})${result.liveHeapMb === undefined ? '' : `; live heap after a shard ≤ ${result.liveHeapMb} MB`}`,
      `${result.findings}${result.errors > 0 ? `, ${result.errors} errors` : ''}`,
    ]);
  };
  for (const clusters of sizes) {
    const args = [...fleetArgs(clusters), ...common];
    let boundMs: number | undefined;
    if (wholeSizes.has(clusters)) {
      // The shape (row counts the bound needs) is computed in its own process, so generating the fleet
      // is charged neither to this script's nor to the sweep's RSS.
      const shape = run(sweepBench, [...args, '--shape-only']).trim();
      const started = performance.now();
      const whole = phaseResult(run(sweepBench, [...args, '--phase', 'default', '--once', '--shape', shape]), `${clusters} clusters`);
      boundMs = whole.boundMs;
      row(clusters, 'whole fleet (runSweep)', whole, boundMs);
      console.log(
        `${clusters} clusters, whole fleet: done in ${((performance.now() - started) / 1000).toFixed(0)} s (process, including the simulator's start); load average ${loadavg()[0]?.toFixed(1)}`,
      );
    }
    const started = performance.now();
    const streamed = phaseResult(
      run(
        fileURLToPath(import.meta.url),
        [
          '--stream-child',
          String(clusters),
          ...common,
          '--shard-clusters',
          String(shardClusters),
          '--in-flight',
          String(inFlight),
          ...(values['live-heap'] ? ['--live-heap'] : []),
        ],
        values['live-heap'] ? ['--expose-gc'] : [],
      ),
      `${clusters} clusters, streaming`,
    );
    // Without a whole-fleet run at this size, the streaming sweep's own calls give the bound's work and
    // quota parts (the dependency chain, a few rounds, is below both at these sizes).
    boundMs ??= workAndQuotaBoundMs(streamed.calls);
    row(clusters, `streaming (${inFlight} shard${inFlight === 1 ? '' : 's'} at a time)`, streamed, boundMs);
    console.log(
      `${clusters} clusters, streaming: done in ${((performance.now() - started) / 1000).toFixed(0)} s (process, including the simulator's start); load average ${loadavg()[0]?.toFixed(1)}`,
    );
    if (fanOutSizes.has(clusters)) {
      const shardSize = Number(values['fan-out-shard']);
      const parallel = Number(values['fan-out-parallel']);
      const fanOut = await measureFanOut({ clusters, shardSize, parallel, latencyMs, concurrency });
      rows.push([
        clusters.toLocaleString('en-US'),
        `Durable fan-out (shards of ${shardSize} subscriptions, ${parallel} instances)`,
        `${(fanOut.wallMs / 1000).toFixed(1)} s`,
        boundMs === undefined ? '—' : `${(boundMs / 1000).toFixed(1)} s`,
        boundMs === undefined ? '—' : (fanOut.wallMs / boundMs).toFixed(2),
        `${Object.values(fanOut.callsByService).reduce((sum, count) => sum + count, 0)} (${perService(fanOut.callsByService)})`,
        fanOut.limits,
        `per activity ≤ ${mb(fanOut.perActivityPeakRssBytes)} (median ${mb(fanOut.perActivityMedianPeakRssBytes)}; instance baseline ${mb(fanOut.instanceBaselineRssBytes)})`,
        '—',
        `${fanOut.activities} activities, ≤ ${(fanOut.activityMs.max / 1000).toFixed(1)} s each; history ${(fanOut.historyPayloadBytes / 1024).toFixed(0)} KB`,
        `${fanOut.findings}${fanOut.status === 'succeeded' ? '' : `, ${fanOut.status}`}`,
      ]);
      console.log(`${clusters} clusters, fan-out: done in ${(fanOut.wallMs / 1000).toFixed(0)} s; load average ${loadavg()[0]?.toFixed(1)}`);
    }
  }
  const header = [
    'clusters',
    'path',
    'wall',
    'bound',
    'wall / bound',
    'calls (per service)',
    'calls vs limit',
    'peak RSS, sweep process',
    'simulator RSS',
    'shards',
    'findings',
  ];
  console.log(`\n| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
  for (const line of rows) console.log(`| ${line.join(' | ')} |`);
  console.log(
    "(bound: the whole-fleet sweep's lower bound for that fleet (sweepBench.js: dependency chain, calls over the concurrency, Resource Graph's quota windows); calls vs limit: the busiest window of each service in the sweep against its documented limit, lib/serviceLimits.ts)",
  );
}
