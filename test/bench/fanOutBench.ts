/**
 * Sweep fan-out benchmark (issue 19): the same generated fleet swept in one invocation and fanned
 * out in shards of subscriptions, each with 50 ms per call to the simulator (in its own process,
 * as Azure is remote). The fan-out runs the orchestrator's own planning (`planShards`, `lanesOf` of
 * lib/sweep/fleetSweepOrchestrator.ts), each lane's shards one after another on its own child
 * process standing in for a Functions instance, each shard the app's real shard activity
 * (fanOutActivityProcess.ts), then the record activity's merge (`mergedSweep`). The Durable replay
 * is not in the loop (test/integration/fleetSweepFanout.test.ts runs the same orchestrator through
 * it); nor is the task hub's queue latency (on Azure Storage queues, polling adds up to seconds per
 * activity when idle), so fan-out wall times here are a lower bound.
 *
 * Per-activity RSS: each instance runs one activity at a time, so the resident set sampled every
 * 10 ms while a shard runs (its peak) is that shard's, plus the instance's baseline (runtime, SDKs)
 * which a real instance carries too; the kernel's high-water mark of each instance (maxRSS) is
 * printed beside it. Report only (no store), as the scale table's sweeps.
 *
 *   node dist/test/bench/fanOutBench.js [--sizes 5000,50000] [--shard-size 25] [--parallel 4] [--latency 50] [--concurrency 8]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { mergedSweep } from '../../lib/sweep/fleetSweepActivities.js';
import { lanesOf } from '../../lib/sweep/fleetSweepOrchestrator.js';
import { planShards } from '../../lib/sweep/shardPlan.js';
import type { ShardContext, ShardOutcome } from '../../lib/sweep/sweepShard.js';
import type { GeneratedFleetOptions } from '../../tooling/simulator/fleetGenerator.js';
import type { InstanceReply, InstanceRequest } from './fanOutActivityProcess.js';
import { limitsCell } from './limitsCell.js';
import { type RemoteLocalAzure, startLocalAzureProcess } from './remoteLocalAzure.js';

export interface FanOutOptions {
  clusters: number;
  /** Default: the default fleet's proportion, 50 clusters per subscription. */
  subscriptions?: number;
  /** Subscriptions per shard (FLEETGUARD_SWEEP_SHARD_SUBSCRIPTIONS). */
  shardSize: number;
  /** Shard activities in flight (FLEETGUARD_SWEEP_MAX_SHARDS), one instance each. */
  parallel: number;
  latencyMs?: number;
  /** Concurrent calls inside one sweep or shard (FLEETGUARD_SWEEP_CONCURRENCY). */
  concurrency?: number;
}

export interface SingleMeasurement {
  wallMs: number;
  /** The sweep process's high-water mark (maxRSS), bytes. */
  peakRssBytes: number;
  clusters: number;
  findings: number;
  status: string;
  callsByService: Record<string, number>;
  /** The busiest window of each service against its documented limit (limitsCell.ts). */
  limits: string;
}

export interface FanOutMeasurement {
  wallMs: number;
  /** The highest instance high-water mark (maxRSS) of the fan-out, bytes. */
  peakRssBytes: number;
  /** The highest resident set sampled while one shard activity ran alone in its instance, bytes. */
  perActivityPeakRssBytes: number;
  perActivityMedianPeakRssBytes: number;
  /** An instance's resident set before its first activity (runtime, modules), bytes. */
  instanceBaselineRssBytes: number;
  /** Shard activities run (plus one list activity). */
  activities: number;
  activityMs: { median: number; max: number };
  /** Activity inputs and outputs, what the orchestration history holds, bytes. */
  historyPayloadBytes: number;
  clusters: number;
  findings: number;
  status: string;
  callsByService: Record<string, number>;
  /** The busiest window of each service against its documented limit, all instances together (one identity). */
  limits: string;
}

/** The fleet for `clusters` in the default fleet's proportions (as scaleBench.ts). */
export function fleetFor(clusters: number, subscriptions?: number): GeneratedFleetOptions {
  return {
    clusters,
    subscriptions: subscriptions ?? Math.max(1, Math.round(clusters / 50)),
    workspaces: Math.max(1, Math.round(clusters / 250)),
    locations: clusters >= 20_000 ? 12 : 10,
  };
}

