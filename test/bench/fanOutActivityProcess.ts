/**
 * One simulated Functions instance for the sweep fan-out benchmark (fanOutBench.ts): a child process
 * that runs, for each request of its parent, the app's real list or shard activity
 * (lib/sweep/fleetSweepActivities.ts over real SDK clients to the simulator), or the whole sweep in
 * one invocation (runSweep, as the timer's single path), one at a time, and answers with the result
 * and the resident set: sampled every 10 ms during the work (its peak is that work's, since nothing
 * else runs in the process) and the kernel's high-water mark of the process so far.
 */
import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { parseConfig } from '../../lib/config.js';
import { createFleetSweepActivities } from '../../lib/sweep/fleetSweepActivities.js';
import type { ListedSubscriptions, ShardInput } from '../../lib/sweep/fleetSweepOrchestrator.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import type { ShardOutcome } from '../../lib/sweep/sweepShard.js';

export type InstanceRequest = { kind: 'list' } | { kind: 'shard'; input: ShardInput } | { kind: 'single'; concurrency: number } | { kind: 'exit' };

export interface InstanceReply {
  kind: 'list' | 'shard' | 'single';
  listed?: ListedSubscriptions;
  outcome?: ShardOutcome;
  /** The single sweep's figures (its result stays here: it is the whole fleet). */
  single?: { clusters: number; findings: number; errors: number; status: string };
  /** Highest resident set sampled during the work, bytes. */
  peakRssBytes: number;
  /** Resident set when the work started, bytes. */
  startRssBytes: number;
  /** The process's high-water mark so far (process.resourceUsage().maxRSS), bytes. */
  maxRssBytes: number;
  ms: number;
}

const settings = JSON.parse(process.env['BENCH_SETTINGS'] ?? '{}') as Record<string, string>;
const clients = createAzureClients(parseConfig(settings));
// Report only, as the scale table's sweeps: no store, no alerts.
const { inCluster: _none, ...deps } = sweepDependencies(clients, { withStore: false });
void _none;
const activities = createFleetSweepActivities({ sweep: deps, subscriptions: [] });

async function work(request: Exclude<InstanceRequest, { kind: 'exit' }>): Promise<Pick<InstanceReply, 'listed' | 'outcome' | 'single'>> {
  if (request.kind === 'list') return { listed: await activities.listActivity({ sweepId: 'bench' }) };
  if (request.kind === 'shard') return { outcome: await activities.shardActivity(request.input) };
  const result = await runSweep(deps, { subscriptions: [], concurrency: request.concurrency, trigger: 'bench' });
  return { single: { clusters: result.stats.clusters, findings: result.stats.findings.total, errors: result.errors.length, status: result.status } };
}

process.on('message', (request: InstanceRequest) => {
  if (request.kind === 'exit') process.exit(0);
  void (async () => {
    const started = performance.now();
    const startRssBytes = process.memoryUsage.rss();
    let peak = startRssBytes;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const answer = await work(request);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    const reply: InstanceReply = {
      kind: request.kind,
      ...answer,
      peakRssBytes: peak,
      startRssBytes,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      ms: performance.now() - started,
    };
    process.send?.(reply);
  })();
});
process.send?.({ ready: true });
