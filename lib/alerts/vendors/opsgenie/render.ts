/**
 * Opsgenie: one alert per finding, created with our de-duplication key as its `alias` and closed
 * by that alias when the finding resolves. Opsgenie shows the fields as plain text; only `message`
 * may carry HTML ("HTML formatting for the message values is also supported",
 * docs.opsgenie.com/docs/alerts-and-alert-fields), so fleet text there is HTML-escaped (a crafted
 * pod name cannot plant a link). Every field is cut to its documented limit on whole graphemes
 * (limits.ts), measured as sent, and the whole body stays within the outbox budget.
 */
import { createHash } from 'node:crypto';

import type { Severity } from '../../../model/finding.js';
import type { Alert, PlannedNotification } from '../../alert.js';
import { fitText, truncate } from '../../notifiers/budget.js';
import { MESSAGE_BUDGET, type RenderedMessage } from '../../notifiers/common.js';
import { detailsLength, OPSGENIE_LIMITS } from './limits.js';

export const OPSGENIE_SOURCE = 'aks-fleet-guard';

const PRIORITY: Record<Severity, 'P1' | 'P2' | 'P3' | 'P4' | 'P5'> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4', info: 'P5' };

/** What the outbox holds for Opsgenie: which request, and its body (the key is added at send time). */
export type OpsgenieMessage = { request: 'create'; body: Record<string, unknown> } | { request: 'close'; alias: string; body: Record<string, unknown> };

export function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
    ['ruleId', finding.ruleId],
    ['severity', finding.severity],
    ['cluster', finding.clusterName],
    ['resourceId', finding.resourceId],
    ['subscriptionId', finding.subscriptionId],
    ['practice', finding.practice],
    ['guidance', finding.docUrl],
    ['firstSeen', finding.firstSeen],
    ['lastSeen', finding.lastSeen],
    ['fingerprint', finding.fingerprint],
    ...Object.entries(finding.clusterTags).map(([key, value]): [string, string] => [`tag:${truncate(key, 100)}`, value]),
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
  return ['aks-fleet-guard', `severity:${finding.severity}`, finding.ruleId, `cluster:${finding.clusterName}`]
    .map((tag) => truncate(tag, OPSGENIE_LIMITS.tag))
    .slice(0, OPSGENIE_LIMITS.tags);
}

function create(alert: Alert): RenderedMessage {
  const finding = alert.finding;
  const raw = `[${finding.severity}] ${finding.ruleId} on ${finding.clusterName}: ${finding.title}`;
  const message = htmlEscape(truncate(raw, OPSGENIE_LIMITS.message, { escape: htmlEscape }));
  const head = `${truncate(finding.title, 1_000)}\n\n`;
  const tail = `\n\nGuidance: ${finding.docUrl}\nCluster: ${finding.resourceId}\nFirst seen ${finding.firstSeen}, last seen ${finding.lastSeen}`;
  const room = Math.max(0, OPSGENIE_LIMITS.description - head.length - tail.length);
  const body = fitText(truncate(finding.detail, room), MESSAGE_BUDGET - 200, (detail) => ({
    message,
    alias: aliasOf(finding.fingerprint),
    description: truncate(`${head}${detail}${tail}`, OPSGENIE_LIMITS.description),
    priority: PRIORITY[finding.severity],
    tags: tags(alert),
    details: details(alert),
    entity: truncate(finding.clusterName, OPSGENIE_LIMITS.entity),
    source: OPSGENIE_SOURCE,
  }));
  const stored: OpsgenieMessage = { request: 'create', body };
  return { kind: 'opsgenie', body: stored, alertCount: 1, summary: truncate(raw, 200) };
}

function close(alert: Alert): RenderedMessage {
  const finding = alert.finding;
  const note = truncate(
    `Resolved: ${finding.ruleId} on ${finding.clusterName}${finding.resolution === undefined ? '' : ` (${finding.resolution})`}`,
    OPSGENIE_LIMITS.note,
  );
  const stored: OpsgenieMessage = { request: 'close', alias: aliasOf(finding.fingerprint), body: { source: OPSGENIE_SOURCE, note } };
  return { kind: 'opsgenie', body: stored, alertCount: 1, summary: `close ${finding.ruleId} on ${finding.clusterName}` };
}

export function renderOpsgenie(notification: PlannedNotification): RenderedMessage[] {
  return notification.alerts.map((alert) => (alert.status === 'resolved' ? close(alert) : create(alert)));
}
