/**
 * Reads what the fleet report shows from the stores the sweep and rollouts write. A store that is
 * not configured or fails leaves its section empty and is named in the model's `problems`, so the
 * rest of the report still renders and says it is incomplete. A table that does not exist yet is not
 * a failure: the sweep creates its tables on its first run, so a missing table means that no sweep
 * has run against this storage, and the report says exactly that (`noSweepYet`).
 */
import type { Acknowledgement, AcknowledgementPort } from '../alerts/interactionContract.js';
import { FleetGuardError } from '../errors.js';
import type { FindingsStore } from '../findings/findingsStore.js';
import { logFailure } from '../publicError.js';
import type { SweepRecordStore } from '../sweep/sweepRecordStore.js';
import type { RolloutStore } from '../upgrades/rolloutStore.js';
import type { FleetReportModel, RolloutView } from './fleetReport.js';

export interface ReportSources {
  findings: FindingsStore | undefined;
  /** Acknowledgements of findings (PagerDuty, Slack); the report shows them when given. */
  alertStore?: { acknowledgements: Pick<AcknowledgementPort, 'current'> } | undefined;
  sweeps: SweepRecordStore | undefined;
  rollouts: RolloutStore | undefined;
}

/** How many sweeps the compliance chart covers, and how many rollouts the timeline shows. */
export const REPORT_LIMITS = { sweeps: 96, rollouts: 10 } as const;

/**
 * Azure Tables answers a query on a table that does not exist with 404 and the error code
 * `TableNotFound` ("Table Service Error Codes",
 * https://learn.microsoft.com/rest/api/storageservices/table-service-error-codes); Azurite does the same.
 */
export function isTableNotFound(error: unknown): boolean {
  const cause = error instanceof FleetGuardError ? error.cause : error;
  const status = error instanceof FleetGuardError ? error.status : (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (status !== 404 || typeof cause !== 'object' || cause === null) return false;
  // @azure/data-tables leaves `code` unset on a failed query; the code is then in the OData error body of the message.
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code === 'TableNotFound';
  return /"code"\s*:\s*"TableNotFound"/.test(cause instanceof Error ? cause.message : '');
}

export async function gatherReportData(sources: ReportSources, now: Date, options: { storage?: string } = {}): Promise<FleetReportModel> {
  const problems: string[] = [];
  const attempt = async <T>(what: string, fallback: T, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (isTableNotFound(error)) return fallback;
      problems.push(`${what}: could not be read from storage (correlation id ${logFailure(`reading ${what} for the report`, error)})`);
      return fallback;
    }
  };
  const sweeps = sources.sweeps === undefined ? [] : await attempt('sweep records', [], () => sources.sweeps!.latest(REPORT_LIMITS.sweeps));
  const latest = sweeps[0];
  const previous = sweeps[1];
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
  // What the latest sweep (or an event since the one before) resolved; nothing to compare with before a second sweep.
  const resolvedFindings =
    sources.findings === undefined || previous === undefined
      ? []
      : (await attempt('resolved findings', [], () => sources.findings!.listFindings({ status: 'resolved' }))).filter(
          (finding) => finding.resolvedAt !== undefined && finding.resolvedAt > previous.startedAt,
        );
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
  const acknowledgements =
    sources.alertStore === undefined || openFindings.length === 0
      ? new Map<string, Acknowledgement>()
      : await attempt('acknowledgements', new Map<string, Acknowledgement>(), () =>
          sources.alertStore!.acknowledgements.current(openFindings.map((finding) => finding.fingerprint)),
        );
  if (sources.sweeps === undefined || sources.findings === undefined) problems.push('storage is not configured: set AzureWebJobsStorage');
  return {
    generatedAt: now.toISOString(),
    clusters,
    openFindings,
    resolvedFindings,
    sweeps,
    rollouts,
    problems,
    ...(acknowledgements.size === 0 ? {} : { acknowledgements }),
    ...(options.storage === undefined ? {} : { storage: options.storage }),
  };
}
