/**
 * The demo's in-cluster section: per cluster whose Kubernetes objects were read, the K8S-* findings
 * (severity, rule, subject, and the benchmark items they correspond to); the clusters that were not
 * read are named with their coverage state, never left out silently.
 */
import type { Framework } from '../../lib/model/ruleMetadata.js';
import { frameworkItems, ruleCatalog } from '../../lib/rules/catalog.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';

const SHOWN: ReadonlyArray<[Framework, string]> = [
  ['cis-aks', 'CIS AKS'],
  ['kubescape', 'Kubescape'],
];

function mapping(ruleId: string): string {
  const parts = SHOWN.flatMap(([framework, label]) => {
    const items = frameworkItems(ruleId, framework);
    return items.length === 0 ? [] : [`${label} ${items.join(', ')}`];
  });
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

export function inClusterLines(result: SweepResult): string[] {
  const inClusterRules = new Set(
    ruleCatalog()
      .filter((rule) => rule.source === 'inCluster')
      .map((rule) => rule.id),
  );
  const counts = result.stats.inCluster;
  const lines = [
    counts === undefined
      ? 'No in-cluster stage ran.'
      : `Coverage: ${Object.entries(counts)
          .filter(([, count]) => count > 0)
          .map(([state, count]) => `${count} ${state}`)
          .join(', ')}`,
  ];
  for (const cluster of result.clusters) {
    if (cluster.inCluster?.state !== 'checked') continue;
    const findings = result.findings.filter((finding) => finding.resourceId === cluster.resourceId && inClusterRules.has(finding.ruleId));
    lines.push(`${cluster.name}: ${findings.length} in-cluster findings`);
    for (const finding of findings) lines.push(`  ${finding.severity.padEnd(8)} ${finding.ruleId}  ${finding.subject ?? ''}${mapping(finding.ruleId)}`);
  }
  const unchecked = result.clusters.filter((cluster) => cluster.inCluster !== undefined && cluster.inCluster.state !== 'checked');
  if (unchecked.length > 0)
    lines.push(
      `Not read (their K8S findings neither open nor resolve): ${unchecked.map((cluster) => `${cluster.name} (${cluster.inCluster?.state ?? ''})`).join(', ')}`,
    );
  return lines;
}
