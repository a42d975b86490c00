/**
 * Detection stage of a sweep: one query per (workspace, detection), never per cluster. Workspaces
 * are those the clusters reference plus the configured ones. A detection counts as evaluated for a
 * cluster only when it ran completely in every workspace that may hold the cluster's logs, so a
 * failed or partial workspace never resolves findings it could not see.
 */
import type { LimitFunction } from 'p-limit';

import type { Detection } from '../detections/catalog.js';
import { evaluateDetection, type ResultRow } from '../detections/evaluateDetections.js';
import { prepareDetectionQuery, type QueryParameters } from '../detections/query.js';
import { toFleetGuardError } from '../errors.js';
import { type Cluster, parseResourceId, resourceKey } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { LogsQueryOutcome } from '../model/logsQuery.js';
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

  await Promise.all(
    [...workspaces].flatMap(([workspaceKey, workspaceId]) =>
      settings.detections.map((detection) =>
        limit(async () => {
          const stateKey = `${workspaceKey}|${detection.id}`;
          try {
            const outcome = await reader.query(workspaceId, prepareDetectionQuery(detection, parameters(detection)), settings.lookbackMinutes);
            rowsByDetection.set(detection.id, [...(rowsByDetection.get(detection.id) ?? []), ...outcome.rows]);
            states.set(stateKey, outcome.partialError === undefined ? 'complete' : 'partial');
            if (outcome.partialError !== undefined)
              note(problemsByWorkspace, workspaceId, 'serverError', detection.id, `partial result (${outcome.partialError})`);
          } catch (error) {
            const failure = toFleetGuardError(error, 'query');
            states.set(stateKey, 'failed');
            note(problemsByWorkspace, workspaceId, failure.reason, detection.id, failure.message);
          }
        }),
      ),
    ),
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
  return { findings, workspaces: { total: workspaces.size, failed }, queries: workspaces.size * settings.detections.length };
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
