/**
 * The posture heatmap and the per-practice scores. One row per rule (its title, readable, and its id),
 * grouped by practice area; one column per cluster (its name, linked to the cluster in the Azure
 * portal). A cell with an open finding links to that finding's row in the findings table. Pure; every
 * value from the fleet is escaped.
 */
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import type { StoredFinding } from '../findings/lifecycle.js';
import { type Severity, severityRank } from '../model/finding.js';
import { ruleCatalog } from '../rules/catalog.js';
import type { ClusterRecord } from '../sweep/sweepRecordStore.js';
import { portalLink } from './portalLink.js';
import { type HeatmapGroup, heatmapGroups } from './reportGroups.js';

/** The anchor of a finding's row in the findings table. */
export function findingAnchor(fingerprint: string): string {
  return `finding-${fingerprint}`;
}

/** The open findings of one cluster and one rule: the worst first. */
export type CellFindings = StoredFinding[];

/** Open findings per cluster (lower-cased id) and rule, worst first. */
export function findingsByCell(findings: readonly StoredFinding[]): Map<string, Map<string, CellFindings>> {
  const byCluster = new Map<string, Map<string, CellFindings>>();
  for (const finding of findings) {
    const key = finding.resourceId.toLowerCase();
    const rules = byCluster.get(key) ?? new Map<string, CellFindings>();
    rules.set(
      finding.ruleId,
      [...(rules.get(finding.ruleId) ?? []), finding].sort((left, right) => severityRank(right.severity) - severityRank(left.severity)),
    );
    byCluster.set(key, rules);
  }
  return byCluster;
}

/** A cell's verdict: the worst open finding's severity, a pass, or no verdict (in-cluster rule on a cluster whose objects were not read). */
export type Verdict = { kind: 'finding'; severity: Severity; findings: CellFindings } | { kind: 'pass' } | { kind: 'notRead'; why: string };

export function verdictOf(cluster: ClusterRecord, group: HeatmapGroup, ruleId: string, cells: Map<string, Map<string, CellFindings>>): Verdict {
  const findings = cells.get(cluster.resourceId.toLowerCase())?.get(ruleId);
  if (findings !== undefined && findings.length > 0) return { kind: 'finding', severity: findings[0]!.severity, findings };
  if (group.inCluster && cluster.inCluster?.state !== 'checked') return { kind: 'notRead', why: cluster.inCluster?.state ?? 'no in-cluster stage' };
  return { kind: 'pass' };
}

/** One practice area's score over the latest sweep's clusters: checks with a verdict, and how many passed. */
export interface PracticeScore {
  group: HeatmapGroup;
  checks: number;
  passing: number;
  /** Clusters with at least one open finding in this area. */
  failingClusters: number;
  /** Checks without a verdict (in-cluster rules of clusters whose objects were not read). */
  notRead: number;
}

/**
 * Per practice area, the share of (cluster, rule) checks with no open finding at the latest sweep. A
 * check without a verdict counts in neither total, so an unread cluster does not look compliant.
 */
export function practiceScores(clusters: readonly ClusterRecord[], findings: readonly StoredFinding[]): PracticeScore[] {
  const cells = findingsByCell(findings);
  return heatmapGroups().map((group) => {
    let checks = 0;
    let passing = 0;
    let notRead = 0;
    let failingClusters = 0;
    for (const cluster of clusters) {
      let failing = false;
      for (const rule of group.rules) {
        const verdict = verdictOf(cluster, group, rule, cells);
        if (verdict.kind === 'notRead') notRead += 1;
        else {
          checks += 1;
          if (verdict.kind === 'pass') passing += 1;
          else failing = true;
        }
      }
      if (failing) failingClusters += 1;
    }
    return { group, checks, passing, failingClusters, notRead };
  });
}

/** Percentage passing, rounded down so 99.6 % never reads as 100 %; undefined without checks. */
export function percentPassing(score: Pick<PracticeScore, 'checks' | 'passing'>): number | undefined {
  return score.checks === 0 ? undefined : Math.floor((score.passing / score.checks) * 100);
}