interface Instance {
  child: ChildProcess;
  run(request: Exclude<InstanceRequest, { kind: 'exit' }>): Promise<InstanceReply>;
  stop(): void;
}

const here = path.dirname(fileURLToPath(import.meta.url));

async function startInstance(settings: Record<string, string>): Promise<Instance> {
  const child = fork(path.join(here, 'fanOutActivityProcess.js'), [], { env: { ...process.env, BENCH_SETTINGS: JSON.stringify(settings) } });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`instance exited (${code})`)));
  });
  let waiting: ((reply: InstanceReply) => void) | undefined;
  child.on('message', (reply: InstanceReply) => waiting?.(reply));
  return {
    child,
    // One request at a time per instance: the lane waits for each.
    run: (request) =>
      new Promise((resolve) => {
        waiting = resolve;
        child.send(request);
      }),
    stop: () => child.send({ kind: 'exit' } satisfies InstanceRequest),
  };
}

async function withSimulator<T>(options: FanOutOptions, body: (local: RemoteLocalAzure, settings: Record<string, string>) => Promise<T>): Promise<T> {
  const concurrency = String(options.concurrency ?? 8);
  const local = await startLocalAzureProcess({
    fleet: fleetFor(options.clusters, options.subscriptions),
    withTables: false,
    faults: { routes: { '*': { latencyMs: options.latencyMs ?? 50 } } },
    settings: { FLEETGUARD_SWEEP_CONCURRENCY: concurrency },
  });
  try {
    return await body(local, { ...local.settings, FLEETGUARD_SWEEP_CONCURRENCY: concurrency });
  } finally {
    await local.close();
  }
}

function byService(countsByRoute: Record<string, number>): Record<string, number> {
  const services: Record<string, number> = {};
  for (const [route, count] of Object.entries(countsByRoute)) {
    const service = route.split('.')[0] ?? route;
    services[service] = (services[service] ?? 0) + count;
  }
  return services;
}

/** The whole fleet in one invocation (the timer's single path), in a fresh process. */
export async function measureSingle(options: FanOutOptions): Promise<SingleMeasurement> {
  return withSimulator(options, async (local, settings) => {
    const instance = await startInstance(settings);
    try {
      await local.reset();
      const started = performance.now();
      const reply = await instance.run({ kind: 'single', concurrency: options.concurrency ?? 8 });
      const wallMs = performance.now() - started;
      const stats = await local.stats();
      const single = reply.single ?? { clusters: 0, findings: 0, status: 'none' };
      return {
        wallMs,
        peakRssBytes: reply.maxRssBytes,
        clusters: single.clusters,
        findings: single.findings,
        status: single.status,
        callsByService: byService(stats.countsByRoute),
        limits: limitsCell(stats),
      };
    } finally {
      instance.stop();
    }
  });
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
}

