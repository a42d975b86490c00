/**
 * The report read per framework (`fleetguard report --framework cis-aks|kubescape|nsa`): open
 * findings grouped by the benchmark item their rule corresponds to (CIS AKS 1.8.0 recommendation,
 * Kubescape control, NSA control), with the open findings per cluster, and the findings no item of
 * that framework covers in a "no mapping" row, so nothing is dropped from the view. Pure; the
 * mapping comes from each rule's metadata (lib/rules/catalog.ts).
 */
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import type { StoredFinding } from '../findings/lifecycle.js';
import type { Framework } from '../model/ruleMetadata.js';
import { frameworkItems } from '../rules/catalog.js';

export const FRAMEWORK_TITLES: Record<Framework, string> = {
  'cis-aks': 'CIS Azure Kubernetes Service (AKS) Benchmark v1.8.0',
  kubescape: 'Kubescape controls',
  nsa: 'NSA-CISA Kubernetes Hardening Guidance (Kubescape NSA framework)',
};

/** The row of findings whose rule corresponds to no item of the framework. */
export const NO_MAPPING = 'no mapping';

export interface FrameworkRow {
  /** The item ("4.1.1", "C-0185") or {@link NO_MAPPING}. */
  item: string;
  /** Rule ids with open findings under this item, sorted. */
  rules: string[];
  /** Open findings per cluster name, sorted by count then name. */
  clusters: Array<{ cluster: string; findings: number }>;
  findings: number;
}

/** Open findings grouped by framework item (a finding counts under every item its rule names), items in natural order, "no mapping" last. */
export function frameworkRows(findings: readonly Pick<StoredFinding, 'ruleId' | 'clusterName'>[], framework: Framework): FrameworkRow[] {
  const byItem = new Map<string, { rules: Set<string>; clusters: Map<string, number>; findings: number }>();
  for (const finding of findings) {
    const items = frameworkItems(finding.ruleId, framework);
    for (const item of items.length === 0 ? [NO_MAPPING] : items) {
      const row = byItem.get(item) ?? { rules: new Set<string>(), clusters: new Map<string, number>(), findings: 0 };
      row.rules.add(finding.ruleId);
      row.clusters.set(finding.clusterName, (row.clusters.get(finding.clusterName) ?? 0) + 1);
      row.findings += 1;
      byItem.set(item, row);
    }
  }
  return [...byItem.entries()]
    .sort(([left], [right]) => (left === NO_MAPPING ? 1 : right === NO_MAPPING ? -1 : left.localeCompare(right, undefined, { numeric: true })))
    .map(([item, row]) => ({
      item,
      rules: [...row.rules].sort(),
      clusters: [...row.clusters.entries()]
        .map(([cluster, count]) => ({ cluster, findings: count }))
        .sort((left, right) => right.findings - left.findings || left.cluster.localeCompare(right.cluster)),
      findings: row.findings,
    }));
}

/** The report section: one row per item with open findings, the rules behind it and the count per cluster. */
export function frameworkView(model: { openFindings: readonly StoredFinding[] }, framework: Framework): string {
  const rows = frameworkRows(model.openFindings, framework);
  const body =
    rows.length === 0
      ? '<p class="muted">No open findings.</p>'
      : `<table id="framework-table"><thead><tr><th>Item</th><th>Rules</th><th>Open findings</th><th>Per cluster</th></tr></thead><tbody>${rows
          .map(
            (row) =>
              `<tr data-item="${escapeHtml(row.item)}"><td>${escapeHtml(row.item)}</td><td>${escapeHtml(row.rules.join(', '))}</td><td>${row.findings}</td><td>${escapeHtml(
                row.clusters.map(({ cluster, findings }) => `${cluster}: ${findings}`).join(', '),
              )}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return `<section id="framework" data-framework="${escapeHtml(framework)}"><h2>${escapeHtml(`By framework: ${FRAMEWORK_TITLES[framework]}`)}</h2><p class="help">Open findings grouped by the benchmark item their rule corresponds to; a finding counts under each item its rule names, and "${NO_MAPPING}" holds the findings no item of this benchmark covers. Another framework: fleetguard report --framework cis-aks|kubescape|nsa.</p>${body}</section>`;
}
