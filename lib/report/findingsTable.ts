/**
 * The findings table and the "since the previous sweep" lists of the report. Each finding row has an
 * anchor the heatmap links to, the cluster linked to the Azure portal (the full ARM id in its tooltip
 * instead of in the cell), the `az`/`kubectl` commands of its advice set as code, and the data the
 * filters read (subscription, cluster tags, severity). Pure; every value from the fleet is escaped.
 */
import { describeAcknowledgement } from '../alerts/acknowledged.js';
import type { Acknowledgement } from '../alerts/interactionContract.js';
import { guidanceUrl } from '../alerts/vendors/markup/docLinks.js';
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import type { StoredFinding } from '../findings/lifecycle.js';
import { type Severity, severityRank } from '../model/finding.js';
import { splitCommands } from './commandText.js';
import { componentList } from './findingComponents.js';
import { findingAnchor } from './heatmap.js';
import { portalLink } from './portalLink.js';
import { groupOfRule } from './reportGroups.js';

export const SEVERITY_COLOURS: Record<Severity, string> = { critical: '#8b0000', high: '#d9480f', medium: '#f59f00', low: '#74c0fc', info: '#ced4da' };

export function severityBadge(severity: Severity): string {
  return `<span class="sev sev-${severity}">${severity}</span>`;
}

/** The guidance link of a finding, or its `docUrl` as text when it is not one of ours. */
function guidanceLink(docUrl: string): string {
  const url = guidanceUrl(docUrl);
  return url === undefined ? `<span class="muted">guidance: ${escapeHtml(docUrl)}</span>` : `<a href="${escapeHtml(url)}" rel="noreferrer">guidance</a>`;
}

/** The advice with its commands as code, each escaped as a whole (a command is never cut into markup). */
export function adviceHtml(detail: string): string {
  return splitCommands(detail)
    .map((piece) => (piece.kind === 'command' ? `<code class="cmd">${escapeHtml(piece.text)}</code>` : escapeHtml(piece.text)))
    .join('');
}

/**
 * The policy a POLICY-NONCOMPLIANT finding is about: its display name when the sweep resolved one
 * (`policyName`, when the data carries it), else the definition id the finding is keyed by.
 */
function policyLabel(finding: StoredFinding): string | undefined {
  if (finding.ruleId !== 'POLICY-NONCOMPLIANT') return undefined;
  const name = (finding as { policyName?: unknown }).policyName;
  return typeof name === 'string' && name !== '' ? name : finding.subject;
}

/** The attributes the filters read: subscription (lower-cased), the cluster's tags (`k=v` per line), severity. */
export function filterAttributes(finding: StoredFinding): string {
  const tags = Object.entries(finding.clusterTags)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
  return `data-sub="${escapeHtml(finding.subscriptionId.toLowerCase())}" data-tags="${escapeHtml(tags)}" data-sev="${finding.severity}"`;
}

export function sortedFindings(findings: readonly StoredFinding[]): StoredFinding[] {
  return [...findings].sort(
    (left, right) =>
      severityRank(right.severity) - severityRank(left.severity) ||
      left.clusterName.localeCompare(right.clusterName) ||
      left.ruleId.localeCompare(right.ruleId) ||
      (left.subject ?? '').localeCompare(right.subject ?? ''),
  );
}

/** Open findings first seen after the previous sweep started: what the latest sweep (or an event since) opened. */
export function newSince(findings: readonly StoredFinding[], previousSweepStart: string | undefined): StoredFinding[] {
  return previousSweepStart === undefined ? [] : findings.filter((finding) => finding.firstSeen > previousSweepStart);
}

/** An acknowledgement under the finding's title, linking to the PagerDuty incident (an https URL only). */
function acknowledgementHtml(acknowledgement: Acknowledgement | undefined): string {
  const words = describeAcknowledgement(acknowledgement);
  if (words === undefined || acknowledgement === undefined) return '';
  const url = acknowledgement.incidentUrl;
  const link = url !== undefined && /^https:\/\//.test(url) ? ` <a href="${escapeHtml(url)}" rel="noreferrer">incident</a>` : '';
  return `<br><span class="ack">${escapeHtml(words)}</span>${link}`;
}

