/**
 * Result rows → findings. Rows map to clusters by `_ResourceId` (case-insensitively; rows of
 * clusters outside the fleet are ignored). The measure is summed per cluster over all rows and
 * workspaces and compared with the threshold; other columns become examples in the detail. Pure.
 */
import type { Cluster } from '../model/cluster.js';
import { resourceKey } from '../model/cluster.js';
import { type Finding, findingFingerprint } from '../model/finding.js';
import type { Detection } from './catalog.js';
import type { QueryParameters } from './query.js';

export type ResultRow = Record<string, unknown>;

const MAX_EXAMPLES = 5;

interface ClusterTotals {
  cluster: Cluster;
  total: number;
  examples: Map<string, Set<string>>;
}

function addExamples(totals: ClusterTotals, column: string, value: unknown): void {
  const values = Array.isArray(value) ? value : [value];
  const set = totals.examples.get(column) ?? new Set<string>();
  for (const item of values) {
    if (item === null || item === undefined || item === '') continue;
    set.add(typeof item === 'string' ? item : JSON.stringify(item));
  }
  if (set.size > 0) totals.examples.set(column, set);
}

function formatExamples(examples: Map<string, Set<string>>): string {
  const parts = [...examples].map(([column, values]) => {
    const list = [...values];
    const shown = list.slice(0, MAX_EXAMPLES).join(', ');
    return `${column}: ${shown}${list.length > MAX_EXAMPLES ? ` and ${list.length - MAX_EXAMPLES} more` : ''}`;
  });
  return parts.length > 0 ? parts.join('; ') : 'no details';
}

export function evaluateDetection(detection: Detection, rows: readonly ResultRow[], clusters: readonly Cluster[], parameters: QueryParameters): Finding[] {
  const { threshold, lookbackMinutes } = parameters;
  const byKey = new Map(clusters.map((cluster) => [resourceKey(cluster.id), cluster]));
  const totals = new Map<string, ClusterTotals>();
  for (const row of rows) {
    const resourceId = row['_ResourceId'];
    if (typeof resourceId !== 'string') continue;
    const cluster = byKey.get(resourceKey(resourceId));
    if (cluster === undefined) continue;
    const measured = Number(row[detection.measure] ?? 0);
    const entry = totals.get(resourceKey(cluster.id)) ?? { cluster, total: 0, examples: new Map<string, Set<string>>() };
    entry.total += Number.isFinite(measured) ? measured : 0;
    for (const [column, value] of Object.entries(row)) {
      if (column !== '_ResourceId' && column !== detection.measure) addExamples(entry, column, value);
    }
    totals.set(resourceKey(cluster.id), entry);
  }
  return [...totals.values()]
    .filter((entry) => entry.total >= threshold && entry.total > 0)
    .map(({ cluster, total, examples }) => ({
      ruleId: detection.ruleId,
      resourceId: cluster.id,
      subscriptionId: cluster.subscriptionId,
      clusterName: cluster.name,
      severity: detection.severity,
      title: detection.title,
      detail: `Cluster ${cluster.name}: ${detection.describe(total, formatExamples(examples))} (detection ${detection.id}, last ${lookbackMinutes} minutes, threshold ${threshold})`,
      practice: detection.practice,
      docUrl: detection.docUrl,
      subject: undefined,
      fingerprint: findingFingerprint(detection.ruleId, cluster.id, undefined),
      clusterTags: cluster.tags,
    }));
}
