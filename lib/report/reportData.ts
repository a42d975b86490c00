/**
 * Reads what the fleet report shows from the stores the sweep and rollouts write. A store that is
 * not configured or fails leaves its section empty and is named in the model's `problems`, so the
 * rest of the report still renders and says it is incomplete.
 */
import type { FindingsStore } from '../findings/findingsStore.js';
import { logFailure } from '../publicError.js';
import type { SweepRecordStore } from '../sweep/sweepRecordStore.js';
import type { RolloutStore } from '../upgrades/rolloutStore.js';
import type { FleetReportModel, RolloutView } from './fleetReport.js';

export interface ReportSources {
  findings: FindingsStore | undefined;
  sweeps: SweepRecordStore | undefined;
  rollouts: RolloutStore | undefined;
}

/** How many sweeps the compliance chart covers, and how many rollouts the timeline shows. */
export const REPORT_LIMITS = { sweeps: 96, rollouts: 10 } as const;

export async function gatherReportData(sources: ReportSources, now: Date): Promise<FleetReportModel> {
  const problems: string[] = [];
  const attempt = async <T>(what: string, fallback: T, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      problems.push(`${what}: could not be read from storage (correlation id ${logFailure(`reading ${what} for the report`, error)})`);
      return fallback;
    }
  };
  const sweeps = sources.sweeps === undefined ? [] : await attempt('sweep records', [], () => sources.sweeps!.latest(REPORT_LIMITS.sweeps));
  const latest = sweeps[0];
  const sweepClusters =
    sources.sweeps === undefined || latest === undefined ? [] : await attempt('cluster records', [], () => sources.sweeps!.clusters(latest.sweepId));
  // In the Functions app the in-cluster stage runs on its own schedule (lib/sweep/inClusterOrchestrator.ts):
  // a fleet sweep's rows then carry no in-cluster coverage, and the latest in-cluster run's do.
  const inClusterCoverage =
    sources.sweeps === undefined || sweepClusters.every((cluster) => cluster.inCluster !== undefined)
      ? new Map<string, { state: string; reason: string }>()
      : await attempt('in-cluster coverage', new Map<string, { state: string; reason: string }>(), () => sources.sweeps!.latestInClusterCoverage());
  const clusters = sweepClusters.map((cluster) => {
    const coverage = cluster.inCluster ?? inClusterCoverage.get(cluster.resourceId.toLowerCase());
    return coverage === undefined ? cluster : { ...cluster, inCluster: coverage };
  });
  const openFindings = sources.findings === undefined ? [] : await attempt('findings', [], () => sources.findings!.listFindings({ status: 'open' }));
  const rollouts: RolloutView[] =
    sources.rollouts === undefined
      ? []
      : await attempt('rollouts', [], async () => {
          const records = (await sources.rollouts!.list()).slice(0, REPORT_LIMITS.rollouts);
          return Promise.all(
            records.map(async (record) => ({
              rolloutId: record.rolloutId,
              target: record.target,
              status: record.status ?? 'Running',
              requestedBy: record.requestedBy,
              createdAt: record.createdAt,
              clusters: await sources.rollouts!.clusterStatuses(record.rolloutId),
            })),
          );
        });
  if (sources.sweeps === undefined || sources.findings === undefined) problems.push('storage is not configured: set AzureWebJobsStorage');
  return { generatedAt: now.toISOString(), clusters, openFindings, sweeps, rollouts, problems };
}
