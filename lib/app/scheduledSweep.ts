/**
 * The sweep as the `fleetSweep` timer runs it: the worker's shared clients, findings and sweep
 * records in Azure Tables, a summary and every degraded part logged. It streams the fleet shard by
 * shard (lib/sweep/streamingSweep.ts), so its memory is bounded by FLEETGUARD_SWEEP_SHARD_CLUSTERS,
 * not by the fleet; the CLI and the demo keep runSweep, whose result holds every finding they print.
 */
import { FleetGuardError } from '../errors.js';
import { runStreamingSweep } from '../sweep/streamingSweep.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import { formatSweepSummary } from '../sweep/sweepSummary.js';
import { sweepDependencies } from './clients.js';
import { expireProcessedEvents } from './deliveredEvent.js';
import { expirePagerDutyEvents } from './pagerDutyWebhookEndpoint.js';
import { getStoredRuntime } from './runtime.js';

/** The slice of the Functions `InvocationContext` this needs, so it stays host-agnostic. */
export interface FunctionLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export async function runScheduledSweep(log: FunctionLogger, options: { isPastDue: boolean }): Promise<SweepResult> {
  const { config, clients } = await getStoredRuntime();
  if (options.isPastDue) log.warn('fleetSweep is running late (the previous schedule was missed)');
  // The in-cluster stage has its own schedule in the Functions app (functions/inClusterSweep.ts, a Durable fan-out):
  // the fleet sweep leaves it out, and its K8S findings alone (their rules are not in its coverage).
  const { inCluster: _ownSchedule, ...deps } = sweepDependencies(clients);
  void _ownSchedule;
  const result = await runStreamingSweep(deps, {
    subscriptions: config.subscriptions,
    concurrency: config.sweep.concurrency,
    trigger: 'timer',
    shardClusters: config.sweep.shardClusters,
    onShard: (shard) =>
      log.info(
        `sweep shard ${shard.index}: ${shard.stats.clusters} clusters in ${shard.subscriptions.length} subscriptions, ${shard.stats.findings.total} findings, ${shard.errors.length} errors, ${(shard.durationMs / 1000).toFixed(1)} s`,
      ),
  });
  log.info(`sweep ${result.sweepId}: ${formatSweepSummary(result)}`);
  await expireProcessedEvents(clients.notices, log);
  if (clients.alertStore !== undefined) await expirePagerDutyEvents(clients.alertStore.webhookEvents, log);
  for (const error of result.errors) log.warn(`sweep ${result.sweepId} degraded: ${error.scope} ${error.target} (${error.reason}): ${error.message}`);
  if (result.status === 'failed') {
    // A failed invocation is what monitoring alerts on; the timer does not retry, so this cannot loop.
    throw new FleetGuardError('serverError', `sweep ${result.sweepId} failed: no subscription could be swept`);
  }
  return result;
}
