/**
 * Opsgenie: one alert per finding, created with our de-duplication key as its `alias` and closed
 * by that alias when the finding resolves. Opsgenie shows the fields as plain text; only `message`
 * may carry HTML ("HTML formatting for the message values is also supported",
 * docs.opsgenie.com/docs/alerts-and-alert-fields), so fleet text there is HTML-escaped (a crafted
 * pod name cannot plant a link). Opsgenie's UI makes URLs in the description and details
 * clickable, so fleet text in every human-facing field is also neutralised (../markup/fleetText.ts:
 * URLs defanged, mentions broken), and the guidance URL is given only when it is one of ours
 * (docLinks.ts). Every field is cut to its documented limit on whole graphemes (limits.ts),
 * measured as sent, and the whole body stays within the outbox budget.
 */
import { createHash } from 'node:crypto';

import type { Severity } from '../../../model/finding.js';
import type { Alert, PlannedNotification } from '../../alert.js';
import { fitText, truncate } from '../../notifiers/budget.js';
import { MESSAGE_BUDGET, type RenderedMessage } from '../../notifiers/common.js';
import { guidanceUrl } from '../markup/docLinks.js';
import { fleetText } from '../markup/fleetText.js';
import { escapeHtml } from '../markup/htmlText.js';
import { detailsLength, OPSGENIE_LIMITS } from './limits.js';

export const OPSGENIE_SOURCE = 'aks-fleet-guard';

const PRIORITY: Record<Severity, 'P1' | 'P2' | 'P3' | 'P4' | 'P5'> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4', info: 'P5' };

/** What the outbox holds for Opsgenie: which request, and its body (the key is added at send time). */
export type OpsgenieMessage = { request: 'create'; body: Record<string, unknown> } | { request: 'close'; alias: string; body: Record<string, unknown> };

/** Our guidance URL, or the `docUrl` neutralised when it is not one of ours. */
function guidanceText(docUrl: string): string {
  return guidanceUrl(docUrl) ?? fleetText(docUrl);
}

/** The alert's alias: stable per finding; a digest when too long, never a cut that could merge two. */
export function aliasOf(fingerprint: string): string {
  const alias = `aks-fleet-guard-${fingerprint}`;
  return alias.length <= OPSGENIE_LIMITS.alias ? alias : `aks-fleet-guard-sha256-${createHash('sha256').update(fingerprint).digest('hex')}`;
}

/** Custom properties, each value cut, added in order while the 8,000-character total allows. */
function details(alert: Alert): Record<string, string> {
  const finding = alert.finding;
  const entries: Array<[string, string]> = [
    ['ruleId', fleetText(finding.ruleId)],
    ['severity', finding.severity],
    ['cluster', fleetText(finding.clusterName)],
    ['resourceId', fleetText(finding.resourceId)],
    ['subscriptionId', fleetText(finding.subscriptionId)],
    ['practice', fleetText(finding.practice)],
    ['guidance', guidanceText(finding.docUrl)],
    ['firstSeen', finding.firstSeen],
    ['lastSeen', finding.lastSeen],
    ['fingerprint', fleetText(finding.fingerprint)],
    ...Object.entries(finding.clusterTags).map(([key, value]): [string, string] => [`tag:${truncate(fleetText(key), 100)}`, fleetText(value)]),
  ];
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    const candidate = { ...result, [key]: truncate(value, 1_000) };
    if (detailsLength(candidate) > OPSGENIE_LIMITS.detailsTotal) break;
    Object.assign(result, candidate);
  }
  return result;
}

function tags(alert: Alert): string[] {
  const finding = alert.finding;
  return ['aks-fleet-guard', `severity:${finding.severity}`, fleetText(finding.ruleId), `cluster:${fleetText(finding.clusterName)}`]
    .map((tag) => truncate(tag, OPSGENIE_LIMITS.tag))
    .slice(0, OPSGENIE_LIMITS.tags);
}

function create(alert: Alert): RenderedMessage {
  const finding = alert.finding;
  const raw = fleetText(`[${finding.severity}] ${finding.ruleId} on ${finding.clusterName}: ${finding.title}`);
  const message = escapeHtml(truncate(raw, OPSGENIE_LIMITS.message, { escape: escapeHtml }));
  const head = `${truncate(fleetText(finding.title), 1_000)}\n\n`;
  const tail = `\n\nGuidance: ${guidanceText(finding.docUrl)}\nCluster: ${fleetText(finding.resourceId)}\nFirst seen ${finding.firstSeen}, last seen ${finding.lastSeen}`;
  const room = Math.max(0, OPSGENIE_LIMITS.description - head.length - tail.length);
  const body = fitText(truncate(fleetText(finding.detail), room), MESSAGE_BUDGET - 200, (detail) => ({
    message,
    alias: aliasOf(finding.fingerprint),
    description: truncate(`${head}${detail}${tail}`, OPSGENIE_LIMITS.description),
    priority: PRIORITY[finding.severity],
    tags: tags(alert),
    details: details(alert),
    entity: truncate(fleetText(finding.clusterName), OPSGENIE_LIMITS.entity),
    source: OPSGENIE_SOURCE,
  }));
  const stored: OpsgenieMessage = { request: 'create', body };
  return { kind: 'opsgenie', body: stored, alertCount: 1, summary: truncate(raw, 200) };
}

function close(alert: Alert): RenderedMessage {
  const finding = alert.finding;
  const note = truncate(
    fleetText(`Resolved: ${finding.ruleId} on ${finding.clusterName}${finding.resolution === undefined ? '' : ` (${finding.resolution})`}`),
    OPSGENIE_LIMITS.note,
  );
  const stored: OpsgenieMessage = { request: 'close', alias: aliasOf(finding.fingerprint), body: { source: OPSGENIE_SOURCE, note } };
  return { kind: 'opsgenie', body: stored, alertCount: 1, summary: `close ${finding.ruleId} on ${finding.clusterName}` };
}

export function renderOpsgenie(notification: PlannedNotification): RenderedMessage[] {
  return notification.alerts.map((alert) => (alert.status === 'resolved' ? close(alert) : create(alert)));
}
