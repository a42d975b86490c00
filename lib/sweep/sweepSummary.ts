/**
 * A sweep in a few lines: what was swept, what was found, what the stages did. Pure. The timer logs
 * it after every sweep; the CLI prints it under its tables (lib/cli/sweepTable.ts).
 */
import { SEVERITIES } from '../model/finding.js';
import type { SweepResult } from './sweepResult.js';

export function formatSweepSummary(result: SweepResult): string {
  const { stats } = result;
  const severities = SEVERITIES.filter((severity) => stats.findings.bySeverity[severity] > 0)
    .map((severity) => `${stats.findings.bySeverity[severity]} ${severity}`)
    .join(', ');
  const lines = [
    `Sweep ${result.status}: ${stats.clusters} clusters in ${stats.subscriptions.succeeded}/${stats.subscriptions.total} subscriptions, ${stats.locations.total} locations, ${(stats.durationMs / 1000).toFixed(1)} s`,
    `Findings: ${stats.findings.total}${severities ? ` (${severities})` : ''}`,
  ];
  if (stats.policy.percent !== undefined) {
    lines.push(`Azure Policy compliance: ${stats.policy.percent}% (${stats.policy.compliant} compliant, ${stats.policy.nonCompliant} non-compliant states)`);
  }
  if (stats.logs) {
    lines.push(
      `Log detections: ${stats.logs.queries} queries in ${stats.logs.workspaces} workspaces${stats.logs.failedWorkspaces > 0 ? `, ${stats.logs.failedWorkspaces} failed` : ''}`,
    );
  }
  if (stats.store) {
    lines.push(`Store: ${stats.store.opened} opened, ${stats.store.reopened} reopened, ${stats.store.updated} still open, ${stats.store.resolved} resolved`);
  }
  if (stats.alerts) {
    lines.push(
      `Alerts: ${stats.alerts.messages} messages queued for ${stats.alerts.alerts} changes (${stats.alerts.silenced} silenced, ${stats.alerts.inhibited} held back during upgrades)`,
    );
  }
  for (const error of result.errors) lines.push(`! ${error.scope} ${error.target}: ${error.message}`);
  return lines.join('\n');
}
