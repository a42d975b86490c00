/**
 * The audit-log check of one cluster, on the in-cluster schedule (one ARM call per cluster, which
 * the hourly in-cluster fan-out bounds and spreads; the ARM-wide sweep makes no per-cluster calls).
 */
import { toFleetGuardError } from '../errors.js';
import type { Cluster } from '../model/cluster.js';
import type { DiagnosticSettingsReader } from '../model/diagnosticSettings.js';
import type { Finding } from '../model/finding.js';
import { AKS_AUDIT_LOGS, evaluateAuditLogs } from '../posture/auditLogRules.js';
import type { SweepError } from './sweepResult.js';

export interface AuditLogCheck {
  findings: Finding[];
  /** The rule ids evaluated for the cluster: empty when its settings are not known or could not be read. */
  evaluatedRuleIds: string[];
  error?: SweepError;
}

/** Reads the cluster's diagnostic settings and evaluates AKS-AUDIT-LOGS; a failed or unknown read evaluates nothing. */
export async function checkAuditLogs(reader: DiagnosticSettingsReader, cluster: Cluster): Promise<AuditLogCheck> {
  let settings;
  try {
    settings = await reader.listDiagnosticSettings(cluster);
  } catch (error) {
    const failure = toFleetGuardError(error, `reading the diagnostic settings of cluster ${cluster.name}`);
    return { findings: [], evaluatedRuleIds: [], error: { scope: 'cluster', target: cluster.name, reason: failure.reason, message: failure.message } };
  }
  if (settings === undefined) return { findings: [], evaluatedRuleIds: [] };
  return { findings: evaluateAuditLogs(cluster, settings), evaluatedRuleIds: [AKS_AUDIT_LOGS.id] };
}
