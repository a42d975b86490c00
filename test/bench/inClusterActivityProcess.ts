/**
 * One simulated Functions instance for the in-cluster fan-out benchmark (inClusterFanoutBench.ts):
 * a child process that runs the app's real batch activity (lib/sweep/inClusterActivities.ts, the
 * shared per-cluster check, the K8S-* rules) for each batch its parent sends, and answers with the
 * activity's result and its peak RSS. The Kubernetes API is an in-process reader that sleeps
 * `latencyMs` per list call, one call per resource, one after another, as the live adapter reads a
 * cluster (lib/azure/kubernetes.ts: one page per resource under the 500-object page size), and
 * returns the sample fleet's web-dev Lists (so the rules do their real work on real objects).
 */
import path from 'node:path';

import type { Cluster } from '../../lib/model/cluster.js';
import { type InClusterReader, KUBERNETES_RESOURCES, type KubernetesListBody, type KubernetesResource } from '../../lib/model/inCluster.js';
import { createInClusterActivities } from '../../lib/sweep/inClusterActivities.js';
import type { BatchInput, BatchResult } from '../../lib/sweep/inClusterOrchestrator.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';

export type ActivityRequest = { kind: 'batch'; input: BatchInput } | { kind: 'exit' };
export interface ActivityReply {
  batch: number;
  /** What the activity returns to the orchestration (serialised, as the extension does). */
  result: BatchResult;
  clusters: number;
  checked: number;
  findings: number;
  calls: number;
  /** Highest resident set sampled during the activity, MB. */
  peakRssMb: number;
  /** The process's high-water mark so far (process.resourceUsage().maxRSS), MB. */
  maxRssMb: number;
  ms: number;
}

const latencyMs = Number(process.env['BENCH_LATENCY_MS'] ?? '50');
const clusterConcurrency = Number(process.env['BENCH_CLUSTER_CONCURRENCY'] ?? '8');
const sample = loadSnapshot(path.resolve(process.env['BENCH_K8S_SAMPLE'] ?? 'test/fixtures/fleet-sample-k8s'));
const folder = [...(sample.kubernetes?.values() ?? [])][0];
if (folder === undefined) throw new Error('the k8s sample has no kubernetes/ folder');
const lists = folder.lists;

/** List calls by cluster id (activities of one instance may overlap, so a global counter would not say whose). */
const calls = new Map<string, number>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const reader: InClusterReader = {
  async read(cluster: Cluster) {
    const read: Partial<Record<KubernetesResource, KubernetesListBody>> = {};
    for (const resource of KUBERNETES_RESOURCES) {
      await sleep(latencyMs);
      calls.set(cluster.id, (calls.get(cluster.id) ?? 0) + 1);
      const list = lists[resource];
      // A fresh copy per cluster, as each response body is.
      read[resource] = { body: JSON.parse(JSON.stringify(list?.body ?? { kind: 'List', items: [] })) as unknown, source: `bench ${resource}` };
    }
    return { state: 'checked', lists: read };
  },
};

const activities = createInClusterActivities({
  fleet: {
    listSubscriptionIds: () => Promise.resolve([]),
    listClusters: () => Promise.reject(new Error('not used')),
    listKubernetesVersions: () => Promise.reject(new Error('not used')),
  },
  check: { reader, deadlineSeconds: 60 },
  subscriptions: [],
  listConcurrency: 1,
  clusterConcurrency,
});

process.on('message', (message: ActivityRequest) => {
  if (message.kind === 'exit') process.exit(0);
  void (async () => {
    const started = performance.now();
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const result = await activities.batchActivity(message.input);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    const reply: ActivityReply = {
      batch: message.input.batch,
      result,
      clusters: result.clusters.length,
      checked: result.clusters.filter((row) => row.state === 'checked').length,
      findings: result.findings,
      calls: message.input.clusters.reduce((total, cluster) => total + (calls.get(cluster.id) ?? 0), 0),
      peakRssMb: peak / 2 ** 20,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      ms: performance.now() - started,
    };
    process.send?.(reply);
  })();
});
process.send?.({ ready: true });