/** The fan-out: list, shards over `parallel` lanes (one instance each), merge. */
export async function measureFanOut(options: FanOutOptions): Promise<FanOutMeasurement> {
  return withSimulator(options, async (local, settings) => {
    const instances = await Promise.all(Array.from({ length: options.parallel }, () => startInstance(settings)));
    try {
      await local.reset();
      const context: ShardContext = { sweepId: 'fan-out-bench', startedAt: new Date().toISOString(), trigger: 'bench', concurrency: options.concurrency ?? 8 };
      const replies: InstanceReply[] = [];
      let historyPayloadBytes = 0;
      const started = performance.now();
      const listReply = await instances[0]!.run({ kind: 'list' });
      const listed = listReply.listed ?? { subscriptions: [], errors: [] };
      historyPayloadBytes += JSON.stringify(listed).length;
      const lanes = lanesOf(planShards(listed.subscriptions, options.shardSize), options.parallel);
      const outcomes: ShardOutcome[] = [];
      await Promise.all(
        lanes.map(async (lane, index) => {
          for (const shard of lane) {
            const request = { kind: 'shard', input: { context, shard, tolerant: true, lanes: lanes.length } } as const;
            historyPayloadBytes += JSON.stringify(request.input).length;
            const reply = await instances[index % instances.length]!.run(request);
            replies.push(reply);
            if (reply.outcome === undefined) throw new Error(`shard ${shard.index} returned nothing`);
            historyPayloadBytes += JSON.stringify(reply.outcome).length;
            outcomes.push(reply.outcome);
          }
        }),
      );
      const record = mergedSweep({
        context,
        endedAt: new Date().toISOString(),
        outcomes: outcomes.sort((left, right) => left.index - right.index),
        listErrors: listed.errors,
      });
      const wallMs = performance.now() - started;
      historyPayloadBytes += JSON.stringify({ outcomes }).length;
      const stats = await local.stats();
      const peaks = replies.map((reply) => reply.peakRssBytes).sort((left, right) => left - right);
      const times = replies.map((reply) => reply.ms).sort((left, right) => left - right);
      return {
        wallMs,
        peakRssBytes: Math.max(listReply.maxRssBytes, ...replies.map((reply) => reply.maxRssBytes)),
        perActivityPeakRssBytes: percentile(peaks, 1),
        perActivityMedianPeakRssBytes: percentile(peaks, 0.5),
        instanceBaselineRssBytes: Math.min(listReply.startRssBytes, ...replies.map((reply) => reply.startRssBytes)),
        activities: replies.length,
        activityMs: { median: percentile(times, 0.5), max: percentile(times, 1) },
        historyPayloadBytes,
        clusters: record.stats.clusters,
        findings: record.stats.findings.total,
        status: record.status,
        callsByService: byService(stats.countsByRoute),
        limits: limitsCell(stats),
      };
    } finally {
      for (const instance of instances) instance.stop();
    }
  });
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const calls = (services: Record<string, number>) =>
  Object.entries(services)
    .map(([service, count]) => `${service} ${count}`)
    .join(', ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '5000,50000' },
      'shard-size': { type: 'string', default: '25' },
      parallel: { type: 'string', default: '4' },
      latency: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const shardSize = Number(values['shard-size']);
  const parallel = Number(values.parallel);
  const latencyMs = Number(values.latency);
  const concurrency = Number(values.concurrency);
  console.log(
    `# Sweep fan-out: one invocation vs shards of ${shardSize} subscriptions, ${parallel} in flight (one instance each); ${latencyMs} ms per call, concurrency ${concurrency} per sweep or shard; report only`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${loadavg()[0]?.toFixed(1)}`,
  );
  const header = [
    'clusters',
    'single wall',
    'single peak RSS',
    'fan-out wall',
    'shards',
    'per-activity peak RSS (max / median)',
    'instance baseline',
    'activity time (median / max)',
    'history',
    'calls single → fan-out',
  ];
  const rows: string[][] = [];
  for (const clusters of values.sizes.split(',').map(Number)) {
    const options: FanOutOptions = { clusters, shardSize, parallel, latencyMs, concurrency };
    const single = await measureSingle(options);
    console.log(
      `${clusters} single: ${seconds(single.wallMs)}, ${mb(single.peakRssBytes)}, ${single.status}, ${single.findings} findings; load ${loadavg()[0]?.toFixed(1)}`,
    );
    const fanOut = await measureFanOut(options);
    console.log(
      `${clusters} fan-out: ${seconds(fanOut.wallMs)}, ${fanOut.activities} shards, per activity ≤ ${mb(fanOut.perActivityPeakRssBytes)}, ${fanOut.status}, ${fanOut.findings} findings; load ${loadavg()[0]?.toFixed(1)}`,
    );
    if (fanOut.findings !== single.findings) console.log(`  (findings differ: single ${single.findings}, fan-out ${fanOut.findings})`);
    rows.push([
      clusters.toLocaleString('en-US'),
      seconds(single.wallMs),
      mb(single.peakRssBytes),
      seconds(fanOut.wallMs),
      String(fanOut.activities),
      `${mb(fanOut.perActivityPeakRssBytes)} / ${mb(fanOut.perActivityMedianPeakRssBytes)}`,
      mb(fanOut.instanceBaselineRssBytes),
      `${seconds(fanOut.activityMs.median)} / ${seconds(fanOut.activityMs.max)}`,
      `${(fanOut.historyPayloadBytes / 1024).toFixed(0)} KB`,
      `${calls(single.callsByService)} → ${calls(fanOut.callsByService)}`,
    ]);
  }
  console.log(`\n| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`load average at the end ${loadavg()[0]?.toFixed(1)}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
