/**
 * Detection stage of a sweep: one query per workspace for all detections (a `union` of their
 * queries, `lib/detections/unionQuery.ts`), never per cluster nor per detection. Workspaces are
 * those the clusters reference plus the configured ones. A detection counts as evaluated for a
 * cluster only when it ran completely in every workspace that may hold the cluster's logs, so a
 * failed or partial workspace never resolves findings it could not see.
 *
 * When the service refuses the union itself (a 4xx other than throttling or auth: one leg it
 * cannot run, say a table missing from that workspace), the workspace's detections are queried one
 * by one, so one leg does not blind the other six; any other failure (5xx, timeout, throttling left
 * after the retries, auth) degrades all of the workspace's detections and is reported, without
 * sending it more queries.
 */
import pLimit, { type LimitFunction } from 'p-limit';

import type { Detection } from '../detections/catalog.js';
import { evaluateDetection, type ResultRow } from '../detections/evaluateDetections.js';
import { prepareDetectionQuery, type QueryParameters } from '../detections/query.js';
import { prepareUnionQuery, splitUnionRows } from '../detections/unionQuery.js';
import { toFleetGuardError } from '../errors.js';
import { type Cluster, parseResourceId, resourceKey } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { LogsQueryOutcome } from '../model/logsQuery.js';
import { LOG_ANALYTICS_LIMITS } from '../serviceLimits.js';
import { type Coverage, markEvaluated } from './coverage.js';
import type { SweepError } from './sweepResult.js';

export interface LogsReader {
  query(workspaceResourceId: string, query: string, lookbackMinutes: number): Promise<LogsQueryOutcome>;
}

export interface DetectionSettings {
  detections: readonly Detection[];
  /** Workspaces to query for every cluster, besides the ones clusters reference. */
  configuredWorkspaces: readonly string[];
  lookbackMinutes: number;
  thresholds: Readonly<Record<string, number>>;
}

export interface DetectionStageResult {
  findings: Finding[];
  workspaces: { total: number; failed: number };
  /** Queries sent (one per workspace, more where a union was refused and its legs ran apart). */
  queries: number;
}

type QueryState = 'complete' | 'partial' | 'failed';

