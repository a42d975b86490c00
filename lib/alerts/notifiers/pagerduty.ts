/**
 * PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events): one event
 * per alert. `trigger` with a `dedup_key` from the fingerprint, `resolve` with the same key.
 * `routing_key` is added at send time, so the outbox never holds it.
 */
import type { Severity } from '../../model/finding.js';
import type { Alert, PlannedNotification } from '../alert.js';
import { type RenderedMessage, truncate } from './common.js';

export const PAGERDUTY_LIMITS = { dedupKey: 255, summary: 1024 } as const;

const SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info' };

export function dedupKeyOf(fingerprint: string): string {
  return truncate(`aks-fleet-guard/${fingerprint}`, PAGERDUTY_LIMITS.dedupKey);
}

function renderOne(alert: Alert): RenderedMessage {
  const finding = alert.finding;
  const dedupKey = dedupKeyOf(finding.fingerprint);
  if (alert.status === 'resolved') {
    return { kind: 'pagerduty', body: { event_action: 'resolve', dedup_key: dedupKey }, alertCount: 1, summary: `resolve ${finding.ruleId} on ${finding.clusterName}` };
  }
  const summary = truncate(`[${finding.severity}] ${finding.ruleId} on ${finding.clusterName}: ${finding.title}`, PAGERDUTY_LIMITS.summary);
  return {
    kind: 'pagerduty',
    body: {
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary,
        source: finding.resourceId,
        severity: SEVERITY[finding.severity],
        timestamp: finding.lastSeen,
        component: finding.clusterName,
        group: finding.subscriptionId,
        class: finding.ruleId,
        custom_details: {
          detail: truncate(finding.detail, 4000),
          practice: finding.practice,
          first_seen: finding.firstSeen,
          last_seen: finding.lastSeen,
          cluster_tags: finding.clusterTags,
          fingerprint: finding.fingerprint,
        },
      },
      links: [{ href: finding.docUrl, text: 'Microsoft guidance' }],
      client: 'aks-fleet-guard',
    },
    alertCount: 1,
    summary,
  };
}

export function renderPagerDuty(notification: PlannedNotification): RenderedMessage[] {
  return notification.alerts.map(renderOne);
}
