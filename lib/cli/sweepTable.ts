/**
 * Human output of a sweep: findings grouped by cluster, worst first, then a fleet summary. Pure:
 * takes the result and a width, returns text.
 */
import Table from 'cli-table3';

import { type Finding, severityRank } from '../model/finding.js';
import type { ClusterSummary, SweepResult } from '../sweep/sweepResult.js';
import { formatSweepSummary } from '../sweep/sweepSummary.js';
import { type Paint, paintSeverity, plain } from './terminalStyle.js';

export interface TableOptions {
  /** Terminal width to fit (default 120). */
  width?: number;
  /** Add the "what to change" column (long). */
  details?: boolean;
  /** Colours (severities); none by default. */
  paint?: Paint;
}

function clusterHeading(cluster: ClusterSummary, count: number): string {
  const policy = cluster.policyCompliancePercent === undefined ? '' : ` · policy ${cluster.policyCompliancePercent}%`;
  const where = `${cluster.subscriptionId.slice(0, 8)}…/${cluster.resourceGroup} · ${cluster.location} · Kubernetes ${cluster.kubernetesVersion ?? '?'}${policy}`;
  return `${cluster.name}  (${where})  ${count === 0 ? 'no findings' : `${count} finding${count === 1 ? '' : 's'}`}`;
}

function findingsTable(findings: readonly Finding[], width: number, details: boolean, paint: Paint): string {
  // cli-table3 widths include cell padding; add one border per column plus one. The finding column
  // takes the rest of the terminal, so titles (policy definition names) wrap only when they must.
  const available = width - (details ? 5 : 4) - 10 - 26;
  const titleWidth = details ? Math.floor(available * 0.35) : available;
  const table = new Table({
    head: ['Severity', 'Rule', 'Finding', ...(details ? ['What to change'] : [])],
    colWidths: [10, 26, titleWidth, ...(details ? [available - titleWidth] : [])],
    wordWrap: true,
    // ARM ids have no spaces: a word longer than its column is cut across lines, never past the edge.
    wrapOnWordBoundary: true,
    style: { head: [], border: [] },
  });
  for (const finding of findings) table.push([paintSeverity(paint, finding.severity), finding.ruleId, finding.title, ...(details ? [finding.detail] : [])]);
  return table.toString();
}

export function formatSweepTable(result: SweepResult, options: TableOptions = {}): string {
  const width = Math.max(80, options.width ?? 120);
  const byCluster = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const key = finding.resourceId.toLowerCase();
    byCluster.set(key, [...(byCluster.get(key) ?? []), finding]);
  }
  const clusters = [...result.clusters].sort(
    (left, right) =>
      (right.worstSeverity ? severityRank(right.worstSeverity) : 0) - (left.worstSeverity ? severityRank(left.worstSeverity) : 0) ||
      right.findings - left.findings ||
      left.name.localeCompare(right.name),
  );
  const sections = clusters.map((cluster) => {
    const findings = (byCluster.get(cluster.resourceId.toLowerCase()) ?? []).sort(
      (left, right) => severityRank(right.severity) - severityRank(left.severity) || left.ruleId.localeCompare(right.ruleId),
    );
    const heading = clusterHeading(cluster, findings.length);
    return findings.length === 0 ? heading : `${heading}\n${findingsTable(findings, width, options.details === true, options.paint ?? plain)}`;
  });
  return [...sections, formatSweepSummary(result)].join('\n\n');
}
