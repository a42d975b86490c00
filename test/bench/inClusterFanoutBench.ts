/**
 * In-cluster fan-out benchmark (issue 16, "Fleet scale on the distributed engine"): 5,000 clusters,
 * 8 Kubernetes resources each, 50 ms per list call, through the fan-out's own logic: the clusters
 * batched and dealt over lanes by the orchestrator's functions (`batchesOf`, `lanesOf`,
 * `mergeBatches` of lib/sweep/inClusterOrchestrator.ts), each lane running its batches one after
 * another, each batch the app's real batch activity in one of N child processes standing in for the
 * app's instances (inClusterActivityProcess.ts). The Durable replay itself is not in the loop (the
 * local durable host runs activities one at a time; test/integration/inClusterFanout.test.ts runs the
 * same orchestrator through it).
 *
 * Prints wall time against its lower bound (calls × latency / effective concurrency), calls,
 * batches, the configured concurrency, the orchestration payload (activity inputs and results, what
 * the history holds), and peak RSS per activity (sampled in its process) and per instance (maxRSS).
 * A script, not a test.
 *
 *   node dist/test/bench/inClusterFanoutBench.js [--clusters 5000] [--latency 50] [--batch-size 50] [--lanes 10] [--concurrency 8] [--instances 10]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { Cluster } from '../../lib/model/cluster.js';
import { batchesOf, type BatchInput, type BatchResult, lanesOf, mergeBatches } from '../../lib/sweep/inClusterOrchestrator.js';
import { compliantCluster } from '../harness/clusters.js';
import type { ActivityReply, ActivityRequest } from './inClusterActivityProcess.js';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '5000' },
    latency: { type: 'string', default: '50' },
    'batch-size': { type: 'string', default: '50' },
    lanes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    // One instance per lane by default: each process runs one activity at a time, so its RSS is that activity's.
    instances: { type: 'string', default: '10' },
  },
});
const clusterCount = Number(values.clusters);
const latencyMs = Number(values.latency);
const batchSize = Number(values['batch-size']);
const laneCount = Number(values.lanes);
const concurrency = Number(values.concurrency);
const instanceCount = Number(values.instances);
const RESOURCES = 8;

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..', '..', '..');

function fleet(): Cluster[] {
  return Array.from({ length: clusterCount }, (_unused, index) => {
    const subscriptionId = `${String(index % 20).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const name = `aks-${String(index).padStart(5, '0')}`;
    return compliantCluster({
      id: `/subscriptions/${subscriptionId}/resourceGroups/rg-${index % 7}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      name,
      subscriptionId,
      resourceGroup: `rg-${index % 7}`,
    });
  });
}

interface Instance {
  child: ChildProcess;
  run(input: BatchInput): Promise<ActivityReply>;
}

async function startInstance(): Promise<Instance> {
  const child = fork(path.join(here, 'inClusterActivityProcess.js'), [], {
    env: {
      ...process.env,
      BENCH_LATENCY_MS: String(latencyMs),
      BENCH_CLUSTER_CONCURRENCY: String(concurrency),
      BENCH_K8S_SAMPLE: path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s'),
    },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`instance exited (${code})`)));
  });
  const waiting = new Map<number, (reply: ActivityReply) => void>();
  child.on('message', (reply: ActivityReply) => waiting.get(reply.batch)?.(reply));
  return {
    child,
    run: (input) =>
      new Promise((resolve) => {
        waiting.set(input.batch, resolve);
        child.send({ kind: 'batch', input } satisfies ActivityRequest);
      }),
  };
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
}

const clusters = fleet();
const batches = batchesOf(clusters, batchSize);
const lanes = lanesOf(batches, laneCount);
const instances = await Promise.all(Array.from({ length: instanceCount }, () => startInstance()));
const runId = 'inCluster-bench';
const observedAt = new Date().toISOString();
const replies: ActivityReply[] = [];
const results: Array<{ batch: number; result: BatchResult }> = [];
let payloadBytes = JSON.stringify({ clusters }).length;

const started = performance.now();
await Promise.all(
  lanes.map(async (lane, laneIndex) => {
    for (const { batch, clusters: batchClusters } of lane) {
      // The task hub hands each work item to whichever instance dequeues it; here a lane keeps to one instance.
      const instance = instances[laneIndex % instances.length]!;
      const input: BatchInput = { runId, observedAt, batch, clusters: batchClusters };
      payloadBytes += JSON.stringify(input).length;
      const reply = await instance.run(input);
      replies.push(reply);
      const result = reply.result;
      payloadBytes += JSON.stringify(result).length;
      results.push({ batch, result });
    }
  }),
);
const wallMs = performance.now() - started;
const record = mergeBatches(
  { runId, startedAt: observedAt, endedAt: new Date().toISOString() },
  { clusters, subscriptions: 20, subscriptionsFailed: 0, errors: [] },
  results.sort((left, right) => left.batch - right.batch).map((entry) => entry.result),
  [],
);
for (const instance of instances) instance.child.send({ kind: 'exit' } satisfies ActivityRequest);

const calls = replies.reduce((total, reply) => total + reply.calls, 0);
const effective = Math.min(laneCount, batches.length) * Math.min(concurrency, batchSize);
const lowerBoundMs = (calls * latencyMs) / effective;
// With whole batches: each lane runs its batches one after another, each in ceil(size / concurrency) rounds of 8 calls.
const rounds = Math.max(...lanes.map((lane) => lane.reduce((total, { clusters: members }) => total + Math.ceil(members.length / concurrency), 0)));
const batchBoundMs = rounds * RESOURCES * latencyMs;
const peaks = replies.map((reply) => reply.peakRssMb).sort((left, right) => left - right);
const maxRss = Math.max(...replies.map((reply) => reply.maxRssMb));
const activityMs = replies.map((reply) => reply.ms).sort((left, right) => left - right);

console.log(`In-cluster fan-out: ${clusterCount} clusters × ${RESOURCES} resources, ${latencyMs} ms per call`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
console.log(
  `configured: batches of ${batchSize}, ${laneCount} batches in flight (lanes), ${concurrency} clusters per activity at once, ${instanceCount} instances → effective concurrency ${effective} clusters`,
);
console.log(`batches: ${batches.length} (${record.batches} merged, ${record.counts.checked} clusters checked, ${record.findings} findings)`);
console.log(`calls: ${calls} (expected ${clusterCount * RESOURCES})`);
console.log(
  `wall: ${(wallMs / 1000).toFixed(1)} s; lower bound calls × latency / concurrency = ${(lowerBoundMs / 1000).toFixed(1)} s (×${(wallMs / lowerBoundMs).toFixed(2)}); with whole batches per lane ${(batchBoundMs / 1000).toFixed(1)} s (×${(wallMs / batchBoundMs).toFixed(2)})`,
);
console.log(
  `activity: ${activityMs.length} runs, median ${(percentile(activityMs, 0.5) / 1000).toFixed(2)} s, max ${(percentile(activityMs, 1) / 1000).toFixed(2)} s; peak RSS per activity median ${percentile(peaks, 0.5).toFixed(0)} MB, max ${percentile(peaks, 1).toFixed(0)} MB; instance maxRSS ${maxRss.toFixed(0)} MB`,
);
console.log(`orchestration payload (list output, batch inputs and results): ${(payloadBytes / 2 ** 20).toFixed(1)} MB`);
