/**
 * Health of one cluster for gates: the detections flagged as health signals in their metadata
 * (lib/detections/catalog.ts) summed for that cluster over a window, in every workspace that may
 * hold its logs; and the other rules flagged as health signals, measured by the activities.
 */
import { type Detection, DETECTIONS } from '../detections/catalog.js';
import { prepareDetectionQuery, scopeToCluster } from '../detections/query.js';
import { resourceKey } from '../model/cluster.js';
import type { HealthSignal } from '../model/ruleMetadata.js';
import { healthSignals } from '../rules/catalog.js';
import type { LogsReader } from '../sweep/detectionStage.js';
import { degradedSignal, type HealthSample } from './healthGate.js';

/** The detections the gate runs: those whose metadata declares a health signal. */
export function healthDetections(): Array<Detection & { healthSignal: HealthSignal }> {
  return DETECTIONS.filter((detection): detection is Detection & { healthSignal: HealthSignal } => detection.healthSignal !== undefined);
}

export type { HealthSample } from './healthGate.js';

/** The health signals whose metadata says any rise fails a measurement (the rest: only a clear rise). */
export function anyRiseSignals(): string[] {
  return healthSignals()
    .filter((signal) => signal.fails === 'anyRise')
    .map((signal) => signal.name);
}

export async function measureHealth(reader: LogsReader, clusterId: string, workspaces: readonly string[], windowMinutes: number): Promise<HealthSample> {
  const detections = healthDetections();
  const counts: Record<string, number> = Object.fromEntries(detections.map((detection) => [detection.healthSignal.name, 0]));
  if (workspaces.length === 0) return { kind: 'inconclusive', reason: 'the cluster reports to no Log Analytics workspace' };
  for (const workspace of workspaces) {
    for (const detection of detections) {
      const signal = detection.healthSignal.name;
      try {
        const query = scopeToCluster(prepareDetectionQuery(detection, { lookbackMinutes: Math.max(1, Math.round(windowMinutes)), threshold: 1 }), clusterId);
        const outcome = await reader.query(workspace, query, Math.max(1, Math.round(windowMinutes)));
        if (outcome.partialError !== undefined) return { kind: 'inconclusive', reason: `${detection.id} in ${workspace}: ${outcome.partialError}` };
        for (const row of outcome.rows) {
          if (typeof row['_ResourceId'] === 'string' && resourceKey(row['_ResourceId']) === resourceKey(clusterId))
            counts[signal] = (counts[signal] ?? 0) + Number(row[detection.measure] ?? 0);
        }
      } catch (error) {
        return { kind: 'inconclusive', reason: `${detection.id} in ${workspace}: ${(error as Error).message}` };
      }
    }
  }
  return { kind: 'measured', counts };
}

/** The signal a rule declares in its metadata; a rule the activities measure must declare one. */
function signalOf(ruleId: string): string {
  const signal = healthSignals().find((candidate) => candidate.ruleId === ruleId);
  if (signal === undefined) throw new Error(`rule ${ruleId} is measured by the rollout gate but declares no healthSignal`);
  return signal.name;
}

/**
 * Gate signals that are not detections, by the rule that declares them, measured by the activities:
 * non-compliant Azure Policy states of the cluster, and NodePoolRollingFailed events since the
 * upgrade began. Their metadata says any rise fails the measurement.
 */
export const STRICT_SIGNALS = {
  policy: signalOf('POLICY-NONCOMPLIANT'),
  rolling: signalOf('AKS-NODEPOOL-ROLLING-FAILED'),
  /** 1 when the cluster or one of its pools is in a Failed provisioning state. */
  provisioning: signalOf('AKS-PROVISIONING-FAILED'),
  /** Pools on another minor than the control plane. */
  skew: signalOf('AKS-POOL-VERSION-SKEW'),
} as const;

/** {@link degradedSignal} with each signal's strictness from the rules' metadata. */
export function healthDegraded(baseline: Record<string, number>, after: Record<string, number>): string | undefined {
  return degradedSignal(baseline, after, anyRiseSignals());
}