export function findingsTable(
  findings: readonly StoredFinding[],
  previousSweepStart: string | undefined,
  acknowledgements: ReadonlyMap<string, Acknowledgement> = new Map(),
): string {
  if (findings.length === 0) return '<p>No open findings at the latest sweep.</p>';
  const fresh = new Set(newSince(findings, previousSweepStart).map((finding) => finding.fingerprint));
  const rows = sortedFindings(findings).map((finding) => {
    const policy = policyLabel(finding);
    const area = groupOfRule(finding.ruleId)?.title ?? '';
    const badge = fresh.has(finding.fingerprint) ? ' <span class="new-badge">new</span>' : '';
    return `<tr class="f" id="${escapeHtml(findingAnchor(finding.fingerprint))}" ${filterAttributes(finding)}><td data-key="${5 - severityRank(finding.severity)}">${severityBadge(finding.severity)}</td><td>${portalLink(finding.resourceId, finding.clusterName)}</td><td><b>${escapeHtml(finding.title)}</b>${badge}${policy === undefined ? '' : `<br><span class="policy">${escapeHtml(policy)}</span>`}<br><small class="muted">${escapeHtml(finding.ruleId)} · ${escapeHtml(area)}</small>${acknowledgementHtml(acknowledgements.get(finding.fingerprint))}</td><td class="detail">${adviceHtml(finding.detail)} ${guidanceLink(finding.docUrl)}${componentList(finding.components)}</td><td data-key="${escapeHtml(finding.firstSeen)}">${escapeHtml(finding.firstSeen.slice(0, 10))}</td></tr>`;
  });
  const headers = ['Severity', 'Cluster', 'Finding', 'What to change', 'Open since'];
  return `<noscript><p class="muted">Sorting and filtering need JavaScript; the table is sorted by severity, then cluster.</p></noscript>
<table id="findings-table" class="stack"><thead><tr>${headers.map((header) => `<th data-sort scope="col">${header}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const RESOLUTION_WORDS: Record<string, string> = { notObserved: 'fixed: the rule no longer fires', clusterGone: 'cluster gone' };

/** The "since the previous sweep" section: findings it opened (linked to their rows) and findings it resolved. */
export function changesSince(open: readonly StoredFinding[], resolved: readonly StoredFinding[], previousSweepStart: string | undefined): string {
  if (previousSweepStart === undefined) return '<p class="muted">Only one sweep so far: there is no earlier sweep to compare with.</p>';
  const opened = sortedFindings(newSince(open, previousSweepStart));
  const gone = sortedFindings(resolved);
  const since = `${previousSweepStart.slice(0, 16).replace('T', ' ')} UTC`;
  const openedRows = opened.map(
    (finding) =>
      `<tr class="f" ${filterAttributes(finding)}><td>${severityBadge(finding.severity)}</td><td>${portalLink(finding.resourceId, finding.clusterName)}</td><td><a href="#${escapeHtml(findingAnchor(finding.fingerprint))}">${escapeHtml(finding.title)}</a> <small class="muted">${escapeHtml(finding.ruleId)}</small></td></tr>`,
  );
  const resolvedRows = gone.map(
    (finding) =>
      `<tr class="f" ${filterAttributes(finding)}><td>${severityBadge(finding.severity)}</td><td>${portalLink(finding.resourceId, finding.clusterName)}</td><td>${escapeHtml(finding.title)} <small class="muted">${escapeHtml(finding.ruleId)}</small></td><td>${escapeHtml(RESOLUTION_WORDS[finding.resolution ?? ''] ?? 'resolved')}</td></tr>`,
  );
  const list = (id: string, title: string, rows: string[], empty: string) =>
    `<h3 id="${id}">${escapeHtml(title)} (${rows.length})</h3>${rows.length === 0 ? `<p class="muted">${escapeHtml(empty)}</p>` : `<table class="changes stack"><tbody>${rows.join('')}</tbody></table>`}`;
  return (
    list('new-findings', `New since the previous sweep (${since})`, openedRows, 'Nothing new.') +
    list('resolved-findings', 'Resolved since then', resolvedRows, 'Nothing resolved.')
  );
}