/** The scores section: one bar per practice area. */
export function practiceScoreTable(clusters: readonly ClusterRecord[], findings: readonly StoredFinding[]): string {
  if (clusters.length === 0) return '<p class="muted">No sweep has recorded clusters yet.</p>';
  const rows = practiceScores(clusters, findings).map((score) => {
    const percent = percentPassing(score);
    const bar =
      percent === undefined
        ? '<span class="muted">no verdict</span>'
        : `<span class="bar" role="img" aria-label="${percent}% passing"><span class="fill ${percent >= 90 ? 'good' : percent >= 60 ? 'fair' : 'poor'}" style="width:${percent}%"></span></span>`;
    const note = score.notRead > 0 ? ` · ${score.notRead} not read` : '';
    return `<tr data-practice="${escapeHtml(score.group.id)}"><th scope="row"><a href="#practice-${escapeHtml(score.group.id)}">${escapeHtml(score.group.title)}</a></th><td class="score">${percent === undefined ? 'n/a' : `${percent}%`}</td><td class="barcell">${bar}</td><td>${score.passing} of ${score.checks} checks pass · ${score.failingClusters} of ${clusters.length} clusters with findings${escapeHtml(note)}</td></tr>`;
  });
  return `<table class="scores"><thead><tr><th scope="col">Practice</th><th scope="col">Passing</th><th scope="col" class="barcell"></th><th scope="col">Checks</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const SHORT_SEVERITY: Record<Severity, string> = { critical: 'C', high: 'H', medium: 'M', low: 'L', info: 'I' };

/** The heatmap: rules down, clusters across, cells linked to their findings. */
export function heatmap(clusters: readonly ClusterRecord[], findings: readonly StoredFinding[]): string {
  if (clusters.length === 0) return '<p class="muted">No sweep has recorded clusters yet.</p>';
  const cells = findingsByCell(findings);
  const titles = new Map(ruleCatalog().map((rule) => [rule.id, rule.title]));
  const ordered = [...clusters].sort((left, right) => right.findings - left.findings || left.name.localeCompare(right.name));
  const head = ordered
    .map(
      (cluster, index) =>
        `<th scope="col" class="cluster" data-col="${index}" data-sub="${escapeHtml(cluster.subscriptionId.toLowerCase())}" data-tags="${escapeHtml(
          Object.entries(cluster.tags)
            .map(([key, value]) => `${key}=${value}`)
            .join('\n'),
        )}">${portalLink(cluster.resourceId, cluster.name)}</th>`,
    )
    .join('');
  const scores = new Map(practiceScores(clusters, findings).map((score) => [score.group.id, score]));
  const body = heatmapGroups().map((group) => {
    const score = scores.get(group.id);
    const percent = score === undefined ? undefined : percentPassing(score);
    const groupRow = `<tr class="group" id="practice-${escapeHtml(group.id)}"><th scope="rowgroup" colspan="${ordered.length + 1}">${escapeHtml(group.title)} <span class="muted">${percent === undefined ? '' : `${percent}% passing`}</span></th></tr>`;
    const rows = group.rules.map((rule) => {
      const row = ordered.map((cluster, index) => {
        const verdict = verdictOf(cluster, group, rule, cells);
        const base = `${cluster.name} · ${rule}`;
        if (verdict.kind === 'finding') {
          const count = verdict.findings.length;
          const label = `${base}: ${verdict.severity}`;
          const more = count > 1 ? ` (${count} findings)` : '';
          return `<td class="cell sev-${verdict.severity}" data-col="${index}" title="${escapeHtml(label + more)}"><a href="#${escapeHtml(findingAnchor(verdict.findings[0]!.fingerprint))}" aria-label="${escapeHtml(label + more)}">${SHORT_SEVERITY[verdict.severity]}${count > 1 ? count : ''}</a></td>`;
        }
        if (verdict.kind === 'notRead')
          return `<td class="cell not-read" data-col="${index}" title="${escapeHtml(`${base}: not read (${verdict.why})`)}">?</td>`;
        return `<td class="cell pass" data-col="${index}" title="${escapeHtml(`${base}: no open finding`)}"></td>`;
      });
      return `<tr><th scope="row" class="rule"><span class="rule-title">${escapeHtml(titles.get(rule) ?? rule)}</span> <small class="muted">${escapeHtml(rule)}</small></th>${row.join('')}</tr>`;
    });
    return `<tbody${group.inCluster ? ' class="in-cluster"' : ''}>${groupRow}${rows.join('')}</tbody>`;
  });
  return `<div class="heat"><table id="heatmap"><thead><tr><th scope="col" class="corner">Control</th>${head}</tr></thead>${body.join('')}</table></div>`;
}