export async function runDetectionStage(
  reader: LogsReader,
  clusters: readonly Cluster[],
  settings: DetectionSettings,
  /** Shared with the other stages, so all of a sweep's calls together stay within the concurrency. */
  limit: LimitFunction,
  coverage: Coverage,
  errors: SweepError[],
): Promise<DetectionStageResult> {
  const workspaces = new Map<string, string>();
  for (const id of [...settings.configuredWorkspaces, ...clusters.flatMap((cluster) => cluster.logWorkspaceIds)]) {
    if (!workspaces.has(resourceKey(id))) workspaces.set(resourceKey(id), id);
  }
  const states = new Map<string, QueryState>();
  const rowsByDetection = new Map<string, ResultRow[]>();
  const problemsByWorkspace = new Map<string, WorkspaceProblems>();
  const parameters = (detection: Detection): QueryParameters => ({
    lookbackMinutes: settings.lookbackMinutes,
    threshold: settings.thresholds[detection.id] ?? detection.threshold,
  });
  let queries = 0;
  // Log Analytics runs 5 queries per identity at once and queues the rest (LOG_ANALYTICS_LIMITS): the
  // adapter never sends more, and the stage never holds more of the sweep's shared slots than that,
  // so its queued queries leave the other stages' calls their slots.
  const logsSlots = pLimit(LOG_ANALYTICS_LIMITS.concurrency);
  const slot = <T>(task: () => Promise<T>) => logsSlots(() => limit(task));
  const addRows = (detectionId: string, rows: readonly ResultRow[]) => {
    const list = rowsByDetection.get(detectionId) ?? [];
    for (const row of rows) list.push(row);
    rowsByDetection.set(detectionId, list);
  };
  const record = (workspaceKey: string, workspaceId: string, detectionIds: readonly string[], outcome: LogsQueryOutcome) => {
    for (const detectionId of detectionIds) {
      states.set(`${workspaceKey}|${detectionId}`, outcome.partialError === undefined ? 'complete' : 'partial');
      if (outcome.partialError !== undefined) note(problemsByWorkspace, workspaceId, 'serverError', detectionId, `partial result (${outcome.partialError})`);
    }
  };
  const fail = (workspaceKey: string, workspaceId: string, detectionIds: readonly string[], error: unknown) => {
    const failure = toFleetGuardError(error, 'query');
    for (const detectionId of detectionIds) {
      states.set(`${workspaceKey}|${detectionId}`, 'failed');
      note(problemsByWorkspace, workspaceId, failure.reason, detectionId, failure.message);
    }
    return failure;
  };

  const union =
    settings.detections.length === 0
      ? undefined
      : prepareUnionQuery(settings.detections.map((detection) => ({ detection, parameters: parameters(detection) })));
  const queryOne = (workspaceKey: string, workspaceId: string, detection: Detection) =>
    slot(async () => {
      queries += 1;
      try {
        const outcome = await reader.query(workspaceId, prepareDetectionQuery(detection, parameters(detection)), settings.lookbackMinutes);
        addRows(detection.id, outcome.rows);
        record(workspaceKey, workspaceId, [detection.id], outcome);
      } catch (error) {
        fail(workspaceKey, workspaceId, [detection.id], error);
      }
    });

  await Promise.all(
    [...workspaces].map(async ([workspaceKey, workspaceId]) => {
      if (union === undefined) return;
      const refused = await slot(async () => {
        queries += 1;
        try {
          const outcome = await reader.query(workspaceId, union.text, union.lookbackMinutes);
          for (const [detectionId, rows] of splitUnionRows(outcome.rows, union.detectionIds)) addRows(detectionId, rows);
          record(workspaceKey, workspaceId, union.detectionIds, outcome);
          return false;
        } catch (error) {
          const failure = toFleetGuardError(error, 'query');
          if (failure.reason === 'clientError' && settings.detections.length > 1) return true;
          fail(workspaceKey, workspaceId, union.detectionIds, failure);
          return false;
        }
      });
      if (refused) await Promise.all(settings.detections.map((detection) => queryOne(workspaceKey, workspaceId, detection)));
    }),
  );

  const findings: Finding[] = [];
  for (const detection of settings.detections) {
    findings.push(...evaluateDetection(detection, rowsByDetection.get(detection.id) ?? [], clusters, parameters(detection)));
  }
  for (const cluster of clusters) {
    const relevant = new Set([...settings.configuredWorkspaces, ...cluster.logWorkspaceIds].map(resourceKey));
    const complete = settings.detections.filter((detection) =>
      [...relevant].every((workspaceKey) => states.get(`${workspaceKey}|${detection.id}`) === 'complete'),
    );
    markEvaluated(
      coverage,
      cluster.id,
      complete.map((detection) => detection.ruleId),
    );
  }
  for (const [workspaceId, problem] of problemsByWorkspace) {
    errors.push({
      scope: 'workspace',
      target: parseResourceId(workspaceId).name ?? workspaceId,
      reason: problem.reason,
      message: `workspace ${workspaceId}: ${[...problem.detectionsByMessage].map(([message, detections]) => `${inCatalogOrder(detections).join(', ')}: ${message}`).join('; ')} (findings of these detections are kept, not resolved)`,
    });
  }
  function inCatalogOrder(ids: string[]): string[] {
    const order = settings.detections.map((detection) => detection.id);
    return [...ids].sort((left, right) => order.indexOf(left) - order.indexOf(right));
  }
  const failed = [...problemsByWorkspace.keys()].length;
  return { findings, workspaces: { total: workspaces.size, failed }, queries };
}

interface WorkspaceProblems {
  reason: SweepError['reason'];
  /** The same failure usually hits every detection: report it once, with the detections it hit. */
  detectionsByMessage: Map<string, string[]>;
}

function note(problems: Map<string, WorkspaceProblems>, workspaceId: string, reason: SweepError['reason'], detectionId: string, message: string): void {
  const entry = problems.get(workspaceId) ?? { reason, detectionsByMessage: new Map<string, string[]>() };
  entry.detectionsByMessage.set(message, [...(entry.detectionsByMessage.get(message) ?? []), detectionId]);
  problems.set(workspaceId, entry);
}
