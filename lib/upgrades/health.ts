/**
 * Health of one cluster for gates: the health detections (failed API auth, crash loops, NotReady
 * nodes) summed for that cluster over a window, in every workspace that may hold its logs.
 */
import type { Detection } from '../detections/catalog.js';
import { DETECTIONS } from '../detections/catalog.js';
import { prepareDetectionQuery, scopeToCluster } from '../detections/query.js';
import { resourceKey } from '../model/cluster.js';
import type { LogsReader } from '../sweep/detectionStage.js';

export const HEALTH_DETECTIONS: readonly Detection[] = DETECTIONS.filter((detection) => ['failed-api-auth', 'crashloop', 'node-not-ready'].includes(detection.id));

export type HealthSample = { kind: 'measured'; counts: Record<string, number> } | { kind: 'inconclusive'; reason: string };

export async function measureHealth(reader: LogsReader, clusterId: string, workspaces: readonly string[], windowMinutes: number): Promise<HealthSample> {
  const counts: Record<string, number> = Object.fromEntries(HEALTH_DETECTIONS.map((detection) => [detection.id, 0]));
  if (workspaces.length === 0) return { kind: 'inconclusive', reason: 'the cluster reports to no Log Analytics workspace' };
  for (const workspace of workspaces) {
    for (const detection of HEALTH_DETECTIONS) {
      try {
        const query = scopeToCluster(prepareDetectionQuery(detection, { lookbackMinutes: Math.max(1, Math.round(windowMinutes)), threshold: 1 }), clusterId);
        const outcome = await reader.query(workspace, query, Math.max(1, Math.round(windowMinutes)));
        if (outcome.partialError !== undefined) return { kind: 'inconclusive', reason: `${detection.id} in ${workspace}: ${outcome.partialError}` };
        for (const row of outcome.rows) {
          if (typeof row['_ResourceId'] === 'string' && resourceKey(row['_ResourceId']) === resourceKey(clusterId)) counts[detection.id] = (counts[detection.id] ?? 0) + Number(row[detection.measure] ?? 0);
        }
      } catch (error) {
        return { kind: 'inconclusive', reason: `${detection.id} in ${workspace}: ${(error as Error).message}` };
      }
    }
  }
  return { kind: 'measured', counts };
}

/**
 * Gate signals that are not detections: non-compliant Azure Policy states of the cluster, and
 * NodePoolRollingFailed events since the upgrade began. Any rise fails the measurement.
 */
export const STRICT_SIGNALS = {
  policy: 'policy-noncompliant-states',
  rolling: 'nodepool-rolling-failed',
  /** 1 when the cluster or one of its pools is in a Failed provisioning state. */
  provisioning: 'provisioning-failed',
  /** Pools on another minor than the control plane. */
  skew: 'pools-on-another-minor',
} as const;

const STRICT = new Set<string>(Object.values(STRICT_SIGNALS));

/** A measurement fails when a detection clearly rises above the pre-upgrade baseline, or a strict signal rises at all. */
export function healthDegraded(baseline: Record<string, number>, after: Record<string, number>): string | undefined {
  for (const [signal, count] of Object.entries(after)) {
    const before = baseline[signal] ?? 0;
    const strict = STRICT.has(signal);
    if (strict ? count > before : count > Math.max(before * 2, before + 5)) return `${signal} rose from ${before} to ${count}`;
  }
  return undefined;
}
